using System.Text.RegularExpressions;
using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Course.Yaml;

/// <summary>
/// The one way YAML is read: front matter of lessons, quizzes and assignments, module.yaml, training
/// configurations (typed in the browser too) and hub cards. Strict (unknown keys are errors: a typo such as
/// <c>duraton</c> must not silently drop a field) and bounded, since students submit YAML: documents over
/// <see cref="MaxCharacters"/>, nesting deeper than <see cref="MaxDepth"/>, anchors and aliases (the
/// "billion laughs" expansion) and duplicate keys are refused before anything is built. Every error is a
/// <see cref="ContentError"/> at its line in the original file, never an exception.
/// </summary>
public static partial class YamlReader
{
    public const int MaxCharacters = 128 * 1024;
    public const int MaxDepth = 32;

    private static readonly IDeserializer Deserializer = new DeserializerBuilder()
        .WithNamingConvention(UnderscoredNamingConvention.Instance)
        .Build();

    /// <summary>
    /// Deserializes <paramref name="yaml"/>; <paramref name="firstLine"/> is the 1-based line of the
    /// file where the YAML text starts. Returns null and adds an error when it cannot be read.
    /// </summary>
    public static T? Read<T>(string yaml, string file, int firstLine, List<ContentError> errors) where T : class
    {
        try
        {
            if (!Check(yaml, file, firstLine, errors))
            {
                return null;
            }
            var value = Deserializer.Deserialize<T>(yaml);
            if (value is null)
            {
                errors.Add(new ContentError(file, firstLine, "the YAML is empty"));
            }
            return value;
        }
        catch (YamlException ex)
        {
            errors.Add(new ContentError(file, LineOf(ex, firstLine), Describe(ex)));
            return null;
        }
    }

    /// <summary>The document's node tree (null after an error); readers use it through <see cref="YamlText"/>.</summary>
    internal static YamlNode? ReadNode(string yaml, string file, int firstLine, List<ContentError> errors)
    {
        try
        {
            if (!Check(yaml, file, firstLine, errors))
            {
                return null;
            }
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            return stream.Documents.FirstOrDefault()?.RootNode;
        }
        catch (YamlException ex)
        {
            errors.Add(new ContentError(file, LineOf(ex, firstLine), Describe(ex)));
            return null;
        }
    }

    /// <summary>
    /// One pass over the parser's events, which costs no more than reading the text: size, depth, anchors and
    /// aliases, and keys repeated within one mapping (YamlDotNet would keep the last, or throw an
    /// <see cref="ArgumentException"/> that nothing above expects).
    /// </summary>
    private static bool Check(string yaml, string file, int firstLine, List<ContentError> errors)
    {
        if (yaml.Length > MaxCharacters)
        {
            errors.Add(new ContentError(file, firstLine,
                string.Create(CultureInfo.InvariantCulture, $"the YAML is {yaml.Length:N0} characters; at most {MaxCharacters:N0} are read")));
            return false;
        }
        var before = errors.Count;
        var parser = new Parser(new StringReader(yaml));
        // One frame per open mapping or sequence; a mapping's frame holds the keys seen and whether a key comes next.
        var open = new Stack<(HashSet<string>? Keys, bool KeyNext)>();
        var line = firstLine;
        while (MoveNext(parser, file, line, errors))
        {
            var current = parser.Current!;
            line = firstLine + (int)current.Start.Line - 1;
            string? error = current switch
            {
                AnchorAlias alias => $"aliases (*{alias.Value}) are not allowed: write the value out",
                NodeEvent { Anchor.IsEmpty: false } node => $"anchors (&{node.Anchor.Value}) are not allowed: write the value out",
                _ => null,
            };
            if (error is null && current is NodeEvent && open.TryPeek(out var frame) && frame.Keys is not null)
            {
                open.Pop();
                if (frame.KeyNext && current is not Scalar)
                {
                    error = "keys must be plain text";
                }
                else if (frame.KeyNext && !frame.Keys.Add(((Scalar)current).Value))
                {
                    error = $"duplicate key '{((Scalar)current).Value}'";
                }
                open.Push((frame.Keys, !frame.KeyNext));
            }
            if (error is null && current is MappingStart or SequenceStart)
            {
                open.Push((current is MappingStart ? new HashSet<string>(StringComparer.Ordinal) : null, true));
                if (open.Count > MaxDepth)
                {
                    error = $"nesting deeper than {MaxDepth} levels";
                }
            }
            else if (current is MappingEnd or SequenceEnd)
            {
                open.Pop();
            }
            if (error is not null)
            {
                errors.Add(new ContentError(file, line, error));
                return false;
            }
        }
        return errors.Count == before;
    }

    /// <summary>
    /// YamlDotNet's scanner throws <see cref="InvalidOperationException"/>, not a <see cref="YamlException"/>, on some
    /// malformed text (e.g. a flow sequence left open at the end); that is the document's fault, reported after the
    /// last event read.
    /// </summary>
    private static bool MoveNext(Parser parser, string file, int line, List<ContentError> errors)
    {
        try
        {
            return parser.MoveNext();
        }
        catch (InvalidOperationException)
        {
            errors.Add(new ContentError(file, line, "invalid YAML: the text cannot be read after this line (an unclosed [ or {?)"));
            return false;
        }
    }

    private static int LineOf(YamlException ex, int firstLine) => firstLine + (int)Math.Max(ex.Start.Line, 1) - 1;

    /// <summary>YamlDotNet wraps the useful message (e.g. "Property 'x' not found") in inner exceptions.</summary>
    private static string Describe(YamlException ex)
    {
        Exception inner = ex;
        while (inner.InnerException is not null)
        {
            inner = inner.InnerException;
        }
        var message = inner is YamlException y && !string.IsNullOrEmpty(y.Message) ? y.Message : inner.Message;
        // YamlDotNet prefixes "(Line: 3, Col: 1, Idx: 20) - (…): " — the line is already ours.
        var cut = message.IndexOf("): ", StringComparison.Ordinal);
        message = message.StartsWith('(') && cut > 0 ? message[(cut + 3)..] : message;
        // YamlDotNet names .NET types in its messages; say what the author can act on instead.
        if (UnknownProperty().Match(message) is { Success: true } unknown)
        {
            return $"unknown key '{unknown.Groups[1].Value}'";
        }
        if (NotInFormat().Match(message) is { Success: true } format)
        {
            return $"'{format.Groups[1].Value}' is not a value this key takes (a whole number is written without a decimal point or exponent)";
        }
        if (NotBoolean().Match(message) is { Success: true } flag)
        {
            return $"'{flag.Groups[1].Value}' is not a value this key takes (write true or false)";
        }
        return message.StartsWith("No node deserializer", StringComparison.Ordinal) || message.StartsWith("Expected '", StringComparison.Ordinal)
            ? "this value has the wrong shape (a list or a mapping where a single value is expected, or the other way round)"
            : "invalid YAML: " + message;
    }

    [GeneratedRegex(@"Property '([^']*)' not found on type")]
    private static partial Regex UnknownProperty();

    [GeneratedRegex(@"The input string '([^']*)' was not in a correct format")]
    private static partial Regex NotInFormat();

    [GeneratedRegex(@"The value ""([^""]*)"" is not a valid YAML Boolean")]
    private static partial Regex NotBoolean();
}
