using System.Xml.Linq;
using Course.Core.Configuration;
using Microsoft.AspNetCore.DataProtection.Repositories;

namespace Course.Web.Features.Security;

/// <summary>
/// The data-protection key ring on disk, readable by the site's account only: the folder is 0700 before the
/// first key is written and every key file is narrowed to 0600. Anyone who reads a key can forge sign-in cookies.
/// </summary>
internal sealed class OwnerOnlyXmlRepository(string folder, ILoggerFactory logging) : IXmlRepository
{
    private readonly FileSystemXmlRepository _files = new(new DirectoryInfo(OwnerOnly.CreateFolder(folder)), logging);

    public IReadOnlyCollection<XElement> GetAllElements() => _files.GetAllElements();

    public void StoreElement(XElement element, string friendlyName)
    {
        _files.StoreElement(element, friendlyName);
        foreach (var file in Directory.EnumerateFiles(folder, "*.xml"))
        {
            OwnerOnly.CreateFile(file);
        }
    }
}
