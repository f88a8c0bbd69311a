using MudBlazor;

namespace Course.Web.Components.Layout;

/// <summary>The course's palette: Hugging Face yellow as the accent on a calm blue primary.</summary>
public static class CourseTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1f4b99",
            Secondary = "#ff9d00",
            AppbarBackground = "#1f4b99",
            // MudBlazor's status colours are too light for text on white (#ff9800 is 2.1:1); these reach WCAG's 4.5:1
            // as text and as alert text on the alerts' tinted backgrounds.
            Info = "#0b5cad",
            Success = "#1e7b34",
            Warning = "#9a5700",
            Error = "#c62828",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#8ab4f8",
            Secondary = "#ffb84d",
            AppbarBackground = "#1b1d27",
        },
    };
}
