#!/usr/bin/env python3
"""Writes content/datasets/squad/{train,validation}.jsonl and hidden-sample/squad/test.jsonl from the official
SQuAD v1.1 dev JSON (or a slice of it), split by article, in the row form of Hugging Face `datasets`' squad.

Articles sorted by title (code-point order); counting from 1, every 7th from the 4th goes to validation and every
7th from the 7th to the hidden test sample, the rest to train. Rows keep the source order: articles, paragraphs,
questions, and every reference answer (duplicates included, as the official file and HF `datasets` have them).
Stops if an answer is not at its answer_start.

usage: python3 build/squad-splits.py [SOURCE_JSON]   (default ../shared/data/squad/squad-v1.1-dev-36-articles.json)
"""
import json
import os
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
source = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "..", "shared", "data", "squad", "squad-v1.1-dev-36-articles.json")
with open(source, encoding="utf-8") as f:
    articles = json.load(f)["data"]

position = {a["title"]: i + 1 for i, a in enumerate(sorted(articles, key=lambda a: a["title"]))}


def split_of(title):
    p = position[title] % 7
    return "validation" if p == 4 else "test" if p == 0 else "train"


outputs = {
    "train": os.path.join(root, "content", "datasets", "squad", "train.jsonl"),
    "validation": os.path.join(root, "content", "datasets", "squad", "validation.jsonl"),
    "test": os.path.join(root, "hidden-sample", "squad", "test.jsonl"),
}
rows = {name: [] for name in outputs}
for article in articles:
    for paragraph in article["paragraphs"]:
        context = paragraph["context"]
        for qa in paragraph["qas"]:
            for answer in qa["answers"]:
                start, text = answer["answer_start"], answer["text"]
                if context[start:start + len(text)] != text:
                    sys.exit(f"{qa['id']}: answer {text!r} is not at answer_start {start}")
            rows[split_of(article["title"])].append({
                "id": qa["id"],
                "title": article["title"],
                "context": context,
                "question": qa["question"],
                "answers": {"text": [a["text"] for a in qa["answers"]], "answer_start": [a["answer_start"] for a in qa["answers"]]},
            })

for name, path in outputs.items():
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for row in rows[name]:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    titles = list(dict.fromkeys(r["title"] for r in rows[name]))
    print(f"{name}: {len(titles)} articles, {len(rows[name])} questions: {', '.join(titles)}")
