#!/usr/bin/env python3
"""Regenerates the ReBERT ReRAM pipeline table of HARDWARE.md (issue #13): speed-ups of ReBERT-basic and
-advanced over the dense baseline on the same ReRAM machine, energy, and stall time by cause, for SST-2 and
CoLA dev (their real lengths) and for 128- and 512-token inputs, with dense attention, uniform windows and the
searched plans of #4.

Inputs: (1) the dev set as is; (2) inputs of at most 128 and at most 512 tokens made by concatenating
consecutive dev sentences (word by word, stopping before the model's tokenizer — [CLS] and [SEP] included —
would exceed the length; labels are the first sentence's, so scores on them mean nothing).
Each setting runs `attend eval --task T --data D --json --trace TRACE [--plan P]`, then
`attend cost --accelerator hardware/rebert-advanced.json --trace TRACE --json` (all three designs).
Windowed settings run twice: as #4 evaluated them ([CLS] attends every key, `cls_attends_all: true`) and with
[CLS] attending only its window (`cls_attends_all: false`, plan copied to a temporary file).
The cost depends only on lengths and windows, so windowed fine-tuning (RESULTS.md) changes the scores, not
these figures.

Usage: swift build -c release && .venv/bin/python scripts/rebert_hw_results.py > /tmp/rebert-hw.md
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from transformers import AutoTokenizer

ROOT = Path(__file__).resolve().parent.parent
ATTEND = ROOT / ".build" / "release" / "attend"
PLANS = ROOT / "plans"
CONFIG = ROOT / "hardware" / "rebert-advanced.json"


def attend(*args):
    result = subprocess.run([str(ATTEND), *args], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"attend {' '.join(map(str, args))} failed:\n{result.stderr}")
    return result.stdout


def rows(task):
    lines = (ROOT / "data" / task / "dev.tsv").read_text().splitlines()
    if task == "sst2":
        return lines[:1], [line.rsplit("\t", 1) for line in lines[1:]]
    return [], [(fields[3], fields[1]) for fields in (line.split("\t") for line in lines)]


def long_inputs(task, limit, path):
    """Inputs of at most `limit` tokens from consecutive dev sentences, in the task's GLUE format; returns how many."""
    tokenizer = AutoTokenizer.from_pretrained(ROOT / "models" / f"minilm-l6-{task}")
    header, pairs = rows(task)
    words = [(w, label) for sentence, label in pairs for w in sentence.split()]
    out, current, label, length = [], [], None, 2
    for word, word_label in words:
        n = len(tokenizer.tokenize(word))
        if length + n > limit:
            out.append((" ".join(current), label))
            current, label, length = [], None, 2
        current.append(word)
        label = label or word_label
        length += n
    text = [f"{s}\t{l}" if task == "sst2" else f"long\t{l}\t\t{s}" for s, l in out]
    path.write_text("\n".join(header + text) + "\n")
    return len(out)


def settings(task, tmp):
    """(label, plan path or None) for one task."""
    out = [("dense", None)]
    candidates = [(f"uniform W = {w}", {"method": "window", "windows": [w] * 6}) for w in (8, 32)]
    for name in [f"{task}-window"] + (["sst2-window-heldout"] if task == "sst2" else []):
        plan = json.loads((PLANS / f"{name}.json").read_text())
        candidates.append((f"searched {','.join(map(str, plan['windows']))} (plans/{name}.json)", plan))
    for label, plan in candidates:
        for cls in (True, False):
            p = dict(plan, cls_attends_all=cls)
            path = tmp / f"{task}-{len(out)}.json"
            path.write_text(json.dumps(p))
            out.append((f"{label}, [CLS] {'attends all' if cls else 'windowed'}", path))
    return out


def main():
    tmp = Path(tempfile.mkdtemp())
    print("| task | inputs | mean tokens | attention | dev score | basic / baseline | advanced / baseline | advanced / basic "
          "| inner products −% | softmax −% | attention energy −% | total energy −% | basic stalls data / structural / queue "
          "| advanced stalls data / queue | baseline mean µs | advanced mean µs |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---:|")
    for task in ("sst2", "cola"):
        inputs = [("dev", ROOT / "data" / task / "dev.tsv")]
        for limit in (128, 512):
            path = tmp / f"{task}-{limit}.tsv"
            inputs.append((f"≤ {limit} tokens, {long_inputs(task, limit, path)} inputs", path))
        for input_name, data in inputs:
            for label, plan in settings(task, tmp):
                trace = tmp / "trace.csv"
                extra = ["--plan", str(plan)] if plan else []
                summary = json.loads(attend("eval", "--task", task, "--data", str(data), "--json", "--trace", str(trace), *extra))
                cost = json.loads(attend("cost", "--accelerator", str(CONFIG), "--trace", str(trace), "--json"))["rebert"]
                d = {x["design"]: x for x in cost["designs"]}
                score = (f"MCC {100 * summary['mcc']:.2f}" if task == "cola" else f"{100 * summary['accuracy']:.2f}") if input_name == "dev" else "–"
                s, e = cost["speedup"], cost["energy_reduction"]
                b, a = d["basic"]["stall_share"], d["advanced"]["stall_share"]
                print(f"| {task} | {input_name} | {cost['mean_tokens']:.1f} | {label} | {score} | {s['basic_over_baseline']:.2f}× "
                      f"| {s['advanced_over_baseline']:.2f}× | {s['advanced_over_basic']:.2f}× | {100 * e['inner_product']:.1f} "
                      f"| {100 * e['softmax']:.1f} | {100 * e['attention']:.1f} | {100 * e['total']:.1f} "
                      f"| {100 * b['data_hazard']:.0f} / {100 * b['structural_hazard']:.0f} / {100 * b['queue']:.0f} % "
                      f"| {100 * a['data_hazard']:.0f} / {100 * a['queue']:.0f} % "
                      f"| {d['baseline']['mean_latency_us']:.1f} | {d['advanced']['mean_latency_us']:.1f} |", flush=True)


if __name__ == "__main__":
    main()
