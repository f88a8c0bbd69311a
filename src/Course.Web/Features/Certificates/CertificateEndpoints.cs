using Microsoft.AspNetCore.Http.Extensions;

namespace Course.Web.Features.Certificates;

/// <summary>
/// A certificate's PDF, public like its verification page: the id is 128 random bits, which only the student and
/// those they hand the link to know. The link printed inside points at the site as this request reached it.
/// </summary>
public static class CertificateEndpoints
{
    public static void MapCertificateEndpoints(this IEndpointRouteBuilder app) =>
        app.MapGet("/certificates/{id}/certificate.pdf", async (string id, HttpRequest request, CertificateService certificates, CancellationToken cancellationToken) =>
            await certificates.PdfAsync(id, UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase), cancellationToken) is { } pdf
                ? Results.File(pdf, "application/pdf", $"certificate-{id}.pdf")
                : Results.NotFound());
}
