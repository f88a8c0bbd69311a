using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace Course.Core.Content;

/// <summary>
/// A directive parsed from the one grammar lessons use for callouts and live widgets:
/// a line <c>::: name key="value" …</c>, a Markdown body, and a closing <c>:::</c>.
/// </summary>
public sealed record Directive(string Name, IReadOnlyDictionary<string, string> Attributes)
{
    public string? this[string key] => Attributes.GetValueOrDefault(key);
}

/// <summary>What a directive name accepts; the registry is the single list of names content may use.</summary>
public sealed record DirectiveDefinition(string Name, string Kind, IReadOnlySet<string> Attributes, IReadOnlySet<string> Required);

public static partial class DirectiveSyntax
{
    public const string CalloutKind = "callout";
    public const string WidgetKind = "widget";
    public const string OutputKind = "output";

    /// <summary>Directive names content may use: callouts around Markdown, and the live widgets (empty body).</summary>
    public static readonly FrozenDictionary<string, DirectiveDefinition> Registry = new[]
    {
        Callout("note"), Callout("tip"), Callout("warning"), Callout("exercise"),
        new DirectiveDefinition("tokenizer", WidgetKind, new HashSet<string> { "tokenizers", "text", "pair" }, new HashSet<string>()),
        new DirectiveDefinition("pipeline", WidgetKind,
            new HashSet<string> { "task", "model", "text", "context", "aggregation_strategy", "top_k" }, new HashSet<string> { "task" }),
        // The base encoder's attention beside a fine-tuned model's (`model`), for a sentence and an optional pair.
        new DirectiveDefinition("attention", WidgetKind, new HashSet<string> { "text", "pair", "model" }, new HashSet<string>()),
        // An output the lesson shows, recomputed by `./course content verify`: its body is the expected output.
        new DirectiveDefinition("output", OutputKind, new HashSet<string> { "check", "tokenizer", "text", "pair", "texts", "padding", "truncation", "max_length", "return_tensors", "added" },
            new HashSet<string> { "check", "tokenizer" }),
    }.ToFrozenDictionary(d => d.Name);

    public static bool IsWidget(Directive directive) => Registry[directive.Name].Kind == WidgetKind;

    public static bool IsOutput(Directive directive) => Registry[directive.Name].Kind == OutputKind;

    public static bool IsCallout(Directive directive) => Registry[directive.Name].Kind == CalloutKind;

    private static DirectiveDefinition Callout(string name) =>
        new(name, CalloutKind, new HashSet<string> { "title" }, new HashSet<string>());

    // \G (one match continuing the last) rules out NonBacktracking; the alternatives consume distinct characters,
    // so the match is linear, and the timeout only guards that reasoning.
    [GeneratedRegex("""\G\s*([a-z][a-z0-9_-]*)="((?:[^"\\]|\\.)*)"\s*""", RegexOptions.None, matchTimeoutMilliseconds: 1000)]
    private static partial Regex AttributePattern();

    /// <summary>Parses <c>name</c> and the rest of the opening line; returns an error message or null.</summary>
    public static string? TryParse(string? name, string? arguments, out Directive? directive)
    {
        directive = null;
        if (string.IsNullOrWhiteSpace(name))
        {
            return "directive without a name: write '::: note', '::: tip', …";
        }
        if (!Registry.TryGetValue(name, out var definition))
        {
            return $"unknown directive '{name}' (known: {string.Join(", ", Registry.Keys.Order())})";
        }

        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        var text = arguments?.Trim() ?? "";
        var position = 0;
        var pattern = AttributePattern();
        while (position < text.Length)
        {
            var match = pattern.Match(text, position);
            if (!match.Success)
            {
                return $"malformed attributes in '::: {name} {text}' at '{text[position..]}': write key=\"value\"";
            }
            var key = match.Groups[1].Value;
            if (!definition.Attributes.Contains(key))
            {
                return $"directive '{name}' has no attribute '{key}' (allowed: {string.Join(", ", definition.Attributes.Order())})";
            }
            if (!attributes.TryAdd(key, Regex.Unescape(match.Groups[2].Value)))
            {
                return $"attribute '{key}' given twice";
            }
            position = match.Index + match.Length;
        }

        var missing = definition.Required.Where(r => !attributes.ContainsKey(r)).ToList();
        if (missing.Count > 0)
        {
            return $"directive '{name}' needs {string.Join(", ", missing.Select(m => $"{m}=\"…\""))}";
        }
        directive = new Directive(name, attributes);
        return null;
    }
}
