using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.Json;

namespace Course.Cli;

/// <summary>
/// Typed options and arguments whose refusals keep the CLI's wording (<c>--top-k must be a whole number from 1 to
/// 1000, not '0x5'</c>): a parse error names the option, the values it takes and what it was given.
/// </summary>
internal static class Syntax
{
    public static Option<string> Text(string name, string helpName, string description) =>
        new(name) { HelpName = helpName, Description = description };

    public static Option<bool> Flag(string name, string description) => new(name) { Description = description };

    /// <summary>Plain decimal digits only: 0x10, 1_000 and 1e3 are refused rather than read in another notation.</summary>
    public static Option<int?> WholeNumber(string name, int min, int max, string description) => new(name)
    {
        HelpName = "N",
        Description = description,
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (int.TryParse(text, out var value) && value >= min && value <= max)
            {
                return value;
            }
            result.AddError($"{name} must be a whole number from {min} to {max}, not '{text}'");
            return null;
        },
    };

    /// <summary>An enum option spelled as Hugging Face spells its values (<c>only_second</c>).</summary>
    public static Option<T> Choice<T>(string name, T fallback, string description) where T : struct, Enum
    {
        var names = Enum.GetNames<T>().Select(n => JsonNamingPolicy.SnakeCaseLower.ConvertName(n)).ToArray();
        var option = new Option<T>(name)
        {
            HelpName = string.Join('|', names),
            Description = description,
            DefaultValueFactory = _ => fallback,
            CustomParser = result =>
            {
                var text = result.Tokens[0].Value;
                if (Enum.TryParse<T>(text.Replace("_", ""), ignoreCase: true, out var value) && Enum.IsDefined(value))
                {
                    return value;
                }
                result.AddError($"{name} must be one of {string.Join(", ", names)}, not '{text}'");
                return fallback;
            },
        };
        option.CompletionSources.Add(names);
        return option;
    }

    /// <summary>
    /// Exactly one positional value, refused with <paramref name="message"/> when it is missing or repeated (an
    /// unquoted sentence is several arguments: the message says to quote it). The argument takes every free token,
    /// so an unknown <c>--name</c> among them is refused here.
    /// </summary>
    public static Argument<string> One(string name, string description, string message) => new(name)
    {
        Description = description,
        Arity = ArgumentArity.ZeroOrMore,
        DefaultValueFactory = result => Refuse(result, message),
        CustomParser = result => Free(result, message) ?? Refuse(result, message),
    };

    /// <summary>Like <see cref="One"/>, but the value may be left out (null): the verb then reads its input elsewhere.</summary>
    public static Argument<string?> AtMostOne(string name, string description, string message) => new(name)
    {
        Description = description,
        Arity = ArgumentArity.ZeroOrMore,
        CustomParser = result => Free(result, message),
    };

    /// <summary>The one free token, null for none; several, or an unknown <c>--name</c> among them, are refused.</summary>
    private static string? Free(ArgumentResult result, string message)
    {
        if (result.Tokens.FirstOrDefault(t => t.Value.StartsWith("--", StringComparison.Ordinal) && t.Value.Length > 2) is { } unknown)
        {
            return Refuse(result, $"unknown option '{unknown.Value}'");
        }
        return result.Tokens.Count switch { 0 => null, 1 => result.Tokens[0].Value, _ => Refuse(result, message) };
    }

    private static string Refuse(ArgumentResult result, string message)
    {
        result.AddError(message);
        return "";
    }
}
