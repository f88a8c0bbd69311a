#!/usr/bin/env bash
# Regenerates the course's SentencePiece Unigram model (hub id course/sentencepiece-unigram) from the
# lessons' prose with Debian's spm_train (apt-get install sentencepiece). Front matter, fenced code
# and directive fences are left out: the tokenizer is meant for English text, not Python.
# The output is deterministic for the same lessons and sentencepiece version.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/src/Course.Ml/Tokenization/SentencePiece"
command -v spm_train >/dev/null || { echo "spm_train not found: apt-get install sentencepiece" >&2; exit 1; }
corpus="$(mktemp)"
trap 'rm -f "$corpus" "$corpus".model "$corpus".vocab' EXIT
for f in "$root"/content/topics/*/*.md; do
  awk 'NR == 1 && /^---$/ { fm = 1; next }
       fm && /^---$/ { fm = 0; next }
       fm { next }
       /^```/ { code = !code; next }
       code || /^:::/ { next }
       NF { print }' "$f"
done > "$corpus"
spm_train --input="$corpus" --model_prefix="$corpus" --model_type=unigram --vocab_size=3000 \
  --character_coverage=1.0 --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=3 \
  --input_sentence_size=1000000 --shuffle_input_sentence=false --num_threads=1 --minloglevel=1 >&2
cp "$corpus".model "$out/course-unigram.model"
echo "wrote $out/course-unigram.model ($(wc -l < "$corpus") lines of lesson text)" >&2
