using Course.Core.Assignments;
using Course.Core.Content;
using Course.Core.Quizzes;
using Course.Core.Quizzes.Gift;
using Course.Yaml;

namespace Course.Core.Tests;

/// <summary>
/// Hostile URLs and HTML in every Markdown source the site renders: lessons, quiz text and options, assignment
/// briefs, hub cards and GIFT imports all pass through <see cref="LessonMarkdown"/>, and each is checked here.
/// </summary>
public class MarkdownSafetyTests
{
    private const string File = "topics/4.1-first/01-a.md";

    public static TheoryData<string> HostileUrls => new()
    {
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "&#106;avascript:alert(1)",          // character reference, decoded by Markdig
        "&#x6A;avascript:alert(1)",
        "java&#9;script:alert(1)",           // an encoded tab, which browsers drop inside a scheme
        "java&#10;script:alert(1)",          // an encoded newline
        "&#1;javascript:alert(1)",           // a leading control character, which browsers strip
        "javascript&#58;alert(1)",           // the colon itself encoded
        "<javascript:alert(1)>",             // pointy-bracket destination
    };

    [Theory]
    [MemberData(nameof(HostileUrls))]
    public void A_hostile_link_becomes_its_text_and_is_reported_at_its_line(string url)
    {
        var result = LessonMarkdown.Render($"Intro\n\nSee [the docs]({url}) now.\n", File, _ => null);

        Assert.Equal("<p>Intro</p>\n<p>See the docs now.</p>\n", result.Html);
        var error = Assert.Single(result.Errors);
        Assert.Equal(3, error.Line);
        Assert.EndsWith("': only http, https, mailto and relative targets are allowed", error.Message);
        Assert.StartsWith("link '", error.Message);
    }

    [Theory]
    [MemberData(nameof(HostileUrls))]
    public void A_hostile_image_becomes_its_alt_text(string url)
    {
        var result = LessonMarkdown.Render($"![a chart]({url})\n", File, _ => null);

        Assert.Equal("<p>a chart</p>\n", result.Html);
        Assert.StartsWith("image '", Assert.Single(result.Errors).Message);
    }

    [Theory]
    [InlineData("[x]: javascript:alert(1)\n\nA [reference][x] link.\n", "<p>A reference link.</p>\n")]
    [InlineData("A <javascript:alert(1)> autolink.\n", "<p>A javascript:alert(1) autolink.</p>\n")]
    [InlineData("A <vbscript:msgbox(1)> autolink.\n", "<p>A vbscript:msgbox(1) autolink.</p>\n")]
    public void Reference_links_and_autolinks_are_checked_too(string markdown, string html)
    {
        var result = LessonMarkdown.Render(markdown, File, _ => null);

        Assert.Equal(html, result.Html);
        Assert.Single(result.Errors);
    }

    [Theory]
    [InlineData("[web](https://huggingface.co/docs)", "<p><a href=\"https://huggingface.co/docs\">web</a></p>\n")]
    [InlineData("[web](HTTP://example.com/a:b)", "<p><a href=\"HTTP://example.com/a:b\">web</a></p>\n")]
    [InlineData("[mail](mailto:staff@example.com)", "<p><a href=\"mailto:staff@example.com\">mail</a></p>\n")]
    [InlineData("[part](#loading-a-model)", "<p><a href=\"#loading-a-model\">part</a></p>\n")]
    [InlineData("[hub](/hub/models/course/minilm-ner)", "<p><a href=\"/hub/models/course/minilm-ner\">hub</a></p>\n")]
    [InlineData("[q](/search?q=a:b)", "<p><a href=\"/search?q=a:b\">q</a></p>\n")]
    [InlineData("<staff@example.com>", "<p><a href=\"mailto:staff@example.com\">staff@example.com</a></p>\n")]
    [InlineData("![logo](https://example.com/logo.png)", "<p><img src=\"https://example.com/logo.png\" alt=\"logo\" /></p>\n")]
    public void Http_https_mailto_and_relative_targets_are_kept(string markdown, string html)
    {
        var result = LessonMarkdown.Render(markdown + "\n", File, _ => null);

        Assert.Equal(html, result.Html);
        Assert.Empty(result.Errors);
    }

    [Theory]
    [InlineData("javascript:alert(1)", false)]
    [InlineData(" \u0000 JaVaScRiPt:alert(1)", false)]
    [InlineData("java\u000Ascript:alert(1)", false)]
    [InlineData("data:image/png;base64,AAAA", false)]
    [InlineData("https://example.com", true)]
    [InlineData("mailto:a@b.c", true)]
    [InlineData("../4.2-b/01-c.md#top", true)]
    [InlineData("notes/a:b", true)]
    [InlineData("#x:y", true)]
    [InlineData("weird:thing", false)]
    public void SafeUrl_reads_the_scheme_as_a_browser_does(string url, bool allowed) => Assert.Equal(allowed, SafeUrl.IsAllowed(url));

    [Theory]
    [InlineData("<img src=x onerror=alert(1)>", "<p>&lt;img src=x onerror=alert(1)&gt;</p>\n")]
    [InlineData("<a href=\"javascript:alert(1)\">x</a>", "<p>&lt;a href=&quot;javascript:alert(1)&quot;&gt;x&lt;/a&gt;</p>\n")]
    [InlineData("<svg onload=alert(1)>", "<p>&lt;svg onload=alert(1)&gt;</p>\n")]
    [InlineData("## Title {onclick=alert(1)}", "<h2 id=\"title-onclickalert1\">Title {onclick=alert(1)}</h2>\n")]
    [InlineData("[x](https://example.com){onmouseover=alert(1)}", "<p><a href=\"https://example.com\">x</a>{onmouseover=alert(1)}</p>\n")]
    public void Raw_html_and_author_attributes_stay_text(string markdown, string html)
    {
        var result = LessonMarkdown.Render(markdown + "\n", File, _ => null);

        Assert.Equal(html, result.Html);
    }

    [Fact]
    public void A_card_body_shows_a_hostile_link_as_text()
    {
        // The hub pages render card bodies with the lessons' pipeline and no lesson links.
        var html = LessonMarkdown.Render("# Model\n\n[Try it](javascript:fetch('/x'))\n", "course/minilm-ner/README.md", _ => null).Html;

        Assert.Equal("<h1 id=\"model\">Model</h1>\n<p>Try it</p>\n", html);
    }

    private const string QuizFront = "---\nid: q\ntitle: Q\ntopic: \"4.1\"\nattempts: 1\ngrading: best\n---\n\nIntro.\n\n";

    [Theory]
    [InlineData("## single: Read [this](javascript:alert(1))?\n- [x] yes\n- [ ] no\nexplanation: E.\n", 11, "link 'javascript:alert(1)'")]
    [InlineData("## single: Which?\n- [x] ![pic](data:image/svg+xml,<svg/onload=alert(1)>)\n- [ ] no\nexplanation: E.\n", 12, "image 'data:image/svg+xml,<svg/onload=alert(1)>'")]
    [InlineData("## single: Which?\n- [x] yes\n  > See [here](vbscript:x).\n- [ ] no\nexplanation: E.\n", 13, "link 'vbscript:x'")]
    [InlineData("## text: Name it.\naccept: BERT\nexplanation: [More](JaVaScRiPt:alert(1))\n", 13, "link 'JaVaScRiPt:alert(1)'")]
    public void Quiz_prompts_options_feedback_and_explanations_refuse_hostile_links(string item, int line, string what)
    {
        var (quiz, errors) = QuizParser.Parse(QuizFront + item, "quizzes/q.md");

        Assert.Null(quiz);
        var error = Assert.Single(errors);
        Assert.Equal(("quizzes/q.md", line), (error.File, error.Line));
        Assert.Equal($"{what}: only http, https, mailto and relative targets are allowed", error.Message);
    }

    [Fact]
    public void A_gift_import_with_a_hostile_link_is_refused_when_parsed()
    {
        var import = GiftImporter.Import("::Q::[markdown]Read [this](javascript:alert(1)).{T}\n", "gift-q", "4.1");
        var (quiz, errors) = QuizParser.Parse(import.Markdown, "quizzes/gift-q.md");

        Assert.Null(quiz);
        Assert.Contains(errors, e => e.Message == "link 'javascript:alert(1)': only http, https, mailto and relative targets are allowed");
    }

    [Fact]
    public void An_assignment_brief_with_a_hostile_link_is_reported_at_its_line()
    {
        var root = Directory.CreateTempSubdirectory("course-brief-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(root, "assignments", "a"));
            System.IO.File.WriteAllText(Path.Combine(root, "assignments", "a", "assignment.md"),
                "---\nid: a\ntitle: A\n---\nBrief.\n\n[Start](javascript:alert(document.cookie))\n");

            var loaded = AssignmentLoader.Load(new ContentFiles(root), "a", null, [], _ => null);

            Assert.Contains(new ContentError("assignments/a/assignment.md", 7,
                "link 'javascript:alert(document.cookie)': only http, https, mailto and relative targets are allowed"), loaded.Errors);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
