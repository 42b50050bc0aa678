"""The fine-tuning recipes of the bundled models, their train files, and the order in which
fine-tuning reads the train rows (shared by finetune.py and calibration_split.py, so that the
held-out calibration split is exactly the rows fine-tuning never read)."""
import random
from pathlib import Path

RECIPES = {
    # SST-2: the recipe of ../shared/data/README.md (0.6 epoch, batch 32, lr 1e-4, AdamW, linear decay).
    "sst2": dict(epochs=0.6, batch=32, lr=1e-4, warmup=0.06, weight_decay=0.01,
                 labels={0: "negative", 1: "positive"}),
    # CoLA: 3 epochs at lr 5e-5, the usual GLUE recipe for small BERTs.
    "cola": dict(epochs=3.0, batch=32, lr=5e-5, warmup=0.1, weight_decay=0.01,
                 labels={0: "unacceptable", 1: "acceptable"}),
}
# Windowed continuation from the bundled fine-tuned model: a short run at a lower learning rate.
WINDOW_RECIPES = {
    "sst2": dict(RECIPES["sst2"], epochs=0.2, lr=2e-5),
    "cola": dict(RECIPES["cola"], epochs=1.0, lr=2e-5),
}
SEED = 20261123


def read_task(task: str, path: Path):
    """Returns (sentences, labels) from a GLUE-format TSV file."""
    sentences, labels = [], []
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if task == "sst2":
        for line in lines[1:]:
            if line:
                s, l = line.rsplit("\t", 1)
                sentences.append(s); labels.append(int(l))
    else:
        for line in lines:
            if line:
                cols = line.split("\t")
                sentences.append(cols[3]); labels.append(int(cols[1]))
    return sentences, labels


def training_order(rows: int, recipe: dict):
    """(steps, order): fine-tuning runs `steps` batches of recipe["batch"] rows, batch k being
    order[k·batch:(k+1)·batch]; order concatenates seeded shuffles of range(rows), one per epoch."""
    steps = int(recipe["epochs"] * rows / recipe["batch"])
    order = []
    rng = random.Random(SEED)
    while len(order) < steps * recipe["batch"]:
        epoch = list(range(rows)); rng.shuffle(epoch); order += epoch
    return steps, order
