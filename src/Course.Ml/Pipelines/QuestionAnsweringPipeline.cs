using Course.Ml.Models.Heads;
using Course.Ml.Tokenization;
using static TorchSharp.torch;

namespace Course.Ml.Pipelines;

/// <summary>Settings of HF's question-answering pipeline.</summary>
public sealed record QuestionAnsweringOptions
{
    public int TopK { get; init; } = 1;

    /// <summary>Tokens shared by consecutive windows of a long context.</summary>
    public int DocStride { get; init; } = 128;

    /// <summary>Longest answer, in tokens.</summary>
    public int MaxAnswerLength { get; init; } = 15;

    /// <summary>Window length (question + context + special tokens).</summary>
    public int MaxSeqLength { get; init; } = 384;

    /// <summary>
    /// run_qa's <c>n_best_size</c>: a span starts at one of the n most probable start tokens and ends at one of the n
    /// most probable end tokens of the window's context; null considers every span (the pipeline's way).
    /// </summary>
    public int? NBestSize { get; init; }
}

/// <summary>
/// Extractive QA: the context is cut into overlapping windows, each window scores every (start, end) span
/// inside the context as p(start) · p(end), and the best spans across windows are returned with character
/// offsets into the context.
/// </summary>
public sealed class QuestionAnsweringPipeline(string modelId, PreTrainedTokenizer tokenizer, BertForQuestionAnswering model, PipelineOptions options)
    : Pipeline(QuestionAnswering, modelId, tokenizer, model, options)
{
    public IReadOnlyList<QuestionAnswer> Run(string question, string context, QuestionAnsweringOptions? settings = null) =>
        Run([(question, context)], settings)[0];

    /// <summary>Several questions, each with its context; the windows of all of them are batched together.</summary>
    public IReadOnlyList<IReadOnlyList<QuestionAnswer>> Run(IReadOnlyList<(string Question, string Context)> inputs, QuestionAnsweringOptions? settings = null,
        int batchSize = 1)
    {
        settings ??= new QuestionAnsweringOptions();
        return Run(inputs.Select(input => (input.Question, input.Context, settings)).ToList(), batchSize);
    }

    /// <summary>Questions each with its own settings, their windows batched together: a server batching several users' requests.</summary>
    public IReadOnlyList<IReadOnlyList<QuestionAnswer>> Run(IReadOnlyList<(string Question, string Context, QuestionAnsweringOptions Settings)> inputs, int batchSize) =>
        RunBatched(inputs, batchSize,
            input =>
            {
                if (input.Settings.TopK < 1)
                {
                    throw new ArgumentException("top_k must be at least 1.");
                }
                return Windows(input.Question, input.Context, input.Settings);
            },
            (ids, mask, types) =>
            {
                var output = model.forward(ids, mask, types);
                return stack([output.StartLogits, output.EndLogits], dim: 1); // (windows, 2, tokens)
            },
            (input, rows) =>
            {
                var candidates = new List<QuestionAnswer>();
                foreach (var (window, logits) in rows)
                {
                    var length = logits.Length / 2;
                    candidates.AddRange(Decode(window, logits.AsSpan(0, length), logits.AsSpan(length, length), input.Context, input.Settings));
                }
                // The same span can win in two overlapping windows: keep its best score.
                return (IReadOnlyList<QuestionAnswer>)candidates
                    .GroupBy(a => (a.Start, a.End))
                    .Select(g => g.MaxBy(a => a.Score)!)
                    .OrderByDescending(a => a.Score)
                    .Take(input.Settings.TopK)
                    .ToList();
            });

    /// <summary>The question with overlapping windows of its context, as many as the context needs.</summary>
    private List<Tokenization.Encoding> Windows(string question, string context, QuestionAnsweringOptions settings)
    {
        CheckText(question, "question");
        CheckText(context, "context");
        var maxLength = Math.Min(settings.MaxSeqLength, Tokenizer.ModelMaxLength);
        var room = maxLength - Tokenizer.NumSpecialTokensToAdd(pair: true) - Tokenizer.Encode(question, options: new TokenizerOptions { AddSpecialTokens = false }).Length;
        if (room < 2)
        {
            throw new ArgumentException($"The question is too long: it leaves no room for the context in {maxLength} tokens.");
        }
        var first = Tokenizer.Encode(question, context, new TokenizerOptions
        {
            Truncation = TruncationStrategy.OnlySecond,
            MaxLength = maxLength,
            Stride = Math.Min(settings.DocStride, room - 1),
            ReturnOverflowingTokens = true,
        });
        return first.Overflowing.Prepend(first).ToList();
    }

    /// <summary>Best spans of one window from its start/end logits (only context tokens may answer).</summary>
    public static IReadOnlyList<QuestionAnswer> Decode(Tokenization.Encoding window, ReadOnlySpan<float> startLogits, ReadOnlySpan<float> endLogits,
        string context, QuestionAnsweringOptions settings)
    {
        var inContext = window.SequenceIds.Select(s => s == 1).ToArray();
        float[] Masked(ReadOnlySpan<float> logits)
        {
            var copy = logits.ToArray();
            for (var i = 0; i < copy.Length; i++)
            {
                if (!inContext[i]) copy[i] = -10_000f;
            }
            return Softmax(copy);
        }
        var pStart = Masked(startLogits);
        var pEnd = Masked(endLogits);
        bool[] Candidates(float[] probabilities)
        {
            if (settings.NBestSize is not { } n)
            {
                return inContext;
            }
            var best = new bool[probabilities.Length];
            foreach (var i in Enumerable.Range(0, probabilities.Length).Where(i => inContext[i]).OrderByDescending(i => probabilities[i]).Take(n))
            {
                best[i] = true;
            }
            return best;
        }
        var (starts, ends) = (Candidates(pStart), Candidates(pEnd));

        var spans = new List<(int Start, int End, float Score)>();
        for (var s = 0; s < pStart.Length; s++)
        {
            if (!starts[s]) continue;
            for (var e = s; e < Math.Min(pEnd.Length, s + settings.MaxAnswerLength); e++)
            {
                if (ends[e]) spans.Add((s, e, pStart[s] * pEnd[e]));
            }
        }
        return spans.OrderByDescending(x => x.Score).Take(settings.TopK).Select(x =>
        {
            var (start, end) = (window.OffsetMapping[x.Start].Start, window.OffsetMapping[x.End].End);
            return new QuestionAnswer(x.Score, start, end, context[start..end]);
        }).ToList();
    }
}
