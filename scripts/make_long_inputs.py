#!/usr/bin/env python3
"""Writes labeled 512-token GLUE inputs: each row joins randomly drawn sentences of ONE label (so the
row's label is the label of every sentence in it) until it has at least 600 words, which
`attend … --truncate` cuts to the model's 512 tokens.

This is how SpAtten's length-dependent pruning is calibrated and scored at 512 tokens (issue #14):
the plan search reads rows built from the **train** split (`--split train`, `attend search spatten
--train FILE`), the reported accuracy comes from rows built from the bundled **dev** set. Rows drawn
from dev reuse its sentences (872 SST-2 sentences make only ≈ 27 disjoint 512-token rows), so dev
rows are correlated draws, not independent samples; sentences inside one row are distinct.
Labels alternate, so the rows are balanced. Formats: SST-2 (header, sentence<TAB>label), CoLA (no
header; source, label, mark, sentence).

Usage: python3 scripts/make_long_inputs.py --task sst2 --split train|dev --count N [--seed S] --out FILE
"""
import argparse
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORDS = 600


def read_rows(task, split):
    """(sentence, label) pairs of the task's train split (../shared/data) or bundled dev set (data/)."""
    path = (ROOT.parent / "shared" / "data" / task / "train.tsv") if split == "train" else (ROOT / "data" / task / "dev.tsv")
    lines = path.read_text(encoding="utf-8").splitlines()
    if task == "sst2":
        return [tuple(line.rsplit("\t", 1)) for line in lines[1:]]
    return [(fields[3], fields[1]) for fields in (line.split("\t") for line in lines)]


def labeled_long_inputs(task, split, count, seed, path):
    """Writes `count` rows of ≥ 600 words, each of one label's sentences drawn without replacement inside the row."""
    rows = read_rows(task, split)
    by_label = {}
    for sentence, label in rows:
        by_label.setdefault(label, []).append(sentence)
    labels = sorted(by_label)
    rng = random.Random(seed)
    out = []
    for i in range(count):
        label = labels[i % len(labels)]
        pool = by_label[label]
        words = []
        for j in rng.sample(range(len(pool)), len(pool)):
            words += pool[j].split()
            if len(words) >= WORDS:
                break
        text = " ".join(words)
        out.append(f"{text}\t{label}" if task == "sst2" else f"long\t{label}\t\t{text}")
    header = ["sentence\tlabel"] if task == "sst2" else []
    Path(path).write_text("\n".join(header + out) + "\n", encoding="utf-8")
    return len(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", choices=["sst2", "cola"], required=True)
    parser.add_argument("--split", choices=["train", "dev"], required=True)
    parser.add_argument("--count", type=int, required=True, help="rows to write")
    parser.add_argument("--seed", type=int, default=0, help="seed of the draws (default 0)")
    parser.add_argument("--out", required=True, help="the GLUE-format file to write")
    args = parser.parse_args()
    labeled_long_inputs(args.task, args.split, args.count, args.seed, args.out)


if __name__ == "__main__":
    main()
