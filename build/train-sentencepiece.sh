#!/usr/bin/env bash
# Regenerates the course's SentencePiece Unigram model (hub id course/sentencepiece-unigram) from the
# lessons' prose with Debian's spm_train (apt-get install sentencepiece). Front matter, fenced code
# and directive fences are left out: the tokenizer is meant for English text, not Python.
# The output is deterministic for the same lessons and sentencepiece version.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/src/Course.Ml/Tokenization/SentencePiece"
command -v spm_train >/dev/null || { echo "spm_train not found: apt-get install sentencepiece" >&2; exit 1; }
# Relative file names: spm_train records its input and output paths inside the model.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
corpus=lessons.txt
for f in "$root"/content/topics/*/*.md; do
  awk 'NR == 1 && /^---$/ { fm = 1; next }
       fm && /^---$/ { fm = 0; next }
       fm { next }
       /^```/ { code = !code; next }
       code || /^:::/ { next }
       NF { print }' "$f"
done > "$corpus"
spm_train --input="$corpus" --model_prefix=course-unigram --model_type=unigram --vocab_size=3000 \
  --character_coverage=1.0 --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=3 \
  --input_sentence_size=1000000 --shuffle_input_sentence=false --num_threads=1 --minloglevel=1 >&2
cp course-unigram.model "$out/course-unigram.model"
echo "wrote $out/course-unigram.model ($(wc -l < "$corpus") lines of lesson text)" >&2

# Reference ids from spm_encode itself, for the test that checks Microsoft.ML.Tokenizers agrees.
fixture="$root/tests/Course.Ml.Tests/Fixtures/spm-encode-ids.tsv"
mkdir -p "$(dirname "$fixture")"
{
  printf 'The Trainer fine-tunes a pre-trained model on your dataset.\n'
  printf 'Tokenization splits text into subword units.\n'
  printf 'WordPiece, BPE and SentencePiece handle unknown words differently!\n'
  printf 'Attention masks tell the model which positions are padding.\n'
  printf '  Extra   spaces   and\ttabs  \n'
  printf 'naïve café, jalapeño, déjà vu\n'
  printf 'Numbers: 3.14, 42, 1e-5 and 2,048 tokens.\n'
  printf 'Emoji 😀🤗 and CJK 日本語 are rare here.\n'
  printf 'HuggingFace transformers (v4.44) + datasets = fun\n'
  printf 'Question answering extracts a span from the context.\n'
} | while IFS= read -r line; do
  printf '%s\t%s\n' "$line" "$(printf '%s\n' "$line" | spm_encode --model="$out/course-unigram.model" --output_format=id)"
done > "$fixture"
echo "wrote $fixture" >&2
