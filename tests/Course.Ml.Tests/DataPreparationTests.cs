using Course.Ml.Data;
using Course.Ml.Pipelines;
using Course.Ml.Tokenization;
using Course.Ml.Training;

namespace Course.Ml.Tests;

/// <summary>Each <c>preprocessing:</c> key and HF data key on small in-memory data: exactly which rows, labels and tokens come out.</summary>
public class DataPreparationTests
{
    private static Row Review(string text, object? label = null)
    {
        var row = new Row { ["text"] = text };
        if (label is not null) row["label"] = label;
        return row;
    }

    private static Dataset Reviews(params (string Text, string Label)[] rows) => new(rows.Select(r => Review(r.Text, r.Label)).ToList());

    private static TrainingConfig Config(PreprocessingFile preprocessing, string task = "text-classification", int seed = 42) =>
        new() { Task = task, Preprocessing = preprocessing, TrainingArgs = new TrainingArgumentsFile { Seed = seed } };

    private static string[] Texts(Dataset data) => data.Select(r => r.Get<string>("text")).ToArray();

    private static string[] Labels(Dataset data) => data.Select(r => Convert.ToString(r["label"], System.Globalization.CultureInfo.InvariantCulture)!).ToArray();

    [Theory]
    [InlineData("normalize_unicode", "ｆｕｌｌ\u00A0width ﬁne", "full width fine")]
    [InlineData("strip_html", "<p>Great&amp;cheap</p>", " Great&cheap ")]
    [InlineData("strip_html", "I <3 it", "I <3 it")]
    [InlineData("strip_urls", "see https://shop.example/a?b=1 and www.shop.example now", "see  and  now")]
    [InlineData("normalize_whitespace", "  a \t b\n", "a b")]
    public void Each_clean_text_step_does_its_one_thing(string step, string text, string expected)
    {
        Assert.Equal(expected, DataPreparation.CleanText(text, [step]));
    }

    [Fact]
    public void Clean_text_steps_run_in_their_fixed_order_whatever_order_they_are_listed_in()
    {
        Assert.Equal("Great value: ok", DataPreparation.CleanText("<b>Great</b>&nbsp;value: www.shop.example/x  ｏｋ",
            ["normalize_whitespace", "strip_urls", "strip_html", "normalize_unicode"]));
    }

    [Fact]
    public void Cleaning_applies_to_every_split_and_leaves_the_loaded_rows_as_they_were()
    {
        var train = Reviews(("<i>good</i>", "positive"), ("fine", "positive"));
        var config = Config(new PreprocessingFile { CleanText = ["strip_html", "normalize_whitespace"] });

        var prepared = DataPreparation.Prepare(config, train, Reviews(("<b>bad</b>", "negative")), Reviews(("<p>ok</p>", "positive")));

        Assert.Equal(["good", "fine"], Texts(prepared.Train));
        Assert.Equal(["bad"], Texts(prepared.Validation));
        Assert.Equal(["ok"], Texts(prepared.Test!));
        Assert.Equal("<i>good</i>", train[0]["text"]);
        Assert.Equal("data preparation: 2 train rows → 2 training rows (text cleaned: 1)", prepared.Summary.ToString());
    }

    [Fact]
    public void Drop_empty_drops_blank_texts_and_rows_without_a_label()
    {
        var train = new Dataset([Review("a", "x"), Review("", "x"), Review("  ", "x"), Review("b", ""), Review("c"), Review("d", "y")]);

        var prepared = DataPreparation.Prepare(Config(new PreprocessingFile { DropEmpty = true }), train, Reviews());

        Assert.Equal(["a", "d"], Texts(prepared.Train));
        Assert.Equal("data preparation: 6 train rows → 2 training rows (empty dropped: 4)", prepared.Summary.ToString());
    }

    [Fact]
    public void Max_characters_drops_longer_training_rows_only()
    {
        var config = Config(new PreprocessingFile { MaxCharacters = 5 });

        var prepared = DataPreparation.Prepare(config, Reviews(("short", "x"), ("longer", "x"), ("tiny", "y")), Reviews(("much longer", "x")));

        Assert.Equal(["short", "tiny"], Texts(prepared.Train));
        Assert.Equal(["much longer"], Texts(prepared.Validation));
        Assert.Equal(1, prepared.Summary.TooLong);
    }

    [Theory]
    [InlineData("exact", new[] { "Great product!", "great  product", "Bad.", "New" }, 1, 0)]
    [InlineData("normalized", new[] { "Great product!", "New" }, 2, 1)]
    public void Deduplicate_keeps_the_first_of_each_text_and_drops_repeats_of_validation_rows(string mode, string[] kept, int duplicates, int ofValidation)
    {
        var train = Reviews(("Great product!", "positive"), ("great  product", "positive"), ("Great product!", "negative"), ("Bad.", "negative"), ("New", "positive"));

        var prepared = DataPreparation.Prepare(Config(new PreprocessingFile { Deduplicate = mode }), train, Reviews(("bad", "negative")));

        Assert.Equal(kept, Texts(prepared.Train));
        Assert.Equal((duplicates, ofValidation), (prepared.Summary.Duplicates, prepared.Summary.DuplicatesOfValidation));
    }

    [Fact]
    public void Label_mapping_renames_and_merges_training_labels_and_leaves_validation_gold_alone()
    {
        var train = new Dataset([Review("a", "pos"), Review("b", "positive"), Review("c", "neg"), Review("d", "neutral"), Review("e", 1L)]);
        var config = Config(new PreprocessingFile { LabelMapping = new() { ["pos"] = "positive", ["neg"] = "negative", ["1"] = "positive" } });

        var prepared = DataPreparation.Prepare(config, train, Reviews(("f", "pos")));

        Assert.Equal(["positive", "positive", "negative", "neutral", "positive"], Labels(prepared.Train));
        Assert.Equal(["pos"], Labels(prepared.Validation));
        Assert.Equal("data preparation: 5 train rows → 5 training rows (relabeled: 3)", prepared.Summary.ToString());
    }

    [Fact]
    public void Label_mapping_renames_ner_tags_after_the_iob1_conversion()
    {
        var train = new Dataset([new Row { ["tokens"] = new[] { "Ada", "Lovelace", "in", "Rome" }, ["ner_tags"] = new[] { "I-PER", "I-PER", "O", "I-MISC" } }]);
        var config = Config(new PreprocessingFile { LabelScheme = "iob1", LabelMapping = new() { ["B-MISC"] = "O", ["I-MISC"] = "O" } }, "token-classification");

        var prepared = DataPreparation.Prepare(config, train, new Dataset([]));

        Assert.Equal(["B-PER", "I-PER", "O", "O"], prepared.Train[0].Get<string[]>("ner_tags"));
    }

    [Fact]
    public void Iob1_tags_become_iob2_where_an_entity_opens_with_i()
    {
        Assert.Equal(["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "B-ORG"],
            DataPreparation.Iob1ToIob2(["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-LOC", "I-ORG"]));
    }

    [Fact]
    public void Label_scheme_iob1_converts_the_training_tags_and_keeps_validation_gold()
    {
        Row Sentence(params string[] tags) => new() { ["tokens"] = tags.Select((_, i) => $"w{i}").ToArray(), ["ner_tags"] = tags };
        var config = Config(new PreprocessingFile { LabelScheme = "iob1" }, "token-classification");

        var prepared = DataPreparation.Prepare(config, new Dataset([Sentence("I-PER", "O"), Sentence("B-LOC", "O")]), new Dataset([Sentence("I-PER")]));

        Assert.Equal(["B-PER", "O"], prepared.Train[0].Get<string[]>("ner_tags"));
        Assert.Equal(["B-LOC", "O"], prepared.Train[1].Get<string[]>("ner_tags"));
        Assert.Equal(["I-PER"], prepared.Validation[0].Get<string[]>("ner_tags"));
        Assert.Equal(1, prepared.Summary.Relabeled);
    }

    /// <summary>
    /// Five positive rows (a b c d e) and two negative (x y). The expected draws are those of .NET's seeded
    /// <see cref="Random"/> (Knuth's subtractive generator), worked out independently of the code under test.
    /// </summary>
    [Theory]
    [InlineData("oversample", 42, new[] { "a", "x", "b", "c", "y", "d", "e", "y", "x", "x" })]
    [InlineData("oversample", 7, new[] { "a", "x", "b", "c", "y", "d", "e", "x", "y", "y" })]
    [InlineData("undersample", 42, new[] { "a", "x", "b", "y" })]
    [InlineData("undersample", 7, new[] { "x", "y", "d", "e" })]
    public void Class_balancing_is_seeded_by_training_args_seed(string mode, int seed, string[] expected)
    {
        var train = Reviews(("a", "pos"), ("x", "neg"), ("b", "pos"), ("c", "pos"), ("y", "neg"), ("d", "pos"), ("e", "pos"));

        var prepared = DataPreparation.Prepare(Config(new PreprocessingFile { ClassBalancing = mode }, seed: seed), train, Reviews());

        Assert.Equal(expected, Texts(prepared.Train));
        Assert.Equal(mode == "oversample" ? (3, 0) : (0, 3), (prepared.Summary.Oversampled, prepared.Summary.Undersampled));
    }

    [Fact]
    public void Train_plus_validation_trains_on_both_and_deduplicates_across_them()
    {
        var config = Config(new PreprocessingFile { TrainSplits = "train+validation", Deduplicate = "normalized" });

        var prepared = DataPreparation.Prepare(config, Reviews(("Good!", "positive"), ("Bad", "negative")), Reviews(("good", "positive"), ("Meh", "neutral")));

        Assert.Equal(["Good!", "Bad", "Meh"], Texts(prepared.Train));
        Assert.Equal(["good", "Meh"], Texts(prepared.Validation));
        Assert.Equal("data preparation: 2 train rows + 2 validation rows → 3 training rows (duplicates dropped: 1)", prepared.Summary.ToString());
    }

    [Theory]
    [InlineData("head", "[CLS] one two three four five six [SEP]")]
    [InlineData("tail", "[CLS] five six seven eight nine ten [SEP]")]
    [InlineData("head+tail", "[CLS] one six seven eight nine ten [SEP]")]
    public void Truncation_keeps_the_head_the_tail_or_a_quarter_head_and_three_quarters_tail(string truncation, string expected)
    {
        var bert = Tokenizers.Bert;

        var features = Preprocessing.SequenceClassification(bert, "one two three four five six seven eight nine ten", 1, maxLength: 8, truncation);
        var shortText = Preprocessing.EncodeText(bert, "one two", 8, truncation);

        Assert.Equal(expected, string.Join(' ', features.InputIds.Select(id => bert.IdToToken(id))));
        Assert.Equal((8, 8, 1L), (features.AttentionMask.Length, features.TokenTypeIds!.Length, features.Label!.Value));
        Assert.Equal("[CLS] one two [SEP]", string.Join(' ', shortText.InputIds.Select(id => bert.IdToToken(id))));
    }

    [Fact]
    public void Label_all_tokens_gives_later_sub_tokens_the_i_tag_of_their_word()
    {
        var labels = new ClassLabel(["O", "B-PER", "I-PER", "B-MISC"]);
        var continuation = Preprocessing.ContinuationLabels(labels);

        var features = Preprocessing.TokenClassification(Tokenizers.Bert, ["GPU", "works"], [1, 0], maxLength: 32, continuation);

        Assert.Equal([0, 2, 2, 3], continuation);
        Assert.Equal([-100L, 1, 2, 0, -100], features.Labels!);
    }

    private static TrainingConfig Qa(string keys) => TrainingConfig.Parse($"""
        task: question-answering
        model_name_or_path: m
        train_file: train.jsonl
        validation_file: validation.jsonl
        max_seq_length: 16
        {keys}
        """, "config.yaml", Path.GetTempPath());

    [Theory]
    [InlineData("", 4, 5)]
    [InlineData("doc_stride: 2", 2, 4)]
    [InlineData("doc_stride: 0", 0, 3)]
    public void Doc_stride_sets_the_overlap_of_question_answering_windows(string key, int stride, int windows)
    {
        const string context = "The Eiffel Tower was completed in 1889 for the World's Fair held in Paris, France, that year.";
        var config = Qa(key);

        var features = Preprocessing.QuestionAnswering(Tokenizers.Bert, "When was it completed?", context, context.IndexOf("1889", StringComparison.Ordinal), "1889",
            config.MaxSeqLength, config.QuestionAnsweringStride);

        Assert.Equal(stride, config.QuestionAnsweringStride);
        Assert.Equal(windows, features.Count);
    }

    [Theory]
    [InlineData("", "one two three four five six")]
    [InlineData("max_answer_length: 3", "one two three")]
    public void Max_answer_length_caps_the_span_evaluation_predicts(string key, string answer)
    {
        const string context = "one two three four five six";
        var window = Tokenizers.Bert.Encode("which?", context);
        var (start, end) = (new float[window.Length], new float[window.Length]);
        start[Array.IndexOf(window.Tokens, "one")] = 10;
        end[Array.IndexOf(window.Tokens, "six")] = 10;
        end[Array.IndexOf(window.Tokens, "three")] = 5;

        var best = QuestionAnsweringPipeline.Decode(window, start, end, context, Qa(key).AnswerDecoding)[0];

        Assert.Equal(answer, best.Answer);
    }

    [Theory]
    [InlineData("", "three four")]
    [InlineData("n_best_size: 2", "three four")]
    [InlineData("n_best_size: 1", null)]
    public void N_best_size_limits_spans_to_the_best_start_and_end_tokens(string key, string? answer)
    {
        const string context = "one two three four five six";
        var window = Tokenizers.Bert.Encode("which?", context);
        var (start, end) = (new float[window.Length], new float[window.Length]);
        (start[Array.IndexOf(window.Tokens, "three")], start[Array.IndexOf(window.Tokens, "one")]) = (10, 8);
        (end[Array.IndexOf(window.Tokens, "two")], end[Array.IndexOf(window.Tokens, "four")]) = (10, 9);

        var answers = QuestionAnsweringPipeline.Decode(window, start, end, context, Qa(key).AnswerDecoding);

        // With one start (three) and one end (two, before it), no span is left: run_qa's n-best rule.
        Assert.Equal(answer, answers.FirstOrDefault()?.Answer);
    }
}

/// <summary>The refusals of the data keys: exact messages at their lines.</summary>
public class DataPreparationConfigTests
{
    private static string Base(string task) => $"""
        task: {task}
        model_name_or_path: m
        train_file: train.jsonl
        validation_file: validation.jsonl
        max_seq_length: 64
        training_args:
          seed: 7
        """;

    private static TrainingConfig Parse(string task, string add) => TrainingConfig.Parse(Base(task) + "\n" + add, "config.yaml", Path.GetTempPath());

    [Fact]
    public void A_full_preprocessing_block_is_read_with_its_values()
    {
        var config = Parse("text-classification", """
            preprocessing:
              clean_text: [strip_html, normalize_whitespace]
              drop_empty: true
              max_characters: 2000
              deduplicate: normalized
              label_mapping: {pos: positive}
              class_balancing: undersample
              truncation: head+tail
              train_splits: train
            """);
        var p = config.Preprocessing;

        Assert.Equal(["strip_html", "normalize_whitespace"], p.CleanText!);
        Assert.Equal((true, 2000, "normalized", "undersample", "head+tail", "train"), (p.DropEmpty, p.MaxCharacters, p.Deduplicate, p.ClassBalancing, p.Truncation, p.TrainSplits));
        Assert.Equal("positive", p.LabelMapping!["pos"]);
        Assert.True(Parse("token-classification", "label_all_tokens: true\npreprocessing:\n  label_scheme: iob1").LabelAllTokens);
    }

    [Theory]
    [InlineData("text-classification", "preprocessing:", 8, "preprocessing is empty: give it steps (e.g. drop_empty: true) or leave the key out")]
    [InlineData("text-classification", "preprocessing:\n  dedupe: exact", 9, "unknown key 'dedupe'")]
    [InlineData("text-classification", "preprocessing:\n  clean_text: [strip_html, strip_emoji]", 9,
        "clean_text must list steps among normalize_unicode, strip_html, strip_urls, normalize_whitespace, not [strip_html, strip_emoji]")]
    [InlineData("text-classification", "preprocessing:\n  deduplicate: fuzzy", 9, "deduplicate must be exact or normalized, not 'fuzzy'")]
    [InlineData("text-classification", "preprocessing:\n  max_characters: 0", 9, "max_characters must be 1–1000000, not 0")]
    [InlineData("text-classification", "preprocessing:\n  max_characters: 1000001", 9, "max_characters must be 1–1000000, not 1000001")]
    [InlineData("text-classification", "preprocessing:\n  max_characters: 1e3", 9, "'1e3' is not a value this key takes (a whole number is written without a decimal point or exponent)")]
    [InlineData("text-classification", "preprocessing:\n  label_mapping: {pos: positive, positive: good}", 9,
        "label_mapping maps 'pos' to 'positive', which it renames too: map each label straight to its final name")]
    [InlineData("text-classification", "preprocessing:\n  label_mapping: {pos: ''}", 9, "label_mapping maps 'pos' to an empty name")]
    [InlineData("text-classification", "preprocessing:\n  class_balancing: smote", 9, "class_balancing must be oversample or undersample, not 'smote'")]
    [InlineData("text-classification", "  class_weights: balanced\npreprocessing:\n  class_balancing: oversample", 10,
        "class_balancing and class_weights both correct class imbalance: use one of them")]
    [InlineData("text-classification", "preprocessing:\n  truncation: middle", 9, "truncation must be head, tail or head+tail, not 'middle'")]
    [InlineData("text-classification", "preprocessing:\n  train_splits: all", 9, "train_splits must be train or train+validation, not 'all'")]
    [InlineData("text-classification", "  eval_strategy: epoch\npreprocessing:\n  train_splits: train+validation", 10,
        "train_splits train+validation trains on the validation rows, so they cannot choose the model: set eval_strategy to no (choose the epochs with train_splits: train first)")]
    [InlineData("text-classification", "preprocessing:\n  label_scheme: iob1", 9, "label_scheme applies to task token-classification only")]
    [InlineData("text-classification", "label_all_tokens: true", 8, "label_all_tokens applies to task token-classification only")]
    [InlineData("text-classification", "preprocessing:\n  drop_empty: maybe", 9, "'maybe' is not a value this key takes (write true or false)")]
    [InlineData("token-classification", "label_all_tokens: maybe", 8, "'maybe' is not a value this key takes (write true or false)")]
    [InlineData("text-classification", "doc_stride: 16", 8, "doc_stride applies to task question-answering only")]
    [InlineData("text-classification", "max_answer_length: 10", 8, "max_answer_length applies to task question-answering only")]
    [InlineData("text-classification", "n_best_size: 5", 8, "n_best_size applies to task question-answering only")]
    [InlineData("token-classification", "preprocessing:\n  clean_text: [strip_html]", 9,
        "clean_text applies to text-classification and fill-mask (it would move question-answering answer offsets and change token-classification tokens)")]
    [InlineData("token-classification", "preprocessing:\n  class_balancing: oversample", 9, "class_balancing applies to task text-classification only")]
    [InlineData("token-classification", "preprocessing:\n  truncation: tail", 9,
        "truncation applies to text-classification and fill-mask (token-classification keeps the first tokens, question-answering splits the context into windows)")]
    [InlineData("token-classification", "preprocessing:\n  label_scheme: bioes", 9, "label_scheme must be iob2 or iob1, not 'bioes'")]
    [InlineData("question-answering", "preprocessing:\n  label_mapping: {a: b}", 9, "label_mapping applies to text-classification and token-classification")]
    [InlineData("question-answering", "doc_stride: 32", 8, "doc_stride must be 0–31 (under half of max_seq_length 64), not 32")]
    [InlineData("question-answering", "doc_stride: -1", 8, "doc_stride must be 0–31 (under half of max_seq_length 64), not -1")]
    [InlineData("question-answering", "max_answer_length: 0", 8, "max_answer_length must be 1–64 (at most max_seq_length), not 0")]
    [InlineData("question-answering", "max_answer_length: 65", 8, "max_answer_length must be 1–64 (at most max_seq_length), not 65")]
    [InlineData("question-answering", "n_best_size: 0", 8, "n_best_size must be 1–100, not 0")]
    [InlineData("question-answering", "n_best_size: 101", 8, "n_best_size must be 1–100, not 101")]
    [InlineData("fill-mask", "preprocessing:\n  class_balancing: undersample", 9, "class_balancing applies to task text-classification only")]
    public void Each_data_key_is_refused_at_its_line_with_what_to_write(string task, string add, int line, string message)
    {
        var error = Assert.Single(Assert.Throws<TrainingConfigException>(() => Parse(task, add)).Errors);

        Assert.Equal(new Course.Yaml.ContentError("config.yaml", line, message), error);
    }

    [Theory]
    [InlineData("preprocessing:\n  max_characters: 0x10", "0x10")]
    [InlineData("preprocessing:\n  max_characters: 1_000", "1_000")]
    [InlineData("preprocessing:\n  max_characters: 017", "017")]
    [InlineData("preprocessing:\n  max_characters: .inf", ".inf")]
    [InlineData("doc_stride: 0o17", "0o17")]
    [InlineData("n_best_size: 1:30", "1:30")]
    public void Data_keys_take_numbers_in_plain_decimal_only(string add, string written)
    {
        var task = add.StartsWith("preprocessing", StringComparison.Ordinal) ? "text-classification" : "question-answering";

        var error = Assert.Single(Assert.Throws<TrainingConfigException>(() => Parse(task, add)).Errors);

        Assert.Equal(new Course.Yaml.ContentError("config.yaml", add.Count(c => c == '\n') + 8,
            $"'{written}' is not a plain decimal number: write numbers in decimal or scientific notation (such as 1024, 0.5 or 5.0e-5)"), error);
    }
}
