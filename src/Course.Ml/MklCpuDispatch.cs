using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using TorchSharp;

namespace Course.Ml;

/// <summary>What <see cref="MklCpuDispatch.Apply"/> did, in words for the logs and the benches.</summary>
/// <param name="ByFeatures">Whether oneMKL picks its kernels by the CPU's features in this process.</param>
public sealed record MklDispatch(bool ByFeatures, string Reason);

/// <summary>
/// Lets the oneMKL linked into libtorch choose its fp32 GEMM kernels by what the CPU can do rather than by who made
/// it. oneMKL takes its AVX-512 code paths only where CPUID says "GenuineIntel": on an AMD CPU with AVX-512 (Zen 4,
/// Zen 5) it runs its AVX2 kernels, while ONNX Runtime's MLAS picks AVX-512 from the feature bits alone. That is
/// most of TorchSharp's gap to ONNX Runtime at one request of 32 tokens on such hosts, and all of it on Zen 5, whose
/// AVX-512 units are twice as wide (docs/benchmarks.md, "Inference").
/// <para>
/// oneMKL answers the vendor question once per process from a cache that <c>mkl_serv_intel_cpu_true</c> (exported
/// by libtorch_cpu) reads in its first instruction; the cache starts at −1 (not asked yet). Setting it to 1 before
/// the first GEMM makes oneMKL go on to its feature checks (AVX-512F, VNNI, BF16 …), which pick the kernels the CPU
/// really has. Nothing in the file changes; the instruction is checked before anything is written, and any other
/// build of libtorch is left as it is. Setting <c>Ml:MklKernelsByCpuFeatures</c> to false keeps oneMKL's own choice.
/// </para>
/// </summary>
public static class MklCpuDispatch
{
    /// <summary>How a grading receipt names the kernels: chosen by CPU features here, or as oneMKL chose them.</summary>
    public const string ByFeaturesName = "kernels by CPU features", OwnChoiceName = "kernels as oneMKL chose";

    private static readonly Lock Gate = new();
    private static MklDispatch? _applied;

    /// <summary>What the first call in this process did (null before it).</summary>
    public static MklDispatch? Applied
    {
        get
        {
            lock (Gate)
            {
                return _applied;
            }
        }
    }

    /// <summary>
    /// Once per process, before any GEMM (a process resolves <c>Ml:Device</c> through this first): with
    /// <paramref name="byFeatures"/>, makes oneMKL choose kernels by CPU features where that changes anything.
    /// Later calls return the first call's result: oneMKL has chosen by then.
    /// </summary>
    public static MklDispatch Apply(bool byFeatures)
    {
        lock (Gate)
        {
            return _applied ??= Decide(byFeatures);
        }
    }

    private static MklDispatch Decide(bool byFeatures)
    {
        if (!byFeatures)
        {
            return new(false, $"{MlOptions.Section}:{nameof(MlOptions.MklKernelsByCpuFeatures)} is false: oneMKL chooses by vendor");
        }
        if (!OperatingSystem.IsLinux() || RuntimeInformation.ProcessArchitecture != Architecture.X64)
        {
            return new(false, "oneMKL's own choice: the vendor check is bypassed only in libtorch for Linux x64");
        }
        var vendor = CpuVendor();
        if (vendor == "GenuineIntel")
        {
            return new(false, "oneMKL picks by features already: the CPU is GenuineIntel");
        }
        if (!Avx512F.IsSupported)
        {
            return new(false, $"oneMKL's own choice: this {vendor} CPU has no AVX-512, so its AVX2 kernels are the best either way");
        }
        torch.InitializeDeviceType(DeviceType.CPU); // libtorch_cpu loaded by TorchSharp, so the handle below is that one
        if (!NativeLibrary.TryLoad("libtorch_cpu.so", typeof(torch).Assembly, null, out var library)
            || !NativeLibrary.TryGetExport(library, "mkl_serv_intel_cpu_true", out var function))
        {
            return new(false, "oneMKL's own choice: libtorch_cpu exports no mkl_serv_intel_cpu_true (a libtorch without oneMKL)");
        }
        return SetVendorCache(function) switch
        {
            VendorCache.Set => new(true, $"oneMKL picks by CPU features on this {vendor} CPU (AVX-512 kernels)"),
            VendorCache.AlreadyAsked => new(false, "oneMKL's own choice: it had checked the CPU before this process set it (a GEMM ran first)"),
            _ => new(false, "oneMKL's own choice: mkl_serv_intel_cpu_true is not the code this was written for (oneMKL 2024.0), so nothing was written"),
        };
    }

    internal enum VendorCache { Set, AlreadyAsked, UnknownCode }

    /// <summary>
    /// Sets the vendor cache that <paramref name="function"/> (<c>mkl_serv_intel_cpu_true</c>) reads, if its code
    /// starts as oneMKL 2024's does: <c>mov eax, [rip + cache]; test eax, eax; js …</c> (8B 05 disp32 85 C0 78).
    /// </summary>
    internal static VendorCache SetVendorCache(IntPtr function)
    {
        ReadOnlySpan<(int Offset, byte Value)> expected = [(0, 0x8B), (1, 0x05), (6, 0x85), (7, 0xC0), (8, 0x78)];
        foreach (var (offset, value) in expected)
        {
            if (Marshal.ReadByte(function, offset) != value)
            {
                return VendorCache.UnknownCode;
            }
        }
        var cache = function + 6 + Marshal.ReadInt32(function, 2); // rip-relative: from the end of the 6-byte mov
        switch (Marshal.ReadInt32(cache))
        {
            case -1:
                Marshal.WriteInt32(cache, 1);
                return VendorCache.Set;
            case 1:
                return VendorCache.Set;
            default:
                return VendorCache.AlreadyAsked;
        }
    }

    private static string CpuVendor()
    {
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<byte> name = stackalloc byte[12];
        BitConverter.TryWriteBytes(name, ebx);
        BitConverter.TryWriteBytes(name[4..], edx);
        BitConverter.TryWriteBytes(name[8..], ecx);
        return System.Text.Encoding.ASCII.GetString(name);
    }
}
