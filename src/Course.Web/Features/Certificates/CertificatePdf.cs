using System.Globalization;
using System.Text;

namespace Course.Web.Features.Certificates;

/// <summary>
/// A certificate as a one-page A4 PDF written by hand: PDF 1.4 with the standard Type 1 fonts Helvetica and
/// Helvetica-Bold, which every PDF reader has, so nothing (no font file, no package, no system font) is needed to
/// make it on a bare machine. The text is uncompressed and the verification link is also a clickable link annotation.
/// The standard fonts' WinAnsi encoding covers Latin-1 and common punctuation; other characters print as '?'.
/// </summary>
public static class CertificatePdf
{
    private const double PageWidth = 595, PageHeight = 842, Margin = 64;

    public static byte[] Write(CertificateContent certificate, string verificationUrl)
    {
        var page = new PageText();
        page.Line("F2", 26, "Certificate of completion", gapBefore: 0);
        page.Line("F1", 14, certificate.ModuleTitle, gapBefore: 14);
        page.Line("F1", 12, "awarded to", gapBefore: 26);
        page.Line("F2", 22, certificate.StudentName, gapBefore: 8);
        page.Line("F1", 12, $"on {certificate.IssuedOn.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}", gapBefore: 8);
        page.Line("F2", 13, "Achievements", gapBefore: 28);
        foreach (var achievement in certificate.Achievements)
        {
            page.Wrapped("F1", 11, $"\u2022 {achievement.Requirement}: {achievement.Result}", gapBefore: 4);
        }
        page.Line("F2", 11, "Verify this certificate at", gapBefore: 28);
        var linkTop = page.Y;
        page.Wrapped("F1", 9, verificationUrl, gapBefore: 4, breakAnywhere: true);
        var linkBottom = page.Y - 3;
        page.Line("F1", 9, $"Certificate {certificate.Id}, signed with key {certificate.KeyId} (ECDSA P-256).", gapBefore: 10);

        var stream = page.Content;
        var link = string.Create(CultureInfo.InvariantCulture,
            $"<< /Type /Annot /Subtype /Link /Rect [{Margin} {linkBottom:0.##} {PageWidth - Margin} {linkTop:0.##}] /Border [0 0 0] /A << /S /URI /URI {Literal(verificationUrl)} >> >>");
        string[] objects =
        [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            string.Create(CultureInfo.InvariantCulture,
                $"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PageWidth} {PageHeight}] /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >> /Contents 6 0 R /Annots [7 0 R] >>"),
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
            "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
            $"<< /Length {stream.Length} >>\nstream\n{stream}\nendstream",
            link,
        ];
        // Latin-1 bytes one for one: the content stream's strings are already WinAnsi codes.
        var pdf = new StringBuilder("%PDF-1.4\n%\u00e2\u00e3\u00cf\u00d3\n");
        var offsets = new List<int>();
        for (var i = 0; i < objects.Length; i++)
        {
            offsets.Add(pdf.Length);
            pdf.Append(CultureInfo.InvariantCulture, $"{i + 1} 0 obj\n{objects[i]}\nendobj\n");
        }
        var xref = pdf.Length;
        pdf.Append(CultureInfo.InvariantCulture, $"xref\n0 {objects.Length + 1}\n0000000000 65535 f \n");
        offsets.ForEach(offset => pdf.Append(CultureInfo.InvariantCulture, $"{offset:D10} 00000 n \n"));
        pdf.Append(CultureInfo.InvariantCulture, $"trailer\n<< /Size {objects.Length + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n");
        return Encoding.Latin1.GetBytes(pdf.ToString());
    }

    /// <summary>The page's text operators, top to bottom; <see cref="Y"/> is the baseline of the last line.</summary>
    private sealed class PageText
    {
        private readonly StringBuilder content = new();

        public double Y { get; private set; } = PageHeight - Margin;

        public string Content => content.ToString();

        public void Line(string font, double size, string text, double gapBefore)
        {
            Y -= gapBefore + (content.Length == 0 ? size : size * 1.2);
            content.Append(CultureInfo.InvariantCulture, $"BT /{font} {size} Tf {Margin} {Y:0.##} Td {Literal(text)} Tj ET\n");
        }

        /// <summary>Lines of at most the characters that fit the width at an average Helvetica glyph of half the size.</summary>
        public void Wrapped(string font, double size, string text, double gapBefore, bool breakAnywhere = false)
        {
            var perLine = (int)((PageWidth - 2 * Margin) / (size * 0.5));
            var lines = breakAnywhere ? text.Chunk(perLine).Select(c => new string(c)).ToList() : WordWrap(text, perLine);
            for (var i = 0; i < lines.Count; i++)
            {
                Line(font, size, lines[i], i == 0 ? gapBefore : 0);
            }
        }

        private static List<string> WordWrap(string text, int perLine)
        {
            var lines = new List<string> { "" };
            foreach (var word in text.Split(' '))
            {
                if (lines[^1].Length == 0)
                {
                    lines[^1] = word;
                }
                else if (lines[^1].Length + 1 + word.Length <= perLine)
                {
                    lines[^1] += " " + word;
                }
                else
                {
                    lines.Add(word);
                }
            }
            return lines;
        }
    }

    /// <summary>A PDF literal string in WinAnsi codes: backslash and parentheses escaped, characters it lacks as '?'.</summary>
    private static string Literal(string text)
    {
        var literal = new StringBuilder("(");
        foreach (var c in text)
        {
            literal.Append(c switch
            {
                '\\' or '(' or ')' => $"\\{c}",
                >= ' ' and <= '~' or >= '\u00a0' and <= '\u00ff' => c.ToString(),
                _ => WinAnsi.TryGetValue(c, out var code) ? code.ToString() : "?",
            });
        }
        return literal.Append(')').ToString();
    }

    /// <summary>The characters WinAnsiEncoding places at 0x80–0x9F (the rest of its upper half is Latin-1's).</summary>
    private static readonly Dictionary<char, char> WinAnsi = new()
    {
        ['\u20ac'] = '\u0080', ['\u2026'] = '\u0085', ['\u2018'] = '\u0091', ['\u2019'] = '\u0092', ['\u201c'] = '\u0093',
        ['\u201d'] = '\u0094', ['\u2022'] = '\u0095', ['\u2013'] = '\u0096', ['\u2014'] = '\u0097', ['\u2122'] = '\u0099',
    };
}
