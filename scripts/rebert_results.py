#!/usr/bin/env python3
"""Regenerates the ReBERT section of RESULTS.md: uniform-window sweeps and searched plans, scored on the
dev sets (reporting only; the search itself reads a calibration split of *train*).

For each task (SST-2: accuracy, CoLA: MCC, in points):
  - dense: `attend eval --task T --json`
  - uniform windows W ∈ {1, 2, 4, 8, 16, 32}: `attend eval --task T --attention window --windows W --json --trace F`
  - the LUT softmax (4 integer, 8 fraction, 6 LSB bits): `--attention tiled --softmax lut` and W = 8 with it
  - the searched plan: `attend search windows --task T --max-drop 1.0 --calibration 2000 --seed 20261123
    --out plans/T-window.json` (kept in the repository), then `attend eval --task T --plan P --json --trace F`
Inner products removed = 1 − Σ allowed_entries / Σ queries·keys over the trace (every sentence × layer × head);
softmax exponentials removed is the same fraction (one exponential per allowed entry); attention MACs removed
= 1 − attention_macs / dense_attention_macs (what the tiled CPU kernel actually computed, whole tiles).

Usage: swift build -c release && python3 scripts/rebert_results.py > /tmp/rebert.md
"""
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ATTEND = ROOT / ".build" / "release" / "attend"
PLANS = ROOT / "plans"
WINDOWS = [1, 2, 4, 8, 16, 32]
SEARCH = ["--max-drop", "1.0", "--calibration", "2000", "--seed", "20261123"]


def attend(*args):
    result = subprocess.run([str(ATTEND), *args], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"attend {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def evaluate(task, *extra, trace=None):
    """(points, summary, inner-product fraction removed) of one dev evaluation."""
    args = ["eval", "--task", task, "--json", *extra] + (["--trace", str(trace)] if trace else [])
    summary = json.loads(attend(*args))
    points = 100 * (summary["mcc"] if task == "cola" else summary["accuracy"])
    removed = None
    if trace:
        with open(trace) as f:
            rows = list(csv.DictReader(f))
        allowed = sum(int(r["allowed_entries"]) for r in rows)
        dense = sum(int(r["queries"]) * int(r["keys"]) for r in rows)
        removed = 1 - allowed / dense
    return points, summary, removed


def main():
    if not ATTEND.exists():
        sys.exit("build first: swift build -c release")
    out = ["| task | attention | dev score | Δ vs dense | inner products −% | softmax exps −% | attention MACs −% (tiled kernel) |",
           "|---|---|---|---|---|---|---|"]
    PLANS.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for task in ("sst2", "cola"):
            metric = "MCC" if task == "cola" else "accuracy"
            dense, _, _ = evaluate(task)
            out.append(f"| {task} | dense | {metric} {dense:.2f} | – | 0 | 0 | 0 |")
            rows = [(f"window W = {w} (all layers)", ["--attention", "window", "--windows", str(w)]) for w in WINDOWS]
            plan = PLANS / f"{task}-window.json"
            searched = attend("search", "windows", "--task", task, *SEARCH, "--out", str(plan))
            windows = json.loads(plan.read_text())["windows"]
            rows.append((f"searched {','.join(map(str, windows))}", ["--plan", str(plan)]))
            rows.append(("tiled, LUT softmax", ["--attention", "tiled", "--softmax", "lut"]))
            rows.append(("window W = 8, LUT softmax", ["--attention", "window", "--windows", "8", "--softmax", "lut"]))
            for name, extra in rows:
                trace = Path(tmp) / "trace.csv"
                points, summary, removed = evaluate(task, *extra, trace=trace)
                macs = 1 - summary["attention_macs"] / summary["dense_attention_macs"]
                out.append(f"| {task} | {name} | {metric} {points:.2f} | {points - dense:+.2f} | {100 * removed:.1f} | "
                           f"{100 * removed:.1f} | {100 * macs:.1f} |")
            print(f"{task}: {searched.strip()}", file=sys.stderr)
    print("\n".join(out))


if __name__ == "__main__":
    main()
