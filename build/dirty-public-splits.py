#!/usr/bin/env python3
"""Gives the public splits of product-reviews, support-tickets and course-ner the defects real data has, so that the
assignments' `preprocessing:` keys have something to fix and `./course datasets report` something to find.

Run once, on the splits as their authors wrote them (it stops if a split already has what it adds); seeded, so the
same input gives the same files. What it does, per dataset (rows are inserted at seeded random positions):

- product-reviews: 55 train, 12 validation and 14 hidden-sample reviews get a long, verdict-free preamble (what was
  bought, why, how it arrived), so the verdict sits at the end of a text longer than 64 tokens; the hidden sample
  gets nothing else. Train: 14 exact and 10 near duplicates (case, punctuation, spacing), 9 copies of validation
  rows (5 exact, 4 near), 5 of those 33 copies with a different label, 6 other labels changed, 30 rows with HTML
  remnants, 8 with a URL, 3 empty texts. Validation: 6 rows with HTML, 2 with a URL, 1 near duplicate.
- support-tickets: train: 10 exact and 8 near duplicates, 7 copies of validation rows (4 exact, 3 near), 4 copies
  with a different label, 4 other labels changed, 25 rows with HTML remnants, 10 with a URL, 3 empty texts.
  Validation: 6 rows with HTML, 2 with a URL, 1 exact duplicate.
- course-ner: train: 8 exact and 4 near duplicates (the final full stop dropped), 5 copies of validation sentences,
  3 copies with one entity's type changed, 3 other sentences with one entity's type changed, 2 empty rows, and then
  every tag converted from IOB2 to IOB1 (an entity opens with I-; B- only where it directly follows an entity of the
  same type). Validation stays as it was.

usage: python3 build/dirty-public-splits.py
"""
import json
import os
import random
import re
import sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def path(*parts):
    return os.path.join(root, *parts)


def read(p):
    with open(p, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def write(p, rows):
    with open(p, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def insert(rng, rows, extra):
    for row in extra:
        rows.insert(rng.randrange(len(rows) + 1), row)


def near(rng, text):
    """The same text with its case, final punctuation or spacing changed: what deduplicate: normalized still catches."""
    choice = rng.randrange(4)
    if choice == 0:
        return text.lower()
    if choice == 1:
        return text.rstrip(".!") + ("!!" if text.endswith("!") else "")
    if choice == 2:
        return text.replace(", ", " , ", 1).replace(". ", ".  ", 1) + " "
    return text[0].upper() + text[1:].rstrip(".") + "..."


def other_label(rng, label, labels):
    return rng.choice([l for l in labels if l != label])


def html(rng, text):
    """A remnant of the web form or e-mail the text was scraped from."""
    sentences = re.split(r"(?<=[.!?]) ", text)
    choice = rng.randrange(4)
    if choice == 0 and len(sentences) > 1:
        return "<br />".join(sentences) if rng.random() < 0.5 else "<br /><br />".join(sentences)
    if choice == 1:
        return "<p>" + text + "</p>"
    if choice == 2 and ("'" in text or "&" in text or '"' in text):
        return text.replace("&", "&amp;").replace("'", "&#39;").replace('"', "&quot;")
    return text.replace(" ", "&nbsp;", 1) + "<br>"


def url(rng, text, urls):
    return text + " " + rng.choice(urls)


def remnants(rng, rows, with_html, with_url, urls):
    """HTML in with_html rows and a URL at the end of with_url others, drawn together so no row gets both."""
    for n, i in enumerate(rng.sample(range(len(rows)), with_html + with_url)):
        rows[i] = dict(rows[i], text=html(rng, rows[i]["text"]) if n < with_html else url(rng, rows[i]["text"], urls))


def check_clean(rows, marks):
    for row in rows:
        if any(m in json.dumps(row) for m in marks):
            sys.exit("already has its defects: this script runs once, on the splits as their authors wrote them")


PREAMBLE = [
    "I bought this to replace the one I had in the spare room, which was about eight years old.",
    "It arrived in a plain cardboard box with the manual, a warranty card and a small bag of spare parts.",
    "My sister recommended the brand, and I compared three or four similar models before ordering this one.",
    "I ordered it on a Tuesday evening and it came on the Friday, which is what the listing said.",
    "We have been using it every day for about six weeks now, mostly in the kitchen and sometimes in the garden.",
    "For context, I am not an expert and I mostly read the reviews on here before buying anything.",
    "The listing had quite a few photos and a size chart, and I read the questions and answers section too.",
    "I needed something for the new flat, because the previous tenant took everything with them when they left.",
    "Setting it up took about twenty minutes, following the printed instructions step by step.",
    "It is the second one I have bought from this seller; the first was a present for my father.",
    "I waited for the spring sale before ordering, since the price changes quite a lot over the year.",
    "My partner and I share it, and we both use it for different things, so I asked them before writing this.",
    "The box says it is made from recycled materials, and the packaging was all paper, no plastic.",
    "I have owned a few of these over the years from different brands, so I had something to compare it with.",
    "I am writing this review after using it on a long weekend away, then again at home for a month.",
    "It came with a quick-start leaflet in several languages and a link to a longer manual online.",
    "I measured the space before ordering, since the dimensions in the description are in inches only.",
    "We mainly bought it for the kids, who are seven and ten, but the adults use it as well.",
]

URLS_SHOP = ["https://www.example-shop.co.uk/p/48213", "http://bit.ly/3xR8qLm", "www.example-shop.co.uk/reviews/7712",
             "https://imgur.example.com/a/Qk2Lw"]
URLS_TICKET = ["Screenshot: https://files.example-desk.com/s/8f3k2", "https://status.example-app.io/incidents/5521",
               "Sent from https://mail.example.com", "See www.example-app.io/docs/sso", "Log: https://paste.example.org/raw/a91c"]


def preamble(rng):
    sentences = rng.sample(PREAMBLE, rng.randint(5, 7))
    return " ".join(sentences)


def lengthen(rng, rows, count):
    chosen = rng.sample([i for i, r in enumerate(rows) if len(r["text"].split()) >= 6], count)
    for i in chosen:
        rows[i] = dict(rows[i], text=preamble(rng) + " " + rows[i]["text"])


def classification(name, labels, urls, long_counts, counts):
    folder = path("content", "datasets", name)
    train, validation = read(os.path.join(folder, "train.jsonl")), read(os.path.join(folder, "validation.jsonl"))
    check_clean(train + validation, ["<br", "&amp;", "<p>", "&nbsp;", "&#39;", "http"])
    rng = random.Random(18 + len(name))
    if long_counts:
        hidden_path = path("hidden-sample", name, "test.jsonl")
        hidden = read(hidden_path)
        check_clean(hidden, [PREAMBLE[0][:30]] + [p[:30] for p in PREAMBLE[1:]])
        lengthen(rng, train, long_counts[0])
        lengthen(rng, validation, long_counts[1])
        lengthen(rng, hidden, long_counts[2])
        write(hidden_path, hidden)
    (exact, near_count, from_validation, conflicting, flipped, with_html, with_url, empty,
     validation_html, validation_url, validation_duplicate) = counts

    # Label changes on originals first (rows of the authors' own set), then the copies.
    for i in rng.sample(range(len(train)), flipped):
        train[i] = dict(train[i], label=other_label(rng, train[i]["label"], labels))
    copies = [dict(r) for r in rng.sample(train, exact)]
    copies += [dict(r, text=near(rng, r["text"])) for r in rng.sample(train, near_count)]
    leaked = rng.sample(validation, from_validation)
    exact_leaks = from_validation // 2 + from_validation % 2
    copies += [dict(r) for r in leaked[:exact_leaks]] + [dict(r, text=near(rng, r["text"])) for r in leaked[exact_leaks:]]
    for i in rng.sample(range(len(copies)), conflicting):
        copies[i]["label"] = other_label(rng, copies[i]["label"], labels)

    remnants(rng, train, with_html, with_url, urls)
    insert(rng, train, copies)
    insert(rng, train, [{"text": t, "label": rng.choice(labels)} for t in ["", " ", "<br />"][:empty]])

    remnants(rng, validation, validation_html, validation_url, urls)
    duplicates = rng.sample(validation, validation_duplicate)
    insert(rng, validation, [dict(r, text=near(rng, r["text"])) if name == "product-reviews" else dict(r) for r in duplicates])

    write(os.path.join(folder, "train.jsonl"), train)
    write(os.path.join(folder, "validation.jsonl"), validation)


def iob1(tags):
    """IOB2 → IOB1: an entity opens with I-X, except right after an entity of the same type, where B-X separates them."""
    out = []
    for i, tag in enumerate(tags):
        if tag.startswith("B-"):
            previous = tags[i - 1] if i > 0 else "O"
            out.append(tag if previous != "O" and previous[2:] == tag[2:] else "I-" + tag[2:])
        else:
            out.append(tag)
    return out


def retype(rng, row):
    """One entity of the sentence given another type (all of its tags); the row unchanged if it has none."""
    tags = list(row["ner_tags"])
    starts = [i for i, t in enumerate(tags) if t.startswith("B-")]
    if not starts:
        return None
    start = rng.choice(starts)
    kind = tags[start][2:]
    new = rng.choice([k for k in ["PER", "ORG", "LOC", "MISC"] if k != kind])
    i = start
    while i < len(tags) and tags[i][2:] == kind and (i == start or tags[i].startswith("I-")):
        tags[i] = tags[i][:2] + new
        i += 1
    return dict(row, ner_tags=tags)


def ner():
    folder = path("content", "datasets", "course-ner")
    train, validation = read(os.path.join(folder, "train.jsonl")), read(os.path.join(folder, "validation.jsonl"))
    if any(t.startswith("I-") and (i == 0 or r["ner_tags"][i - 1] == "O") for r in train for i, t in enumerate(r["ner_tags"])):
        sys.exit("course-ner train is already IOB1: this script runs once, on the splits as their authors wrote them")
    rng = random.Random(18)
    with_entities = [i for i, r in enumerate(train) if any(t.startswith("B-") for t in r["ner_tags"])]
    for i in rng.sample(with_entities, 3):
        train[i] = retype(rng, train[i])
    copies = [dict(r) for r in rng.sample(train, 8)]
    for r in rng.sample([r for r in train if r["tokens"][-1] == "."], 4):
        copies.append(dict(r, tokens=r["tokens"][:-1], ner_tags=r["ner_tags"][:-1]))
    copies += [dict(r) for r in rng.sample(validation, 5)]
    entity_copies = [i for i, r in enumerate(copies) if any(t.startswith("B-") for t in r["ner_tags"])]
    for i in rng.sample(entity_copies, 3):
        copies[i] = retype(rng, copies[i])
    insert(rng, train, copies)
    insert(rng, train, [{"tokens": [], "ner_tags": []}, {"tokens": [], "ner_tags": []}])
    train = [dict(r, ner_tags=iob1(r["ner_tags"])) for r in train]
    write(os.path.join(folder, "train.jsonl"), train)


classification("product-reviews", ["negative", "neutral", "positive"], URLS_SHOP, (55, 12, 14),
               (14, 10, 9, 5, 6, 30, 8, 3, 6, 2, 1))
classification("support-tickets", ["high", "routine", "urgent"], URLS_TICKET, None,
               (10, 8, 7, 4, 4, 25, 10, 3, 6, 2, 1))
ner()
