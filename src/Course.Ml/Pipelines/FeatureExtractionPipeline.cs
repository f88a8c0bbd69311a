using Course.Ml.Models.Bert;
using Course.Ml.Tokenization;
using static TorchSharp.torch;

namespace Course.Ml.Pipelines;

/// <summary>The encoder's last hidden state, one vector per token (special tokens included), as HF returns it.</summary>
public sealed class FeatureExtractionPipeline(string modelId, PreTrainedTokenizer tokenizer, BertModel model, PipelineOptions options)
    : Pipeline(FeatureExtraction, modelId, tokenizer, model, options)
{
    /// <returns>[tokens][hidden_size]</returns>
    public float[][] Run(string text)
    {
        CheckText(text);
        var encoding = Tokenizer.Encode(text, options: Truncated);
        using var scope = NewDisposeScope();
        using var noGrad = inference_mode();
        using var output = model.forward(Batch([encoding], e => e.InputIds), AttentionMask([encoding]), Batch([encoding], e => e.TokenTypeIds));
        var hidden = (int)output.LastHiddenState.shape[2];
        var values = output.LastHiddenState.data<float>().ToArray();
        return Enumerable.Range(0, encoding.Length).Select(t => values.AsSpan(t * hidden, hidden).ToArray()).ToArray();
    }
}
