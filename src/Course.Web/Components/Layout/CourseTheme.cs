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
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#8ab4f8",
            Secondary = "#ffb84d",
            AppbarBackground = "#1b1d27",
        },
    };
}
