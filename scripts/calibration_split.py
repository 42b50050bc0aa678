#!/usr/bin/env python3
"""Writes data/<task>/calibration.tsv: a held-out calibration split of GLUE train for the bundled
models — the train rows that the bundled model's fine-tuning (scripts/finetune.py, same recipe and
seed) never read, restricted to whole sentences, with no row that is part of a row fine-tuning read.

Why: a search calibrated on the model's own fine-tuning rows sees the model at its best (SST-2: 94.9 %
on train rows against 89.1 % on dev) and its budget does not transfer. SST-2's train set holds the
phrases of the Stanford Sentiment Treebank's parse trees (median 7 words, 19 % end in . ! or ?),
while its dev and test sets are whole sentences (97 % end in . ! or ?); pruning costs differ between
the two (a 2×2 block is a larger share of a short row), so the split keeps only rows that end like a
sentence. Shorter phrases of these sentences may still be among the rows fine-tuning read.

Usage:  python3 scripts/calibration_split.py            (writes data/sst2/calibration.tsv)
CoLA is not written: its recipe (3 epochs) reads every train row, so nothing is held out.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from glue_train import RECIPES, read_task, training_order

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
SENTENCE_ENDS = (".", "!", "?")


def held_out(task: str):
    """(sentences, labels) of the calibration split, in train-file order."""
    sentences, labels = read_task(task, SHARED / task / "train.tsv")
    recipe = RECIPES[task]
    steps, order = training_order(len(sentences), recipe)
    read = set(order[:steps * recipe["batch"]])
    seen_text = "\n".join(sentences[i].strip() for i in read)
    rows = [i for i in range(len(sentences)) if i not in read
            and sentences[i].strip().endswith(SENTENCE_ENDS) and sentences[i].strip() not in seen_text]
    print(f"{task}: {len(sentences)} train rows, fine-tuning read {len(read)}, "
          f"{len(sentences) - len(read)} unread, {len(rows)} whole sentences not part of a read row", file=sys.stderr)
    return [sentences[i] for i in rows], [labels[i] for i in rows]


def main():
    sentences, labels = held_out("sst2")
    out = ROOT / "data" / "sst2" / "calibration.tsv"
    out.write_text("sentence\tlabel\n" + "".join(f"{s}\t{l}\n" for s, l in zip(sentences, labels)), encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
