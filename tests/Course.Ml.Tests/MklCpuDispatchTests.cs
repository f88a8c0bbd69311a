using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using TorchSharp;

namespace Course.Ml.Tests;

public class MklCpuDispatchTests
{
    /// <summary>
    /// Before any test runs a GEMM, as every process of the site resolves its device first: the tests then run the
    /// kernels the site runs (parity with ONNX Runtime, training, the pipelines).
    /// </summary>
    [ModuleInitializer]
    internal static void ChooseAsTheSiteDoes() => MklCpuDispatch.Apply(byFeatures: true);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate int IntelCpuTrue();

    [Fact]
    public void On_an_amd_cpu_with_avx512_onemkl_takes_its_intel_kernels_and_elsewhere_its_own_choice_stands()
    {
        var vendor = File.ReadLines("/proc/cpuinfo").First(l => l.StartsWith("vendor_id", StringComparison.Ordinal)).Split(':')[1].Trim();
        var expected = vendor != "GenuineIntel" && Avx512F.IsSupported && RuntimeInformation.ProcessArchitecture == Architecture.X64;

        var applied = MklCpuDispatch.Applied!;

        Assert.Equal(expected, applied.ByFeatures);
        var library = NativeLibrary.Load("libtorch_cpu.so", typeof(torch).Assembly, null);
        var intelCpuTrue = Marshal.GetDelegateForFunctionPointer<IntelCpuTrue>(NativeLibrary.GetExport(library, "mkl_serv_intel_cpu_true"));
        Assert.Equal(expected || vendor == "GenuineIntel" ? 1 : 0, intelCpuTrue());
        Assert.Contains(expected ? vendor : "own choice", applied.Reason);
    }

    [Fact]
    public void The_first_choice_holds_for_the_process()
    {
        var first = MklCpuDispatch.Applied!;

        Assert.Same(first, MklCpuDispatch.Apply(byFeatures: !first.ByFeatures));
    }

    [Theory]
    [InlineData(-1, "Set", 1)]           // not asked yet: set
    [InlineData(1, "Set", 1)]            // set before
    [InlineData(0, "AlreadyAsked", 0)]   // oneMKL asked and chose its AVX2 kernels: too late
    public void The_cache_is_set_only_before_onemkl_asked(int cached, string outcome, int after)
    {
        using var code = new FakeFunction([0x8B, 0x05], [0x85, 0xC0, 0x78, 0x01, 0xC3], cached);

        Assert.Equal(Enum.Parse<MklCpuDispatch.VendorCache>(outcome), MklCpuDispatch.SetVendorCache(code.Address));
        Assert.Equal(after, code.Cache);
    }

    [Theory]
    [InlineData(new byte[] { 0x8B, 0x0D }, new byte[] { 0x85, 0xC0, 0x78 })] // mov ecx: another register
    [InlineData(new byte[] { 0x8B, 0x05 }, new byte[] { 0x85, 0xC0, 0x79 })] // jns: another test
    [InlineData(new byte[] { 0xB8, 0x01 }, new byte[] { 0x00, 0x00, 0xC3 })] // mov eax, 1; ret: a patched library
    public void Code_other_than_onemkl_2024s_is_left_alone(byte[] load, byte[] test)
    {
        using var code = new FakeFunction(load, test, -1);

        Assert.Equal(MklCpuDispatch.VendorCache.UnknownCode, MklCpuDispatch.SetVendorCache(code.Address));
        Assert.Equal(-1, code.Cache);
    }

    /// <summary>Unmanaged bytes laid out as <c>mkl_serv_intel_cpu_true</c>: two opcode bytes, a rip-relative displacement to a cache 64 bytes on, then the test.</summary>
    private sealed class FakeFunction : IDisposable
    {
        private const int CacheOffset = 64;

        public FakeFunction(byte[] load, byte[] test, int cached)
        {
            Address = Marshal.AllocHGlobal(CacheOffset + 4);
            Marshal.Copy(load, 0, Address, load.Length);
            Marshal.WriteInt32(Address, 2, CacheOffset - 6);
            Marshal.Copy(test, 0, Address + 6, test.Length);
            Marshal.WriteInt32(Address, CacheOffset, cached);
        }

        public IntPtr Address { get; }

        public int Cache => Marshal.ReadInt32(Address, CacheOffset);

        public void Dispose() => Marshal.FreeHGlobal(Address);
    }
}
