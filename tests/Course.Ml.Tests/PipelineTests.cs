using Course.Ml.Hub;
using Course.Ml.Hub.Import;
using Course.Ml.Models;
using Course.Ml.Models.Bert;
using Course.Ml.Models.Heads;
using Course.Ml.Pipelines;
using Course.Ml.Tokenization;
using static TorchSharp.torch;

namespace Course.Ml.Tests;

/// <summary>Postprocessing on hand-made logits and probabilities: no model involved.</summary>
public class PipelinePostprocessingTests
{
    private static readonly string[] NerLabels = ["O", "B-ORG", "I-ORG", "B-LOC", "I-LOC"];

    private static TokenScores Token(int index, string token, int start, int end, int word, params float[] probabilities) =>
        new(index, token, start, end, word, probabilities);

    // "Hugging Face opened in Paris": hu ##gging face opened in paris
    private static readonly TokenScores[] Tokens =
    [
        Token(1, "hu", 0, 2, 0, 0.1f, 0.8f, 0.1f, 0, 0),
        Token(2, "##gging", 2, 7, 0, 0.1f, 0.2f, 0.7f, 0, 0),
        Token(3, "face", 8, 12, 1, 0.1f, 0.1f, 0.8f, 0, 0),
        Token(4, "opened", 13, 19, 2, 0.9f, 0.05f, 0.05f, 0, 0),
        Token(5, "in", 20, 22, 3, 0.95f, 0, 0, 0.05f, 0),
        Token(6, "paris", 23, 28, 4, 0.1f, 0, 0, 0.9f, 0),
    ];

    [Fact]
    public void Strategy_none_returns_every_non_o_token_with_its_label_and_index()
    {
        var entities = TokenClassificationPipeline.Aggregate(Tokens, NerLabels, AggregationStrategy.None, Tokenizers.Bert);

        Assert.Equal([("B-ORG", 1, "hu"), ("I-ORG", 2, "##gging"), ("I-ORG", 3, "face"), ("B-LOC", 6, "paris")],
            entities.Select(e => (e.Entity!, e.Index!.Value, e.Word)));
        Assert.Equal(0.8f, entities[0].Score);
    }

    [Fact]
    public void Strategy_simple_groups_b_and_following_i_tokens_into_spans_with_mean_scores()
    {
        var entities = TokenClassificationPipeline.Aggregate(Tokens, NerLabels, AggregationStrategy.Simple, Tokenizers.Bert);

        Assert.Equal(2, entities.Count);
        Assert.Equal(("ORG", "hugging face", 0, 12), (entities[0].EntityGroup, entities[0].Word, entities[0].Start, entities[0].End));
        Assert.Equal((0.8f + 0.7f + 0.8f) / 3, entities[0].Score, 5);
        Assert.Equal(("LOC", "paris", 23, 28), (entities[1].EntityGroup, entities[1].Word, entities[1].Start, entities[1].End));
    }

    [Fact]
    public void A_new_b_tag_starts_a_new_entity_even_with_the_same_type()
    {
        TokenScores[] tokens = [Token(1, "paris", 0, 5, 0, 0, 0, 0, 0.9f, 0), Token(2, "london", 6, 12, 1, 0, 0, 0, 0.8f, 0)];

        var entities = TokenClassificationPipeline.Aggregate(tokens, NerLabels, AggregationStrategy.Simple, Tokenizers.Bert);

        Assert.Equal(["paris", "london"], entities.Select(e => e.Word));
    }

    [Fact]
    public void Word_strategies_decide_a_word_from_its_sub_tokens_differently()
    {
        // One word, two sub-tokens: the first says B-ORG weakly, the second says B-LOC strongly.
        TokenScores[] word =
        [
            Token(1, "new", 0, 3, 0, 0.1f, 0.5f, 0, 0.4f, 0),
            Token(2, "##ark", 3, 6, 0, 0.05f, 0.05f, 0, 0.9f, 0),
        ];

        string Group(AggregationStrategy s) => TokenClassificationPipeline.Aggregate(word, NerLabels, s, Tokenizers.Bert).Single().EntityGroup!;

        Assert.Equal("ORG", Group(AggregationStrategy.First));
        Assert.Equal("LOC", Group(AggregationStrategy.Max));
        Assert.Equal("LOC", Group(AggregationStrategy.Average));
        var average = TokenClassificationPipeline.Aggregate(word, NerLabels, AggregationStrategy.Average, Tokenizers.Bert).Single();
        Assert.Equal((0.4f + 0.9f) / 2, average.Score, 5);
        Assert.Equal("newark", average.Word);
    }

    [Fact]
    public void Question_answering_picks_the_best_span_inside_the_context_only()
    {
        const string question = "Where is Ada?";
        const string context = "Ada lives in London near the river.";
        var window = Tokenizers.Bert.Encode(question, context);
        var start = new float[window.Length];
        var end = new float[window.Length];
        var london = Array.IndexOf(window.Tokens, "london");
        var river = Array.IndexOf(window.Tokens, "river");
        start[london] = end[london] = 8;
        start[river] = 5;
        end[river] = 5;
        start[2] = end[2] = 20; // "is", in the question: never an answer

        var answers = QuestionAnsweringPipeline.Decode(window, start, end, context, new QuestionAnsweringOptions { TopK = 2 });

        Assert.Equal("London", answers[0].Answer);
        Assert.Equal((13, 19), (answers[0].Start, answers[0].End));
        Assert.True(answers[0].Score > answers[1].Score);
        Assert.Equal("London near the river", answers[1].Answer);
    }

    [Fact]
    public void Question_answering_respects_the_maximum_answer_length()
    {
        const string context = "one two three four five six";
        var window = Tokenizers.Bert.Encode("which?", context);
        var start = new float[window.Length];
        var end = new float[window.Length];
        start[Array.IndexOf(window.Tokens, "one")] = 10;
        end[Array.IndexOf(window.Tokens, "six")] = 10;

        var answer = QuestionAnsweringPipeline.Decode(window, start, end, context, new QuestionAnsweringOptions { MaxAnswerLength = 3 }).Single();

        Assert.True(answer.Answer.Split(' ').Length <= 3);
    }

    [Fact]
    public void Text_classification_scores_are_the_softmax_of_the_logits_best_first()
    {
        var result = TextClassificationPipeline.Postprocess([2.0f, 1.0f, 0.1f], ["negative", "neutral", "positive"]);

        Assert.Equal(["negative", "neutral", "positive"], result.Scores.Select(s => s.Label));
        Assert.Equal(0.659, result.Scores[0].Score, 3);
        Assert.Equal(1.0, result.Scores.Sum(s => s.Score), 5);
        Assert.Equal([2.0f, 1.0f, 0.1f], result.Logits);
    }

    [Fact]
    public void Fill_mask_returns_top_k_tokens_with_the_completed_sequence()
    {
        var ids = Tokenizers.Bert.Encode("The capital of France is [MASK].").InputIds;
        var position = Array.IndexOf(ids, 103);
        var logits = new float[Tokenizers.Bert.VocabSize];
        logits[Tokenizers.Bert.TokenToId("paris")!.Value] = 10;
        logits[Tokenizers.Bert.TokenToId("lyon")!.Value] = 8;

        var predictions = FillMaskPipeline.Postprocess(ids, position, logits, 2, Tokenizers.Bert);

        Assert.Equal(["paris", "lyon"], predictions.Select(p => p.TokenStr));
        Assert.Equal("the capital of france is paris.", predictions[0].Sequence);
        var expected = Math.Exp(10) / (Math.Exp(10) + Math.Exp(8) + (Tokenizers.Bert.VocabSize - 2));
        Assert.Equal(expected, predictions[0].Score, 4);
    }
}

/// <summary>Each pipeline end to end on tiny random models with the real vocabulary, saved into a temporary hub.</summary>
public sealed class PipelineIntegrationTests : IDisposable
{
    private static readonly BertConfig Tiny = new() { HiddenSize = 16, NumHiddenLayers = 1, NumAttentionHeads = 2, IntermediateSize = 32, MaxPositionEmbeddings = 64 };

    private readonly ModelHub _hub = new(Directory.CreateTempSubdirectory("course-pipelines-").FullName);

    private string Save(string name, nn.Module model, BertConfig config)
    {
        var id = $"test/{name}";
        PreTrainedBert.Save(model, config, _hub.PathOf(id));
        var packaged = (OnnxPackagedBert)PackagedModels.Find("sentence-transformers/all-MiniLM-L6-v2")!;
        File.WriteAllBytes(Path.Combine(_hub.PathOf(id), "vocab.txt"), PackagedResources.Read(packaged.AssemblyPath, ".Resources.vocab.txt"));
        File.WriteAllText(Path.Combine(_hub.PathOf(id), "tokenizer_config.json"), """{"do_lower_case": true, "model_max_length": 64}""");
        return id;
    }

    [Fact]
    public void Text_classification_returns_every_label_with_probabilities()
    {
        manual_seed(11);
        var config = Tiny.WithLabels(["negative", "neutral", "positive"]);
        var id = Save("sentiment", new BertForSequenceClassification(config), config);

        using var pipeline = (TextClassificationPipeline)Pipeline.Create(Pipeline.TextClassification, id, _hub, CPU);
        var result = pipeline.Run("The battery died after two days.");

        Assert.Equal(["negative", "neutral", "positive"], result.Scores.Select(s => s.Label).Order());
        Assert.Equal(1.0, result.Scores.Sum(s => s.Score), 4);
        Assert.Equal(3, result.Logits.Length);
    }

    [Fact]
    public void Attention_of_a_fine_tuned_checkpoint_is_the_encoders_output_attentions_with_cls_and_sep_shares()
    {
        manual_seed(11);
        var config = Tiny.WithLabels(["negative", "positive"]) with { NumHiddenLayers = 2 };
        var id = Save("attention", new BertForSequenceClassification(config), config);

        using var pipeline = (AttentionPipeline)Pipeline.Create(Pipeline.Attention, id, _hub, CPU);
        var maps = pipeline.Run("The cat sat.", "It was tired.");

        Assert.Equal(["[CLS]", "the", "cat", "sat", ".", "[SEP]", "it", "was", "tired", ".", "[SEP]"], maps.Tokens);
        Assert.Equal(6, maps.SentenceBStart);
        Assert.Equal("2 × (1, 2, 11, 11)", maps.Shape);
        // The classifier's checkpoint loads into the bare encoder (keys lose "bert."): its attention is the model's.
        using var model = AutoModel.FromPretrained(id, _hub);
        var encoding = pipeline.Tokenizer.Encode("The cat sat.", "It was tired.");
        using var ids = tensor(encoding.InputIds.Select(i => (long)i).ToArray(), [1, encoding.Length]);
        using var types = tensor(encoding.TokenTypeIds!.Select(i => (long)i).ToArray(), [1, encoding.Length]);
        using (no_grad())
        using (var output = model.forward(ids, tokenTypeIds: types, outputAttentions: true))
        {
            for (var layer = 0; layer < 2; layer++)
            {
                Assert.Equal(output.Attentions![layer][0].data<float>().ToArray(), maps.Attentions[layer].SelectMany(h => h.SelectMany(row => row)).ToArray());
            }
        }
        // [CLS] is column 0 and [SEP] columns 5 and 10; a share is the mean over the 11 queries.
        var head = maps.Attentions[1][1];
        Assert.Equal(head.Average(row => row[0]), maps.ClsShare[1][1], 6);
        Assert.Equal(head.Average(row => row[5] + row[10]), maps.SepShare[1][1], 6);
    }

    [Fact]
    public void Attention_refuses_empty_text_and_inputs_longer_than_asked_for()
    {
        manual_seed(11);
        var id = Save("attention-limits", new BertModel(Tiny), Tiny);
        using var pipeline = (AttentionPipeline)Pipeline.Create(Pipeline.Attention, id, _hub, CPU);

        Assert.Equal("The text is empty.", Assert.Throws<PipelineInputException>(() => pipeline.Run(" ")).Message);
        Assert.Equal("The input makes 6 tokens ([CLS] and [SEP] included); at most 5 are shown: shorten it.",
            Assert.Throws<PipelineInputException>(() => pipeline.Run([("one two three four", null)], maxTokens: 5)).Message);
        Assert.Equal(6, pipeline.Run([("one two three four", null)], maxTokens: 6)[0].Tokens.Count);
    }

    [Fact]
    public void A_saved_class_bias_is_added_to_the_logits_before_the_softmax()
    {
        manual_seed(16);
        var config = Tiny.WithLabels(["negative", "neutral", "positive"]);
        using var model = new BertForSequenceClassification(config);
        var plainId = Save("plain", model, config);
        var biasedId = Save("biased", model, config with { ClassBias = [0, -2.5, 40] });
        const string text = "The battery died after two days.";

        using var plain = (TextClassificationPipeline)Pipeline.Create(Pipeline.TextClassification, plainId, _hub, CPU);
        using var biased = (TextClassificationPipeline)Pipeline.Create(Pipeline.TextClassification, biasedId, _hub, CPU);
        var (raw, result) = (plain.Run(text).Logits, biased.Run(text));

        Assert.Equal([raw[0], (float)(raw[1] - 2.5), (float)(raw[2] + 40.0)], result.Logits);
        Assert.Equal("positive", result.Scores[0].Label); // a tiny random head's logits are far closer than 40
        var expected = TextClassificationPipeline.Postprocess(result.Logits, config.Labels);
        Assert.Equal(expected.Scores, result.Scores);
    }

    [Fact]
    public void A_class_bias_of_the_wrong_length_in_config_json_is_refused_with_its_path()
    {
        var config = Tiny.WithLabels(["negative", "positive"]) with { ClassBias = [0, 1, 2] };
        var path = Path.Combine(_hub.PathOf("test/bad-bias"), "config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        config.Save(path);

        var error = Assert.Throws<InvalidDataException>(() => BertConfig.Load(path));

        Assert.Equal($"{path}: class_bias must hold 2 finite numbers (one per label of id2label), not [0, 1, 2].", error.Message);
    }

    [Fact]
    public void Token_classification_returns_entities_whose_offsets_point_into_the_text()
    {
        manual_seed(12);
        var config = Tiny.WithLabels(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]);
        var id = Save("ner", new BertForTokenClassification(config), config);
        const string text = "Ada Lovelace lived in London.";

        using var pipeline = (TokenClassificationPipeline)Pipeline.Create(Pipeline.TokenClassification, id, _hub, CPU);
        var tokens = pipeline.Run(text, AggregationStrategy.None);

        Assert.All(tokens, t => Assert.Equal(t.Word.TrimStart('#'), text[t.Start..t.End].ToLowerInvariant()));
        Assert.All(pipeline.Run(text, AggregationStrategy.First), e => Assert.Contains(e.EntityGroup!, new[] { "PER", "LOC" }));
    }

    [Fact]
    public void Question_answering_answers_with_a_span_of_the_context_across_windows()
    {
        manual_seed(13);
        var id = Save("qa", new BertForQuestionAnswering(Tiny), Tiny);
        var context = string.Join(" ", Enumerable.Range(1, 40).Select(i => $"Sentence number {i} mentions item {i}."));

        using var pipeline = (QuestionAnsweringPipeline)Pipeline.Create(Pipeline.QuestionAnswering, id, _hub, CPU);
        var answers = pipeline.Run("Which item?", context, new QuestionAnsweringOptions { TopK = 3, DocStride = 8, MaxSeqLength = 64 });

        Assert.Equal(3, answers.Count);
        Assert.All(answers, a => Assert.Equal(a.Answer, context[a.Start..a.End]));
        Assert.True(answers[0].Score >= answers[1].Score);
    }

    [Fact]
    public void Fill_mask_and_feature_extraction_run_on_their_models()
    {
        manual_seed(14);
        var mlm = Save("mlm", new BertForMaskedLM(Tiny), Tiny);
        var encoder = Save("encoder", new BertModel(Tiny), Tiny);

        using var fill = (FillMaskPipeline)Pipeline.Create(Pipeline.FillMask, mlm, _hub, CPU);
        var predictions = fill.Run("Paris is the [MASK] of France.");
        Assert.Equal(5, predictions.Count);
        Assert.All(predictions, p => Assert.DoesNotContain("[MASK]", p.Sequence));

        using var features = (FeatureExtractionPipeline)Pipeline.Create(Pipeline.FeatureExtraction, encoder, _hub, CPU);
        var vectors = features.Run("hello world");
        Assert.Equal(4, vectors.Length);
        Assert.All(vectors, v => Assert.Equal(16, v.Length));
    }

    [Fact]
    public void Bad_inputs_and_missing_heads_get_clear_errors()
    {
        var encoder = Save("plain", new BertModel(Tiny), Tiny);
        var missingHead = Assert.Throws<InvalidOperationException>(() => Pipeline.Create(Pipeline.TextClassification, encoder, _hub, CPU));
        Assert.Contains("has no trained text-classification head", missingHead.Message);

        var unknownTask = Assert.Throws<ArgumentException>(() => Pipeline.Create("summarization", encoder, _hub, CPU));
        Assert.Contains("Unknown task 'summarization'", unknownTask.Message);

        var mlm = Save("mlm-errors", new BertForMaskedLM(Tiny), Tiny);
        using var fill = (FillMaskPipeline)Pipeline.Create(Pipeline.FillMask, mlm, _hub, CPU);
        Assert.Contains("exactly one [MASK]", Assert.Throws<PipelineInputException>(() => fill.Run("no mask here")).Message);
        Assert.Contains("is empty", Assert.Throws<PipelineInputException>(() => fill.Run("  ")).Message);
        Assert.Contains("at most 20,000", Assert.Throws<PipelineInputException>(() => fill.Run(new string('a', 20_001))).Message);
    }

    // Lengths differ, so each batch pads; 5 inputs in batches of 2 leave a last batch of one.
    private static readonly string[] Texts =
    [
        "Ada Lovelace lived in London.", "Paris.", "The battery died after two days and support never answered my emails.",
        "It does the job.", "Siemens opened a research centre in Munich on Tuesday.",
    ];

    [Fact]
    public void Batched_classification_and_tagging_equal_one_input_at_a_time()
    {
        manual_seed(15);
        var sentiment = Tiny.WithLabels(["negative", "neutral", "positive"]);
        using var classify = (TextClassificationPipeline)Pipeline.Create(Pipeline.TextClassification,
            Save("batch-sentiment", new BertForSequenceClassification(sentiment), sentiment), _hub, CPU);
        var tags = Tiny.WithLabels(["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]);
        using var tag = (TokenClassificationPipeline)Pipeline.Create(Pipeline.TokenClassification,
            Save("batch-ner", new BertForTokenClassification(tags), tags), _hub, CPU);

        var batched = classify.Run(Texts, batchSize: 2);
        var entities = tag.Run(Texts, AggregationStrategy.None, batchSize: 2);

        Assert.Equal(Texts.Length, batched.Count);
        for (var i = 0; i < Texts.Length; i++)
        {
            var single = classify.Run(Texts[i]);
            Assert.Equal(single.Scores.Select(s => s.Label), batched[i].Scores.Select(s => s.Label));
            Assert.Equal(single.Logits, batched[i].Logits, (a, b) => Math.Abs(a - b) < 1e-5);
            var alone = tag.Run(Texts[i], AggregationStrategy.None);
            Assert.Equal(alone.Select(e => (e.Entity, e.Index, e.Start, e.End)), entities[i].Select(e => (e.Entity, e.Index, e.Start, e.End)));
            Assert.Equal(alone.Select(e => e.Score), entities[i].Select(e => e.Score), (a, b) => Math.Abs(a - b) < 1e-5);
        }
    }

    [Fact]
    public void Batched_question_answering_fill_mask_and_features_equal_one_input_at_a_time()
    {
        manual_seed(16);
        using var qa = (QuestionAnsweringPipeline)Pipeline.Create(Pipeline.QuestionAnswering, Save("batch-qa", new BertForQuestionAnswering(Tiny), Tiny), _hub, CPU);
        using var fill = (FillMaskPipeline)Pipeline.Create(Pipeline.FillMask, Save("batch-mlm", new BertForMaskedLM(Tiny), Tiny), _hub, CPU);
        using var features = (FeatureExtractionPipeline)Pipeline.Create(Pipeline.FeatureExtraction, Save("batch-encoder", new BertModel(Tiny), Tiny), _hub, CPU);
        // The long context needs several windows, which share batches with the other questions' single windows.
        var questions = new List<(string Question, string Context)>
        {
            ("Which item?", string.Join(" ", Enumerable.Range(1, 30).Select(i => $"Sentence number {i} mentions item {i}."))),
            ("Where?", "Ada Lovelace lived in London."),
            ("Who opened it?", "Siemens opened a research centre in Munich on Tuesday."),
        };
        var settings = new QuestionAnsweringOptions { TopK = 2, DocStride = 8, MaxSeqLength = 48 };
        var masked = Texts.Select(t => t.Replace(".", " [MASK].")).ToList();

        var answers = qa.Run(questions, settings, batchSize: 3);
        var fills = fill.Run(masked, topK: 3, batchSize: 2);
        var vectors = features.Run(Texts, batchSize: 2);

        for (var i = 0; i < questions.Count; i++)
        {
            var alone = qa.Run(questions[i].Question, questions[i].Context, settings);
            Assert.Equal(alone.Select(a => (a.Start, a.End, a.Answer)), answers[i].Select(a => (a.Start, a.End, a.Answer)));
            Assert.Equal(alone.Select(a => a.Score), answers[i].Select(a => a.Score), (a, b) => Math.Abs(a - b) < 1e-5);
        }
        for (var i = 0; i < Texts.Length; i++)
        {
            var alone = fill.Run(masked[i], topK: 3);
            Assert.Equal(alone.Select(p => (p.Token, p.Sequence)), fills[i].Select(p => (p.Token, p.Sequence)));
            var unpadded = features.Run(Texts[i]);
            Assert.Equal(unpadded.Length, vectors[i].Length);
            Assert.Equal(unpadded.SelectMany(v => v), vectors[i].SelectMany(v => v), (a, b) => Math.Abs(a - b) < 1e-5);
        }
    }

    [Fact]
    public void A_refused_input_in_a_batch_is_named_by_its_position_before_the_model_runs()
    {
        var mlm = Save("batch-errors", new BertForMaskedLM(Tiny), Tiny);
        using var fill = (FillMaskPipeline)Pipeline.Create(Pipeline.FillMask, mlm, _hub, CPU);

        var refused = Assert.Throws<PipelineInputException>(() => fill.Run(["a [MASK] day", "a fine [MASK]", "no mask here", " "], batchSize: 2));

        Assert.Equal(2, refused.Index);
        Assert.Equal("fill-mask needs exactly one [MASK] in the text; found 0.", refused.Message);
        Assert.Equal("batch_size must be at least 1.", Assert.Throws<ArgumentException>(() => fill.Run(["a [MASK]"], batchSize: 0)).Message);
    }

    public void Dispose() => Directory.Delete(_hub.Root, recursive: true);
}
