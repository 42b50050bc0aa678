#!/usr/bin/env python3
"""Writes PyTorch's reference predictions of a fine-tuned classifier on a GLUE dev set.

Loads a Hugging Face `BertForSequenceClassification` directory (F16/BF16/F32 safetensors, loaded as
float32, eval mode, eager attention) and its tokenizer, classifies every sentence of the repository's
dev set in data order (batches of 32, padded per batch, no truncation) and writes one line per
sentence:

    predicted_label logit0 logit1        (label = argmax id; logits with 7 significant digits)

after a single header line starting with `# produced by`.

Dev sets: data/sst2/dev.tsv (header `sentence<TAB>label`; sentence = everything before the last tab),
data/cola/dev.tsv (4 tab-separated columns, no header; label = column 2, sentence = column 4).

Usage: .venv/bin/python scripts/reference_predictions.py --model models/minilm-l6-sst2 --task sst2 --out FILE
"""
import argparse
import platform
import sys
import warnings
from pathlib import Path

import torch
import transformers
from transformers import AutoTokenizer, BertForSequenceClassification

ROOT = Path(__file__).resolve().parent.parent
BATCH = 32


def read_dev(task: str, path: Path):
    """(sentences, labels) of a GLUE dev file, in file order."""
    sentences, labels = [], []
    lines = [line for line in path.read_text(encoding="utf-8").split("\n") if line]
    if task == "sst2":
        for line in lines[1:]:  # skip the header
            sentence, label = line.rsplit("\t", 1)
            sentences.append(sentence)
            labels.append(int(label))
    else:
        for line in lines:
            cols = line.split("\t")
            sentences.append(cols[3])
            labels.append(int(cols[1]))
    return sentences, labels


def load(model_dir: Path):
    """(tokenizer, model) from a HF directory; the model in float32, eval mode."""
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model, info = BertForSequenceClassification.from_pretrained(
        model_dir, dtype=torch.float32, attn_implementation="eager", output_loading_info=True)
    if info["missing_keys"]:
        print(f"warning: {model_dir} lacks {sorted(info['missing_keys'])}: randomly initialised",
              file=sys.stderr)
    return tokenizer, model.eval()


def classify(tokenizer, model, sentences):
    """Logits [N][num_labels] as a float32 tensor, in input order."""
    out = []
    with torch.no_grad():
        for i in range(0, len(sentences), BATCH):
            enc = tokenizer(sentences[i:i + BATCH], padding=True, truncation=False, return_tensors="pt")
            out.append(model(**enc).logits.float())
    return torch.cat(out)


def matthews(predicted, labels):
    """Matthews correlation of binary labels (0 when a confusion-matrix margin is empty)."""
    tp = sum(p == 1 and y == 1 for p, y in zip(predicted, labels))
    tn = sum(p == 0 and y == 0 for p, y in zip(predicted, labels))
    fp = sum(p == 1 and y == 0 for p, y in zip(predicted, labels))
    fn = sum(p == 0 and y == 1 for p, y in zip(predicted, labels))
    denominator = ((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn)) ** 0.5
    return (tp * tn - fp * fn) / denominator if denominator else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", type=Path, required=True, help="HF model directory")
    ap.add_argument("--task", choices=("sst2", "cola"), required=True)
    ap.add_argument("--out", type=Path, required=True, help="predictions file to write")
    ap.add_argument("--data", type=Path, help="dev file (default data/<task>/dev.tsv)")
    args = ap.parse_args()
    warnings.filterwarnings("ignore")
    transformers.logging.set_verbosity_error()

    data = args.data or ROOT / "data" / args.task / "dev.tsv"
    sentences, labels = read_dev(args.task, data)
    tokenizer, model = load(args.model)
    logits = classify(tokenizer, model, sentences)
    predicted = logits.argmax(-1).tolist()
    accuracy = sum(p == y for p, y in zip(predicted, labels)) / len(labels)
    mcc = matthews(predicted, labels)

    command = " ".join([".venv/bin/python", "scripts/reference_predictions.py"] + sys.argv[1:])
    header = (f"# produced by `{command}` with python {platform.python_version()}, torch {torch.__version__}, "
              f"transformers {transformers.__version__} (float32, eager attention, batches of {BATCH}); "
              f"{len(sentences)} sentences of {data.name if args.data else f'data/{args.task}/dev.tsv'}; "
              f"dev accuracy {accuracy:.6f}; dev mcc {mcc:.6f}; columns: predicted_label "
              + " ".join(f"logit{j}" for j in range(logits.shape[1])))
    lines = [header] + [f"{p} " + " ".join(f"{v:.7g}" for v in row)
                        for p, row in zip(predicted, logits.tolist())]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print(f"{args.out}: {len(sentences)} predictions, accuracy {accuracy:.4f}, mcc {mcc:.4f}", file=sys.stderr)


if __name__ == "__main__":
    main()
