#!/usr/bin/env python3
"""Regenerates the HDP section of RESULTS.md, scored on the dev sets (reporting only; the search reads a
calibration split of *train*).

For each task (SST-2: accuracy, CoLA: MCC, in points):
  - the search: `attend search hdp --task T --max-drop 1.0 --confidence 0.9 --seed 20261123 …
    --out plans/T-hdp.json` (kept in the repository), then `attend eval --task T --plan plans/T-hdp.json --json`.
    SST-2 calibrates on data/sst2/calibration.tsv (all 3,445 rows: train rows the bundled model's
    fine-tuning never read, whole sentences; scripts/calibration_split.py), CoLA on 2,000 rows of
    train (its fine-tuning read every row). Two more SST-2 searches show what each ingredient does:
    the held-out split with the point estimate (no --confidence), and 2,000 rows of all of train
    with the point estimate (plans/sst2-hdp-{heldout,train}-point.json).
  - block pruning alone (exact scores and softmax, no head pruning): HDP's row-balanced ρ_B and the Top-K
    baseline's kept fraction, `attend eval --task T --attention hdp --exact-scores --softmax exact
    --block-ratio R` / `--top-k F`
  - head pruning alone (exact scores and softmax, every block kept): HDP's τ_H at the thresholds the search
    tried (quantiles of calibration head importance), and the magnitude baseline `--magnitude-heads F`
  - the approximations alone (every block and head kept): integer/fraction scores and the polynomial softmax
Block sparsity = 1 − blocks_kept / blocks_total and heads pruned = heads_pruned / heads_total, over every
dev sentence × layer × head (from `attend eval --json`).

Usage: swift build -c release && python3 scripts/hdp_results.py > /tmp/hdp.md
"""
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ATTEND = ROOT / ".build" / "release" / "attend"
PLANS = ROOT / "plans"
COMMON = ["--max-drop", "1.0", "--seed", "20261123"]
HELD_OUT = ["--train", "data/sst2/calibration.tsv", "--calibration", "3445"]
TRAIN = ["--calibration", "2000"]
BOUND = ["--confidence", "0.9"]
# (plan file, what the row says, search options), the task's plan first.
SEARCHES = {
    "sst2": [("sst2-hdp.json", "held-out split, 90 % bound", HELD_OUT + BOUND),
             ("sst2-hdp-heldout-point.json", "held-out split, point estimate", HELD_OUT),
             ("sst2-hdp-train-point.json", "fine-tuning rows, point estimate", TRAIN)],
    "cola": [("cola-hdp.json", "train, 90 % bound", TRAIN + BOUND)],
}
RATIOS = [-1, -0.5, -0.25, 0, 0.2, 0.4, 0.6, 0.8]
TOP_K = [0.7, 0.5, 0.4, 0.3, 0.25, 0.2, 0.15]
MAGNITUDE = [0.1, 0.2, 0.35]
EXACT = ["--attention", "hdp", "--exact-scores", "--softmax", "exact"]


def attend(*args):
    result = subprocess.run([str(ATTEND), *args], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"attend {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def evaluate(task, *extra):
    """(points, block sparsity, heads pruned) of one dev evaluation."""
    s = json.loads(attend("eval", "--task", task, "--json", *extra))
    points = 100 * (s["mcc"] if task == "cola" else s["accuracy"])
    return points, 1 - s["blocks_kept"] / s["blocks_total"], s["heads_pruned"] / s["heads_total"]


def main():
    if not ATTEND.exists():
        sys.exit("build first: swift build -c release")
    PLANS.mkdir(exist_ok=True)
    out = ["| task | setting | dev score | Δ vs dense | block sparsity % | heads pruned % |", "|---|---|---|---|---|---|"]

    def row(task, name, dense, *extra):
        points, blocks, heads = evaluate(task, *extra)
        delta = "–" if dense is None else f"{points - dense:+.2f}"
        out.append(f"| {task} | {name} | {points:.2f} | {delta} | {100 * blocks:.1f} | {100 * heads:.1f} |")
        return points

    for task in ("sst2", "cola"):
        dense = row(task, "dense (tiled)", None)
        for i, (name, calibration, options) in enumerate(SEARCHES[task]):
            plan = PLANS / name
            searched = attend("search", "hdp", "--task", task, *COMMON, *options, "--out", str(plan))
            print(f"{task}: {searched.strip()}", file=sys.stderr)
            found = json.loads(plan.read_text())
            label = "**searched plan**" if i == 0 else "searched plan"
            row(task, f"{label} ({calibration}): ρ_B {found['block_ratio']:g}, τ_H {found['head_threshold']:.3f}, approximate, "
                f"polynomial softmax", dense, "--plan", str(plan))
            if i == 0:
                record = found
        for r in RATIOS:
            row(task, f"HDP blocks ρ_B = {r:g} (exact scores, softmax)", dense, *EXACT, f"--block-ratio={r}")
        for k in TOP_K:
            row(task, f"Top-K blocks, keep {k:g} per row (exact)", dense, *EXACT, "--top-k", str(k))
        taus = sorted({step["head_threshold"] for step in record["search"]["trace"] if step["stage"] == 2})
        for tau in taus:
            row(task, f"HDP heads τ_H = {tau:.3f} (all blocks, exact)", dense, *EXACT, "--block-ratio=-1", "--head-threshold", str(tau))
        for f in MAGNITUDE:
            row(task, f"magnitude heads, prune {f:g} (all blocks, exact)", dense, *EXACT, "--block-ratio=-1", "--magnitude-heads", str(f))
        row(task, "approximate scores only (all blocks and heads)", dense, "--attention", "hdp", "--block-ratio=-1", "--softmax", "exact")
        row(task, "polynomial softmax only (all blocks and heads)", dense, "--attention", "hdp", "--block-ratio=-1", "--exact-scores")
        row(task, "both approximations (all blocks and heads)", dense, "--attention", "hdp", "--block-ratio=-1")
    print("\n".join(out))


if __name__ == "__main__":
    main()
