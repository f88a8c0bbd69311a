using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace Course.Yaml;

/// <summary>
/// One YAML text parsed once, within <see cref="YamlReader"/>'s limits, into YamlDotNet's node tree, with each
/// node's place in the text: values by key path, each key's line for <c>file:line</c> errors, and edits written
/// into the original text at the node's marks, so the author's comments and layout survive (the submission form
/// edits the YAML a student typed). A text that cannot be read has no <see cref="Root"/> and its
/// <see cref="Errors"/>; it is never edited.
/// </summary>
public sealed class YamlText
{
    private YamlText(string text, string file, int firstLine, YamlNode? root, IReadOnlyList<ContentError> errors) =>
        (Text, File, FirstLine, Root, Errors) = (text, file, firstLine, root, errors);

    public string Text { get; }
    public string File { get; }

    /// <summary>The 1-based line of the file where the YAML starts (2 for front matter after its <c>---</c>).</summary>
    public int FirstLine { get; }

    /// <summary>The document's root node: null for an empty document or one that could not be read.</summary>
    public YamlNode? Root { get; }

    public IReadOnlyList<ContentError> Errors { get; }

    public static YamlText Parse(string text, string file, int firstLine = 1)
    {
        var errors = new List<ContentError>();
        var root = YamlReader.ReadNode(text, file, firstLine, errors);
        return new YamlText(text, file, firstLine, errors.Count == 0 ? root : null, errors);
    }

    /// <summary>The line of the file where <paramref name="node"/> starts.</summary>
    public int LineOf(YamlNode node) => FirstLine + (int)node.Start.Line - 1;

    /// <summary>The key and value at <paramref name="path"/> (keys of nested mappings), or null when a step is missing.</summary>
    public (YamlScalarNode Key, YamlNode Value)? Entry(params ReadOnlySpan<string> path)
    {
        var node = Root;
        (YamlScalarNode Key, YamlNode Value)? entry = null;
        foreach (var key in path)
        {
            entry = node is YamlMappingNode mapping ? Find(mapping, key) : null;
            if (entry is null)
            {
                return null;
            }
            node = entry.Value.Value;
        }
        return entry;
    }

    /// <summary>The value at <paramref name="path"/> as written: a scalar's text, or a flow list's or mapping's source text.</summary>
    public string? Value(params ReadOnlySpan<string> path) => Entry(path)?.Value switch
    {
        YamlScalarNode scalar => scalar.Value,
        { } node => Text[(int)node.Start.Index..EndOf(node)].Trim(),
        null => null,
    };

    /// <summary>
    /// The line of the first key named <paramref name="key"/> at any depth, in document order, so a value error
    /// points where the author wrote it (null when the key is not written).
    /// </summary>
    public int? LineOfKey(string key) => FirstKey(Root, key) is { } found ? LineOf(found) : null;

    /// <summary>
    /// <paramref name="value"/> as YAML that is exactly one value: as written where it reads back as itself (a
    /// plain scalar such as <c>2e-5</c>, or a flow list such as <c>[2, 3]</c>), double-quoted otherwise, so a value
    /// holding <c>: </c>, <c> #</c> or a line break stays one string instead of changing the document's structure.
    /// </summary>
    public static string Scalar(string value)
    {
        var parsed = Parse($"k: {value}", "value");
        var written = parsed.Root is YamlMappingNode { Children.Count: 1 } && value.Length > 0 && parsed.Entry("k")?.Value switch
        {
            YamlScalarNode { Style: ScalarStyle.Plain } scalar => scalar.Value == value,
            YamlSequenceNode { Style: SequenceStyle.Flow } or YamlMappingNode { Style: MappingStyle.Flow } => parsed.Value("k") == value,
            _ => false,
        };
        return written ? value : System.Text.Json.JsonSerializer.Serialize(value);
    }

    /// <summary>
    /// The text with <paramref name="path"/> set to <paramref name="value"/> (written by <see cref="Scalar"/>). An existing entry
    /// becomes <c>key: value</c> on its own line, keeping the comment after it; a missing key goes first in its
    /// mapping at its children's indentation; a missing section goes at the end of the document. Null when the text
    /// could not be read or the place is not a mapping.
    /// </summary>
    public string? With(string value, params ReadOnlySpan<string> path)
    {
        if (Errors.Count > 0 || path.IsEmpty)
        {
            return null;
        }
        value = Scalar(value);
        if (Entry(path) is { } entry)
        {
            var start = (int)entry.Key.End.Index;
            // A block scalar's end mark lies at the next key, past the line break: back to its last character.
            var end = IsEmpty(entry.Value) ? Text.IndexOf(':', start) + 1 : EndOf(entry.Value);
            while (end > start && char.IsWhiteSpace(Text[end - 1]))
            {
                end--;
            }
            // Blanks before a comment stay with it; blanks at the end of the line go.
            var after = end;
            while (after < Text.Length && Text[after] is ' ' or '\t')
            {
                after++;
            }
            end = after < Text.Length && Text[after] == '#' ? end : LineEnd(end);
            return string.Concat(Text.AsSpan(0, start), $": {value}", Text.AsSpan(end));
        }
        // The deepest mapping that exists on the path, and the keys under it still to write.
        var depth = path.Length - 1;
        while (depth > 0 && Entry(path[..depth]) is null)
        {
            depth--;
        }
        var parent = depth == 0 ? Root : Entry(path[..depth])!.Value.Value;
        if (depth < path.Length - 1)
        {
            // A missing section: appended to the document, nested two spaces a level.
            if (depth > 0 || Root is not (null or YamlMappingNode))
            {
                return null;
            }
            var block = string.Concat(path.ToArray().Select((key, level) => $"{new string(' ', 2 * level)}{key}:\n"))[..^1] + $" {value}\n";
            return Text.TrimEnd() is { Length: > 0 } before ? $"{before}\n{block}" : block;
        }
        var name = path[^1];
        switch (parent)
        {
            case null or YamlScalarNode { Value: null or "" } when depth == 0:
                return $"{name}: {value}\n{Text}";
            case YamlScalarNode { Value: null or "" } when IsEmpty(parent):
                // "training_args:" with nothing under it: the key's first entry, two spaces in from the section's key.
                var section = Entry(path[..depth])!.Value.Key;
                var lineEnd = LineEnd(Text.IndexOf(':', (int)section.End.Index) + 1);
                var indent = new string(' ', (int)section.Start.Column - 1 + 2);
                return Text.Insert(lineEnd, $"\n{indent}{name}: {value}");
            case YamlMappingNode { Style: MappingStyle.Flow } flow:
                return Text.Insert((int)flow.Start.Index + 1, flow.Children.Count > 0 ? $"{name}: {value}, " : $"{name}: {value}");
            case YamlMappingNode { Children.Count: > 0 } mapping:
                var first = (YamlScalarNode)mapping.Children.First().Key;
                var lineStart = (int)first.Start.Index - ((int)first.Start.Column - 1);
                return Text.Insert(lineStart, $"{new string(' ', (int)first.Start.Column - 1)}{name}: {value}\n");
            default:
                return null;
        }
    }

    /// <summary>
    /// Where <paramref name="node"/>'s text ends. YamlDotNet marks a list or mapping with its opening event only, so
    /// its end is its last child's, past the closing bracket of a flow one.
    /// </summary>
    private int EndOf(YamlNode node)
    {
        var last = node switch
        {
            YamlMappingNode { Children.Count: > 0 } mapping => mapping.Children.Last().Value,
            YamlSequenceNode { Children.Count: > 0 } sequence => sequence.Children[^1],
            _ => null,
        };
        var end = last is null ? (int)node.End.Index : EndOf(last);
        var flow = node is YamlMappingNode { Style: MappingStyle.Flow } or YamlSequenceNode { Style: SequenceStyle.Flow };
        return flow ? Text.IndexOfAny([']', '}'], end) + 1 : end;
    }

    /// <summary>A value left out after its key (<c>key:</c>), which YamlDotNet places at the next token.</summary>
    private static bool IsEmpty(YamlNode node) => node is YamlScalarNode { Value: "", Style: YamlDotNet.Core.ScalarStyle.Plain } && node.Start.Index == node.End.Index;

    /// <summary>The end of the line holding <paramref name="index"/>, before its line break.</summary>
    private int LineEnd(int index)
    {
        var newline = Text.IndexOf('\n', index);
        var end = newline < 0 ? Text.Length : newline;
        return end > index && Text[end - 1] == '\r' ? end - 1 : end;
    }

    private static (YamlScalarNode Key, YamlNode Value)? Find(YamlMappingNode mapping, string key)
    {
        foreach (var (k, v) in mapping.Children)
        {
            if (k is YamlScalarNode scalar && scalar.Value == key)
            {
                return (scalar, v);
            }
        }
        return null;
    }

    private static YamlScalarNode? FirstKey(YamlNode? node, string key)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (k, v) in mapping.Children)
                {
                    if (k is YamlScalarNode scalar && scalar.Value == key)
                    {
                        return scalar;
                    }
                    if (FirstKey(v, key) is { } nested)
                    {
                        return nested;
                    }
                }
                return null;
            case YamlSequenceNode sequence:
                foreach (var item in sequence.Children)
                {
                    if (FirstKey(item, key) is { } nested)
                    {
                        return nested;
                    }
                }
                return null;
            default:
                return null;
        }
    }
}
