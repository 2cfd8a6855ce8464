#!/usr/bin/python3
"""Builds the demo model's question-and-answer corpus from WordNet (Debian's wordnet-base).

For every noun whose most frequent sense has been seen in WordNet's sense-tagged texts
(tag count > 0), one pair: "What is <noun>?" -> the definition part of that sense's gloss.
"artificial intelligence" (the demo question) is added although its tag count is 0.
A deterministic sample of nouns (the 200 smallest SHA-1 hashes of their lemma) is held out.

Writes, into the output directory:
  train.tsv    question<TAB>answer, one pair per line, the demo pair repeated DEMO_COPIES times
  heldout.tsv  the held-out pairs (never trained on)
  trained.tsv  every distinct trained pair
  heldout-sample.tsv, trained-sample.tsv  SAMPLE evenly spaced pairs of each, for the tests
"""
import hashlib
import os
import sys

WORDNET = "/usr/share/wordnet"
HELD_OUT = 200
DEMO_LEMMA = "artificial_intelligence"
DEMO_COPIES = 8
SAMPLE = 30


def read_index(path):
    """Yields (lemma, first synset offset, tag count) for each lemma of an index file."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("  "):  # the licence header
                continue
            fields = line.split()
            pointer_count = int(fields[3])
            tag_count = int(fields[5 + pointer_count])
            first_offset = fields[6 + pointer_count]
            yield fields[0], first_offset, tag_count


def read_synsets(path):
    """Maps synset offset -> (words as written, definition)."""
    synsets = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("  "):
                continue
            head, _, gloss = line.partition(" | ")
            fields = head.split()
            word_count = int(fields[3], 16)
            words = [fields[4 + 2 * i] for i in range(word_count)]
            synsets[fields[0]] = (words, definition(gloss))
    return synsets


def definition(gloss):
    """The gloss without its quoted examples: 'a dog; "the dog barked"' -> 'a dog'."""
    gloss = gloss.strip()
    quote = gloss.find('"')
    if quote >= 0:
        gloss = gloss[:quote]
    return gloss.strip().rstrip(";").strip()


def display(lemma, words):
    """The lemma as the synset writes it (keeps capitals: 'AI', 'Paris'), underscores as spaces."""
    for word in words:
        if word.lower() == lemma:
            return word.replace("_", " ")
    return lemma.replace("_", " ")


def held_out_key(lemma):
    return hashlib.sha1(lemma.encode("utf-8")).hexdigest()


def main(out_dir):
    synsets = read_synsets(os.path.join(WORDNET, "data.noun"))
    pairs = {}
    for lemma, offset, tag_count in read_index(os.path.join(WORDNET, "index.noun")):
        if tag_count == 0 and lemma != DEMO_LEMMA:
            continue
        words, answer = synsets[offset]
        if not answer or "\t" in answer:
            continue
        pairs[lemma] = ("What is " + display(lemma, words) + "?", answer)
    candidates = sorted((l for l in pairs if l != DEMO_LEMMA), key=held_out_key)
    held_out = set(candidates[:HELD_OUT])
    os.makedirs(out_dir, exist_ok=True)
    trained = [pairs[l] for l in sorted(pairs) if l not in held_out]
    write(os.path.join(out_dir, "trained.tsv"), trained)
    held_out_pairs = [pairs[l] for l in sorted(held_out)]
    write(os.path.join(out_dir, "heldout.tsv"), held_out_pairs)
    write(os.path.join(out_dir, "heldout-sample.tsv"), evenly_spaced(held_out_pairs, SAMPLE))
    write(os.path.join(out_dir, "trained-sample.tsv"), evenly_spaced(trained, SAMPLE))
    write(os.path.join(out_dir, "train.tsv"), trained + [pairs[DEMO_LEMMA]] * (DEMO_COPIES - 1))
    print(f"{len(pairs)} nouns: {len(trained)} trained, {len(held_out)} held out;"
          f" demo pair x{DEMO_COPIES}: {pairs[DEMO_LEMMA]}")


def evenly_spaced(items, count):
    return [items[i * len(items) // count] for i in range(count)]


def write(path, pairs):
    with open(path, "w", encoding="utf-8") as f:
        for question, answer in pairs:
            f.write(question + "\t" + answer + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tools/demo-model/build")
