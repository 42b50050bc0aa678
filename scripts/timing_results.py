#!/usr/bin/env python3
"""Regenerates the CPU-time table of RESULTS.md: attention time and whole-forward time of the searched
window (ReBERT) and HDP plans against exact tiled attention, at the dev sets' real lengths and at 512 tokens.

Inputs: (1) the dev set as is; (2) 512-token inputs made by concatenating consecutive dev sentences
(joined with spaces, ≥ 600 words each, cut to 512 tokens by `--truncate`; their labels are the first
sentence's, so scores on them mean nothing — only times are reported).
Each setting runs `attend eval --task T --data D --json [--plan P] --threads 2` three times; the table
gives the fastest run's `attention_seconds` (time inside the attention calls) and `model_seconds`
(all forward passes, tokenization excluded). Plans come from `plans/` (written by rebert_results.py and
hdp_results.py).

Usage: swift build -c release && python3 scripts/timing_results.py > /tmp/timing.md
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ATTEND = ROOT / ".build" / "release" / "attend"
PLANS = ROOT / "plans"
RUNS = 3


def attend(*args):
    result = subprocess.run([str(ATTEND), *args], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"attend {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def long_inputs(task, path):
    """Writes 512-token inputs built from consecutive dev sentences, in the task's GLUE format; returns how many."""
    lines = (ROOT / "data" / task / "dev.tsv").read_text().splitlines()
    if task == "sst2":  # header, then sentence<TAB>label
        header, rows = lines[:1], [line.rsplit("\t", 1) for line in lines[1:]]
    else:  # no header; source, label, mark, sentence
        header, rows = [], [(fields[3], fields[1]) for fields in (line.split("\t") for line in lines)]
    out, words, label = [], [], None
    for sentence, sentence_label in rows:
        label = label or sentence_label
        words += sentence.split()
        if len(words) >= 600:
            out.append(f"{' '.join(words)}\t{label}" if task == "sst2" else f"long\t{label}\t\t{' '.join(words)}")
            words, label = [], None
    path.write_text("\n".join(header + out) + "\n")
    return len(out)


def timed(task, data, *extra):
    runs = [json.loads(attend("eval", "--task", task, "--data", str(data), "--json", "--threads", "2", "--truncate", *extra))
            for _ in range(RUNS)]
    return min(r["attention_seconds"] for r in runs), min(r["model_seconds"] for r in runs)


def main():
    for plan in ("sst2-window", "sst2-hdp", "cola-window", "cola-hdp"):
        if not (PLANS / f"{plan}.json").exists():
            sys.exit(f"plans/{plan}.json is missing: run scripts/rebert_results.py and scripts/hdp_results.py first")
    out = ["| task | inputs | attention | attention s | forward s | attention time vs tiled | forward time vs tiled |",
           "|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for task in ("sst2", "cola"):
            long_path = Path(tmp) / f"{task}-512.tsv"
            count = long_inputs(task, long_path)
            dev_count = len((ROOT / "data" / task / "dev.tsv").read_text().splitlines()) - (task == "sst2")
            for name, data in ((f"dev, {dev_count} sentences", ROOT / "data" / task / "dev.tsv"), (f"512 tokens, {count} inputs", long_path)):
                base_attention, base_forward = timed(task, data, "--attention", "tiled")
                out.append(f"| {task} | {name} | tiled (exact) | {base_attention:.3f} | {base_forward:.3f} | 1.00 | 1.00 |")
                for label, extra in (("window, searched plan", ["--plan", str(PLANS / f"{task}-window.json")]),
                                     ("HDP, searched plan", ["--plan", str(PLANS / f"{task}-hdp.json")]),
                                     ("HDP, nothing pruned, exact", ["--attention", "hdp", "--block-ratio=-1", "--exact-scores", "--softmax", "exact"])):
                    attention, forward = timed(task, data, *extra)
                    out.append(f"| {task} | {name} | {label} | {attention:.3f} | {forward:.3f} | "
                               f"{attention / base_attention:.2f} | {forward / base_forward:.2f} |")
    print("\n".join(out))


if __name__ == "__main__":
    main()
