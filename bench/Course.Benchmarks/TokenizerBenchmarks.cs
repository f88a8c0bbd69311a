using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Course.Ml.Tokenization;
using MlBert = Microsoft.ML.Tokenizers.BertTokenizer;

namespace Course.Benchmarks;

/// <summary>
/// WordPiece on one thread over the same 2,000 SST-2 sentences: ours (full HF encoding, and the
/// tokenize step alone) against Microsoft.ML.Tokenizers' BertTokenizer and FastBertTokenizer.
/// The throughput column divides the tokens ours produces (special tokens included) by the mean time.
/// </summary>
[Config(typeof(ThroughputConfig))]
public class WordPieceBenchmarks
{
    private string[] _sentences = [];
    private BertWordPieceTokenizer _ours = default!;
    private MlBert _microsoft = default!;
    private FastBertTokenizer.BertTokenizer _fast = default!;
    private readonly List<Piece> _pieces = new(512);
    private readonly long[] _ids = new long[512], _mask = new long[512], _types = new long[512];

    public static long TokensPerOperation;

    [GlobalSetup]
    public void Setup()
    {
        _sentences = BenchData.Sst2Sentences(2000);
        var vocab = BenchData.VocabFile();
        _ours = BertWordPieceTokenizer.FromVocabFile("bench", vocab);
        _microsoft = MlBert.Create(vocab, new Microsoft.ML.Tokenizers.BertOptions { LowerCaseBeforeTokenization = true });
        _fast = new FastBertTokenizer.BertTokenizer();
        using var reader = new StreamReader(vocab);
        _fast.LoadVocabulary(reader, convertInputToLowercase: true);
        TokensPerOperation = _sentences.Sum(s => _ours.Encode(s).Length);
    }

    [Benchmark(Baseline = true, Description = "ours: Encode (ids, masks, offsets, word ids)")]
    public int OursEncode()
    {
        var n = 0;
        foreach (var s in _sentences) n += _ours.Encode(s).Length;
        return n;
    }

    [Benchmark(Description = "ours: Tokenize (ids, offsets, word ids)")]
    public int OursTokenize()
    {
        var n = 0;
        foreach (var s in _sentences)
        {
            _pieces.Clear();
            _ours.Tokenize(s, _pieces);
            n += _pieces.Count + 2;
        }
        return n;
    }

    [Benchmark(Description = "Microsoft.ML.Tokenizers BertTokenizer: EncodeToIds")]
    public int MicrosoftEncodeToIds()
    {
        var n = 0;
        foreach (var s in _sentences) n += _microsoft.EncodeToIds(s).Count;
        return n;
    }

    [Benchmark(Description = "FastBertTokenizer: Encode (ids, mask, types)")]
    public int FastBertEncode()
    {
        var n = 0;
        foreach (var s in _sentences) n += _fast.Encode(s, _ids, _mask, _types);
        return n;
    }
}

/// <summary>Byte-level BPE over the same 2,000 SST-2 sentences: ours against raw Microsoft.ML.Tokenizers (one thread).</summary>
[Config(typeof(ThroughputConfig))]
public class BpeBenchmarks
{
    private string[] _sentences = [];
    private ByteLevelBpeTokenizer _ours = default!;
    private Microsoft.ML.Tokenizers.TiktokenTokenizer _raw = default!;
    private readonly List<Piece> _pieces = new(512);

    public static long BytesPerOperation;

    [Params("gpt2", "cl100k_base")]
    public string Encoding { get; set; } = "gpt2";

    [GlobalSetup]
    public void Setup()
    {
        _sentences = BenchData.Sst2Sentences(2000);
        BytesPerOperation = _sentences.Sum(s => System.Text.Encoding.UTF8.GetByteCount(s));
        (_ours, _raw) = Encoding == "gpt2"
            ? (ByteLevelBpeTokenizer.Gpt2(), Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForModel("gpt2"))
            : (ByteLevelBpeTokenizer.Cl100kBase(), Microsoft.ML.Tokenizers.TiktokenTokenizer.CreateForEncoding("cl100k_base"));
    }

    [Benchmark(Baseline = true, Description = "raw Microsoft.ML.Tokenizers: EncodeToTokens")]
    public int Raw()
    {
        var n = 0;
        foreach (var s in _sentences) n += _raw.EncodeToTokens(s, out _).Count;
        return n;
    }

    [Benchmark(Description = "ours: Tokenize (ids, offsets; word ids on demand)")]
    public int Ours()
    {
        var n = 0;
        foreach (var s in _sentences)
        {
            _pieces.Clear();
            _ours.Tokenize(s, _pieces);
            n += _pieces.Count;
        }
        return n;
    }

    [Benchmark(Description = "ours: Encode (ids, masks, offsets, HF token view)")]
    public int OursEncode()
    {
        var n = 0;
        foreach (var s in _sentences) n += _ours.Encode(s).Length;
        return n;
    }
}

/// <summary>One thread, in-process (so the native patch and data paths apply), with a throughput column.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig()
    {
        // Fixed counts: on a 2-core machine shared with other work the default job may not converge.
        AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(15).WithToolchain(BenchmarkDotNet.Toolchains.InProcess.Emit.InProcessEmitToolchain.Instance));
        AddColumn(new ThroughputColumn());
        WithOptions(ConfigOptions.DisableOptimizationsValidator);
    }
}

public sealed class ThroughputColumn : IColumn
{
    public string Id => nameof(ThroughputColumn);
    public string ColumnName => "Throughput";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "WordPiece: million tokens/s; BPE: MiB of UTF-8 text/s";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is not { } stats)
        {
            return "-";
        }
        var seconds = stats.Mean / 1e9;
        return benchmarkCase.Descriptor.Type == typeof(WordPieceBenchmarks)
            ? $"{WordPieceBenchmarks.TokensPerOperation / seconds / 1e6:F2} M tok/s"
            : $"{BpeBenchmarks.BytesPerOperation / seconds / (1024 * 1024):F1} MiB/s";
    }
}
