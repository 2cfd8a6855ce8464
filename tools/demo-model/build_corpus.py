#!/usr/bin/python3
"""Builds the demo model's question-and-answer corpus from WordNet (Debian's wordnet-base).

For every noun whose most frequent sense has been seen in WordNet's sense-tagged texts
(tag count > 0), one pair: a question about the noun -> the definition part of that sense's gloss.
The question comes in several phrasings (TRAINED_PHRASINGS); others (HELD_OUT_PHRASINGS) are
never trained, only measured.
"artificial intelligence" (the demo question) is added although its tag count is 0.
A deterministic sample of nouns (the 200 smallest SHA-1 hashes of their lemma) is held out.

Writes, into the output directory:
  train.tsv    question<TAB>answer, one pair per line, the demo pair repeated DEMO_COPIES times
  heldout.tsv  the held-out pairs (never trained on)
  trained.tsv  every distinct trained pair
  heldout-sample.tsv, trained-sample.tsv  SAMPLE evenly spaced pairs of each, for the tests
  train-p<k>.tsv  train.tsv's examples in trained phrasing k (train.py picks one per example per epoch)
  phrasings.tsv   every phrasing, trained and held out, of 100 trained and all held-out nouns (measuring)
  phrasings-sample.tsv  every phrasing of 20 trained nouns, for PhrasingsTest
"""
import hashlib
import os
import sys

WORDNET = "/usr/share/wordnet"
HELD_OUT = 200
DEMO_LEMMA = "artificial_intelligence"
DEMO_COPIES = 8
SAMPLE = 30
PHRASING_SAMPLE = 100
PHRASING_TEST_SAMPLE = 20

# Trained phrasings: train.py picks one per noun per epoch (seeded). "What is X?" must stay first
# (the demo question's form; the demo pair's extra copies always use it).
TRAINED_PHRASINGS = [
    ("what-is", lambda x: f"What is {x}?"),
    ("what-is-a", lambda x: f"What is {article(x)}{x}?"),
    ("lower-what-is", lambda x: f"what is {x}?".lower()),
    ("lower-what-is-a", lambda x: f"what is {article(x)}{x}?".lower()),
    ("define", lambda x: f"Define {x}."),
    ("what-does-mean", lambda x: f"What does {x} mean?"),
    ("tell-me-about", lambda x: f"Tell me about {x}."),
]
# Never trained: only measured (phrasings.tsv).
HELD_OUT_PHRASINGS = [
    ("whats", lambda x: f"What's {x}?"),
    ("explain", lambda x: f"Explain {x}."),
    ("can-you-define", lambda x: f"Can you define {x}?"),
    ("lower-what-does-mean", lambda x: f"what does {x} mean".lower()),
    ("meaning-of", lambda x: f"What is the meaning of {x}?"),
]


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


def article(x):
    """'a ' or 'an ' by the first letter (a rough rule: 'an hour', 'a unit' come out wrong); none for
    names and other capitalised or non-alphabetic nouns ('What is Paris?', 'What is 0?')."""
    if not x[0].isalpha() or not x[0].islower():
        return ""
    return "an " if x[0] in "aeiou" else "a "


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
        pairs[lemma] = (display(lemma, words), answer)
    candidates = sorted((l for l in pairs if l != DEMO_LEMMA), key=held_out_key)
    held_out = set(candidates[:HELD_OUT])
    os.makedirs(out_dir, exist_ok=True)
    what_is = TRAINED_PHRASINGS[0][1]
    trained_nouns = [pairs[l] for l in sorted(pairs) if l not in held_out]
    trained = [(what_is(x), answer) for x, answer in trained_nouns]
    write(os.path.join(out_dir, "trained.tsv"), trained)
    held_out_nouns = [pairs[l] for l in sorted(held_out)]
    held_out_pairs = [(what_is(x), answer) for x, answer in held_out_nouns]
    write(os.path.join(out_dir, "heldout.tsv"), held_out_pairs)
    write(os.path.join(out_dir, "heldout-sample.tsv"), evenly_spaced(held_out_pairs, SAMPLE))
    write(os.path.join(out_dir, "trained-sample.tsv"), evenly_spaced(trained, SAMPLE))
    demo_copies = [(what_is(pairs[DEMO_LEMMA][0]), pairs[DEMO_LEMMA][1])] * (DEMO_COPIES - 1)
    write(os.path.join(out_dir, "train.tsv"), trained + demo_copies)
    # One file per trained phrasing, line for line the same examples as train.tsv; the demo
    # pair's extra copies keep the exact demo question in every file.
    for k, (_, phrase) in enumerate(TRAINED_PHRASINGS):
        write(os.path.join(out_dir, f"train-p{k}.tsv"), [(phrase(x), a) for x, a in trained_nouns] + demo_copies)
    # For measuring: every phrasing (trained and held out) of PHRASING_SAMPLE evenly spaced trained
    # nouns and of all held-out nouns: phrasing TAB trained|heldout TAB question TAB gloss.
    with open(os.path.join(out_dir, "phrasings.tsv"), "w", encoding="utf-8") as f:
        for kind, nouns in (("trained", evenly_spaced(trained_nouns, PHRASING_SAMPLE)), ("heldout", held_out_nouns)):
            for name, phrase in TRAINED_PHRASINGS + HELD_OUT_PHRASINGS:
                for x, answer in nouns:
                    f.write(f"{name}\t{kind}\t{phrase(x)}\t{answer}\n")
    # For PhrasingsTest: every phrasing of PHRASING_TEST_SAMPLE evenly spaced trained nouns:
    # phrasing TAB trained|heldout (whether the phrasing was trained) TAB question TAB gloss.
    with open(os.path.join(out_dir, "phrasings-sample.tsv"), "w", encoding="utf-8") as f:
        for kind, phrasings in (("trained", TRAINED_PHRASINGS), ("heldout", HELD_OUT_PHRASINGS)):
            for name, phrase in phrasings:
                for x, answer in evenly_spaced(trained_nouns, PHRASING_TEST_SAMPLE):
                    f.write(f"{name}\t{kind}\t{phrase(x)}\t{answer}\n")
    print(f"{len(pairs)} nouns: {len(trained)} trained, {len(held_out)} held out;"
          f" demo pair x{DEMO_COPIES}: {pairs[DEMO_LEMMA]}; {len(TRAINED_PHRASINGS)} trained phrasings,"
          f" {len(HELD_OUT_PHRASINGS)} held out")


def evenly_spaced(items, count):
    return [items[i * len(items) // count] for i in range(count)]


def write(path, pairs):
    with open(path, "w", encoding="utf-8") as f:
        for question, answer in pairs:
            f.write(question + "\t" + answer + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tools/demo-model/build")
