using Bunit;
using Course.Web.Components.Layout;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace Course.Web.Tests;

public class NavigationTests : CourseComponentTest
{
    [Fact]
    public void The_drawer_lists_every_topic_with_its_lessons_in_order()
    {
        var nav = Render<NavMenu>();

        var links = nav.FindAll("a").Select(a => (a.GetAttribute("href"), a.TextContent.Trim())).ToList();
        Assert.Equal(
        [
            ("/", "Working with Transformers"),
            ("/topics/4.1", "Overview"),
            ("/topics/4.1/hub", "The Hub"),
            ("/topics/4.1/libraries", "The libraries"),
            ("/topics/4.2", "Overview"),
            ("/topics/4.2/auto-classes", "Auto classes"),
            ("playground/tokenizer", "Tokenizers"),
            ("playground/inference", "Inference"),
            ("playground/attention", "Attention"),
            ("hub", "Local Hub"),
            ("search", "Search"),
        ], links);
        Assert.Contains("4.1 The ecosystem", nav.Markup);
        Assert.Contains("4.2 Pre-trained models", nav.Markup);
    }

    [Fact]
    public void Instructors_see_the_instructor_pages_and_students_do_not()
    {
        SignIn("student-1", "Student");
        Assert.DoesNotContain("instructor/people", Render<NavMenu>().Markup);

        SignIn("teacher-1", "Instructor");
        var nav = Render<NavMenu>();
        Assert.NotNull(nav.Find("a[href='instructor/people']"));
        Assert.NotNull(nav.Find("a[href='instructor/content']"));
        Assert.NotNull(nav.Find("a[href='instructor/statistics']"));
    }

    [Fact]
    public void The_current_pages_link_is_marked_on_every_page()
    {
        var navigation = Services.GetRequiredService<NavigationManager>();
        navigation.NavigateTo("/topics/4.1/hub");
        Assert.Equal("/topics/4.1/hub", Render<NavMenu>().Find("a.mud-nav-link.active[aria-current=page]").GetAttribute("href"));

        navigation.NavigateTo("/topics/4.2?tab=quizzes");
        var nav = Render<NavMenu>();

        Assert.Equal("/topics/4.2", nav.Find("a.active[aria-current=page]").GetAttribute("href"));
        Assert.Single(nav.FindAll("a[aria-current=page]"));
    }

    [Fact]
    public void The_drawer_follows_a_content_reload()
    {
        Assert.Empty(Render<NavMenu>().FindAll("a[href='/topics/4.2/tokenizers']"));
        Write("4.2-pre/02-tokenizers.md", "4.2", 2, "Tokenizers", "Tok.");

        Content.Reload();

        Assert.NotNull(Render<NavMenu>().Find("a[href='/topics/4.2/tokenizers']"));
    }

    [Fact]
    public void The_app_bar_offers_sign_in_and_search_to_visitors()
    {
        var visitor = Render<MainLayout>(p => p.Add(l => l.Body, "page"));

        Assert.NotNull(visitor.Find("a[href='Account/Login']"));
        Assert.NotNull(visitor.Find("form[role=search] input[name=q]"));
        Assert.NotNull(visitor.Find("button[aria-label='Toggle navigation']"));
        Assert.Empty(visitor.FindAll("form[action='Account/Logout']"));
    }

    [Fact]
    public void The_app_bar_shows_a_signed_in_user_and_sign_out()
    {
        SignIn("ada@example.com");

        var user = Render<MainLayout>(p => p.Add(l => l.Body, "page"));
        Assert.Contains("ada@example.com", user.Markup);
        Assert.NotNull(user.Find("form[action='Account/Logout']"));
    }

    [Fact]
    public void The_layout_is_drawn_in_the_mode_and_drawer_state_its_cookies_chose()
    {
        var light = Render<MainLayout>(p => p.Add(l => l.Body, "page"));
        Assert.Equal("theme", light.Find("button[aria-label='Switch to dark mode']").GetAttribute("data-toggle"));
        Assert.DoesNotContain("drawer-closed", light.Find(".mud-layout").ClassName);

        var request = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        request.Request.Headers.Cookie = "theme=dark; drawer=closed";
        var dark = Render<Microsoft.AspNetCore.Components.CascadingValue<Microsoft.AspNetCore.Http.HttpContext>>(p => p
            .Add(c => c.Value, request)
            .AddChildContent<MainLayout>(l => l.Add(x => x.Body, "page")));

        Assert.NotNull(dark.Find("button[aria-label='Switch to light mode']"));
        Assert.Contains("drawer-closed", dark.Find(".mud-layout").ClassName);
    }
}
