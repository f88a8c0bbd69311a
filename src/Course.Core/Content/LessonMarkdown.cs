using System.Text;
using ColorCode;
using Markdig;
using Markdig.Extensions.CustomContainers;
using Markdig.Extensions.GenericAttributes;
using Markdig.Extensions.Yaml;
using Markdig.Renderers;
using Markdig.Renderers.Html;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using Course.Yaml;

namespace Course.Core.Content;

/// <summary>The result of rendering one Markdown file.</summary>
public sealed record RenderedMarkdown(
    string? FrontMatter,
    int FrontMatterLine,
    string Html,
    IReadOnlyList<TocEntry> Toc,
    string PlainText,
    IReadOnlyList<ContentError> Errors);

/// <summary>
/// The one Markdown pipeline of the course: students' pages, the validator and (later) the authoring
/// preview all go through it, so what an instructor previews is what a student sees.
/// Markdig's advanced extensions, raw HTML disabled, heading anchors, server-side highlighting and
/// the <c>:::</c> directive grammar. Every source of Markdown the site shows (lessons, quiz text and options,
/// assignment briefs, dataset and model cards, GIFT imports, the editor's preview) is rendered here, so this is
/// where rendered HTML is made safe: no raw HTML, no attributes written by the author, and only the link and
/// image targets <see cref="SafeUrl"/> allows.
/// </summary>
public static class LessonMarkdown
{
    private static readonly MarkdownPipeline Pipeline = BuildPipeline();

    private static MarkdownPipeline BuildPipeline()
    {
        var builder = new MarkdownPipelineBuilder()
            .UseYamlFrontMatter()
            .UseAdvancedExtensions()
            .DisableHtml();
        // Generic attributes ({onclick=...} after a heading or link) would let Markdown write event handlers,
        // styles and a second href; no course content uses them.
        builder.Extensions.TryRemove<GenericAttributesExtension>();
        return builder.Build();
    }

    /// <summary>
    /// Renders <paramref name="markdown"/> read from <paramref name="file"/> (content-relative, '/' separators).
    /// <paramref name="resolveLesson"/> maps a content-relative .md path to its lesson URL, or null when
    /// no such lesson exists (reported as a broken link). <paramref name="checkWidget"/>, when the host has one,
    /// says whether what a live widget or a checked output names exists (an error message, or null).
    /// </summary>
    public static RenderedMarkdown Render(string markdown, string file, Func<string, string?> resolveLesson, Func<Directive, string?>? checkWidget = null)
    {
        var errors = new List<ContentError>();
        var document = Markdown.Parse(markdown, Pipeline);

        var frontMatter = document.Descendants<YamlFrontMatterBlock>().FirstOrDefault();
        foreach (var container in document.Descendants<CustomContainer>())
        {
            CheckDirective(container, file, errors, checkWidget);
        }
        foreach (var link in document.Descendants<LinkInline>().ToList())
        {
            if (!SafeUrl.IsAllowed(link.Url ?? ""))
            {
                Refuse(link, link.Url!, link.IsImage ? "image" : "link", InlineText(link), file, errors);
                continue;
            }
            RewriteLink(link, file, resolveLesson, errors);
        }
        // <scheme:…> autolinks are a second way to write a link; an e-mail autolink gets its mailto: from Markdig.
        foreach (var autolink in document.Descendants<AutolinkInline>().Where(a => !a.IsEmail && !SafeUrl.IsAllowed(a.Url)).ToList())
        {
            Refuse(autolink, autolink.Url, "link", autolink.Url, file, errors);
        }
        var toc = document.Descendants<HeadingBlock>()
            .Where(h => h.Level is 2 or 3 && h.GetAttributes().Id is not null)
            .Select(h => new TocEntry(h.Level, h.GetAttributes().Id!, InlineText(h.Inline)))
            .ToList();

        using var writer = new StringWriter();
        var renderer = new HtmlRenderer(writer);
        Pipeline.Setup(renderer);
        renderer.ObjectRenderers.Replace<HtmlCustomContainerRenderer>(new DirectiveRenderer());
        renderer.ObjectRenderers.Replace<CodeBlockRenderer>(new HighlightedCodeBlockRenderer());
        renderer.Render(document);
        writer.Flush();

        var plain = Markdown.ToPlainText(markdown, Pipeline);
        return new RenderedMarkdown(
            frontMatter?.Lines.ToString(),
            frontMatter is null ? 0 : frontMatter.Line + 2,
            writer.ToString(),
            toc,
            plain,
            errors);
    }

    private static void CheckDirective(CustomContainer container, string file, List<ContentError> errors, Func<Directive, string?>? checkWidget)
    {
        var line = container.Line + 1;
        if (container.Parent is CustomContainer)
        {
            errors.Add(new ContentError(file, line, "directives cannot be nested"));
        }
        if (container.ClosingFencedCharCount == 0)
        {
            errors.Add(new ContentError(file, line, $"'::: {container.Info}' is never closed: add a line ':::' after its body"));
        }
        var error = DirectiveSyntax.TryParse(container.Info, container.Arguments, out var directive);
        if (error is not null)
        {
            errors.Add(new ContentError(file, line, error));
            return;
        }
        if (DirectiveSyntax.IsWidget(directive!) && container.Count > 0)
        {
            errors.Add(new ContentError(file, line, $"the '{directive!.Name}' widget takes no body: close it with ':::' on the next line"));
        }
        if (DirectiveSyntax.IsOutput(directive!) && ExpectedOutput(container) is null)
        {
            errors.Add(new ContentError(file, line, "'::: output' holds the expected output as one fenced code block (``` … ```) and nothing else"));
        }
        if (!DirectiveSyntax.IsCallout(directive!) && checkWidget?.Invoke(directive!) is { } missing)
        {
            errors.Add(new ContentError(file, line, missing));
        }
        container.SetData(typeof(Directive), directive!);
    }

    /// <summary>The text of an output directive's one fenced code block, or null when its body is anything else.</summary>
    private static string? ExpectedOutput(CustomContainer container) =>
        container is [FencedCodeBlock code] ? code.Lines.ToString() : null;

    /// <summary>
    /// The outputs <paramref name="markdown"/> shows under <c>::: output</c>, for <c>./course content verify</c>
    /// to recompute: the directive, the line of its opening (1-based) and the expected text. Malformed ones are
    /// left to <see cref="Render"/>, which reports them.
    /// </summary>
    public static IReadOnlyList<(Directive Output, int Line, string Expected)> Outputs(string markdown) =>
        Markdown.Parse(markdown, Pipeline).Descendants<CustomContainer>()
            .Select(container => (Container: container, Error: DirectiveSyntax.TryParse(container.Info, container.Arguments, out var directive), Directive: directive))
            .Where(c => c.Error is null && DirectiveSyntax.IsOutput(c.Directive!) && ExpectedOutput(c.Container) is not null)
            .Select(c => (c.Directive!, c.Container.Line + 1, ExpectedOutput(c.Container)!))
            .ToList();

    /// <summary>A refused link or image stays as inert text (its label or alt text), and the author is told where.</summary>
    private static void Refuse(Inline inline, string url, string kind, string text, string file, List<ContentError> errors)
    {
        errors.Add(new ContentError(file, inline.Line + 1, $"{kind} '{url}': only http, https, mailto and relative targets are allowed"));
        inline.ReplaceBy(new LiteralInline(text), copyChildren: false);
    }

    private static void RewriteLink(LinkInline link, string file, Func<string, string?> resolveLesson, List<ContentError> errors)
    {
        var url = link.Url ?? "";
        var line = link.Line + 1;
        if (url.Length == 0)
        {
            errors.Add(new ContentError(file, line, "link without a target"));
            return;
        }
        if (url.StartsWith('#') || url.StartsWith('/') || Uri.TryCreate(url, UriKind.Absolute, out _))
        {
            return;
        }

        var hash = url.IndexOf('#');
        var path = hash >= 0 ? url[..hash] : url;
        var anchor = hash >= 0 ? url[hash..] : "";
        var target = CombineRelative(file, path);
        var lessonUrl = path.EndsWith(".md", StringComparison.OrdinalIgnoreCase) ? resolveLesson(target) : null;
        if (lessonUrl is null)
        {
            errors.Add(new ContentError(file, line, link.IsImage
                ? $"image '{url}': lessons cannot embed local files yet"
                : $"broken link '{url}': no lesson at content/{target}"));
            return;
        }
        link.Url = lessonUrl + anchor;
    }

    /// <summary>"topics/4.1-x/01-a.md" + "../4.2-y/02-b.md" → "topics/4.2-y/02-b.md".</summary>
    internal static string CombineRelative(string file, string relative)
    {
        var parts = file.Split('/').SkipLast(1).ToList();
        foreach (var part in relative.Split('/'))
        {
            if (part is "" or ".")
            {
                continue;
            }
            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }
                continue;
            }
            parts.Add(part);
        }
        return string.Join('/', parts);
    }

    private static string InlineText(ContainerInline? inline)
    {
        var text = new StringBuilder();
        foreach (var item in inline?.Descendants<Inline>() ?? [])
        {
            switch (item)
            {
                case LiteralInline literal: text.Append(literal.Content); break;
                case CodeInline code: text.Append(code.Content); break;
            }
        }
        return text.ToString();
    }

    /// <summary>Callouts as <c>&lt;aside&gt;</c> with a visible title; the label is text, not colour alone.</summary>
    private sealed class DirectiveRenderer : HtmlObjectRenderer<CustomContainer>
    {
        protected override void Write(HtmlRenderer renderer, CustomContainer container)
        {
            renderer.EnsureLine();
            if (container.GetData(typeof(Directive)) is not Directive directive)
            {
                // Invalid directive (already reported): keep the body readable for the author's preview.
                renderer.Write("<div class=\"directive-invalid\">");
                renderer.WriteChildren(container);
                renderer.WriteLine("</div>");
                return;
            }

            if (DirectiveSyntax.IsWidget(directive))
            {
                WriteWidget(renderer, directive);
                return;
            }
            if (DirectiveSyntax.IsOutput(directive))
            {
                WriteOutput(renderer, directive, container);
                return;
            }
            var label = char.ToUpperInvariant(directive.Name[0]) + directive.Name[1..];
            renderer.Write($"<aside class=\"callout callout-{directive.Name}\" role=\"note\">");
            renderer.Write("<p class=\"callout-title\"><strong>").WriteEscape(label).Write("</strong>");
            if (directive["title"] is { Length: > 0 } title)
            {
                renderer.Write(": ").WriteEscape(title);
            }
            renderer.WriteLine("</p>");
            renderer.WriteChildren(container);
            renderer.WriteLine("</aside>");
        }
    }

    /// <summary>
    /// A live widget's mount point: its attributes as <c>data-*</c> for the interactive component, and the
    /// same inputs as readable text, so the lesson still says what to try where no widget runs (print, feeds).
    /// </summary>
    private static void WriteWidget(HtmlRenderer renderer, Directive directive)
    {
        renderer.Write($"<figure class=\"widget widget-{directive.Name}\" data-widget=\"{directive.Name}\"");
        foreach (var (key, value) in directive.Attributes.OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            renderer.Write($" data-{key.Replace('_', '-')}=\"").WriteEscape(value).Write('"');
        }
        renderer.Write("><figcaption><strong>Try it</strong>: ")
            .WriteEscape(directive.Name switch
            {
                "tokenizer" => "tokenizer playground",
                "attention" => "attention view",
                _ => $"{directive["task"]} pipeline",
            }).Write("</figcaption><dl>");
        foreach (var (key, value) in directive.Attributes.Where(a => a.Key != "task").OrderBy(a => a.Key, StringComparer.Ordinal))
        {
            renderer.Write("<dt>").WriteEscape(key.Replace('_', ' ')).Write("</dt><dd>").WriteEscape(value).Write("</dd>");
        }
        renderer.WriteLine("</dl></figure>");
    }

    /// <summary>An output with what produced it, so a student knows it is real and how to reproduce it.</summary>
    private static void WriteOutput(HtmlRenderer renderer, Directive directive, CustomContainer container)
    {
        renderer.Write("<figure class=\"output-checked\">");
        renderer.WriteChildren(container);
        renderer.Write("<figcaption>Output of the <code>").WriteEscape(directive["tokenizer"]!).Write("</code> tokenizer (")
            .WriteEscape(string.Join(", ", directive["check"]!.Split(',', StringSplitOptions.TrimEntries)))
            .WriteLine("), recomputed by the course's checks.</figcaption></figure>");
    }

    /// <summary>
    /// Fenced code highlighted on the server with ColorCode's CSS classes (no client script); the
    /// colours live in the site's app.css, scoped to <c>.code-block</c>.
    /// </summary>
    private sealed class HighlightedCodeBlockRenderer : HtmlObjectRenderer<CodeBlock>
    {
        // ColorCode's formatter writes through one shared writer: one per thread, since lessons render concurrently
        // (hot reload, the editor's checks, the validator).
        private static readonly ThreadLocal<HtmlClassFormatter> Formatter = new(() => new HtmlClassFormatter());

        protected override void Write(HtmlRenderer renderer, CodeBlock block)
        {
            var info = (block as FencedCodeBlock)?.Info?.Trim().ToLowerInvariant() ?? "";
            var code = block.Lines.ToString();
            var language = Languages.FindById(info switch
            {
                "c#" or "cs" => "csharp",
                "py" => "python",
                _ => info,
            });

            renderer.EnsureLine();
            // Focusable, so a keyboard can scroll a long line into view (WCAG 2.1.1).
            renderer.Write("<div class=\"code-block\" tabindex=\"0\"");
            if (info.Length > 0)
            {
                renderer.Write(" data-lang=\"").WriteEscape(info).Write('"');
            }
            renderer.Write('>');
            if (language is not null)
            {
                renderer.Write(Formatter.Value!.GetHtmlString(code, language));
            }
            else
            {
                renderer.Write("<pre><code>").WriteEscape(code).Write("</code></pre>");
            }
            renderer.WriteLine("</div>");
        }
    }
}
