#!/usr/bin/env python3
"""HDP plan vs tiled attention time on 512-token SST-2 inputs, for one or more attend binaries (RESULTS.md).

Usage: python3 scripts/hdp_int8_timing.py [--rounds N] [--threads T] ATTEND [ATTEND ...] — for each binary, runs
`eval --task sst2 --data <27 inputs of 512 tokens from timing_results.long_inputs> --truncate --threads T --json`
with tiled attention and with plans/sst2-hdp.json, alternating the two N times (so that both see the same load on
a shared machine), and prints the fastest attention_seconds of each, their ratio, and the median of the N paired
ratios (tiled and HDP run back to back).
"""
import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import timing_results  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def run(binary, data, threads, extra):
    out = subprocess.run([binary, "eval", "--task", "sst2", "--data", str(data), "--json", "--threads", str(threads), "--truncate",
                          *extra], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="tiled/HDP pairs per binary")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("binaries", nargs="+")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "sst2-512.tsv"
        count = timing_results.long_inputs("sst2", data)
        for binary in args.binaries:
            tiled, hdp = [], []
            for _ in range(args.rounds):
                tiled.append(run(binary, data, args.threads, []))
                hdp.append(run(binary, data, args.threads, ["--plan", "plans/sst2-hdp.json"]))
            for name, runs in (("tiled", tiled), ("hdp plan", hdp)):
                print(f"{binary} · {name} · {count} inputs: attention {min(r['attention_seconds'] for r in runs):.3f} s "
                      f"(fastest of {args.rounds}), accuracy {runs[0]['accuracy']:.4f}", flush=True)
            fastest = min(r["attention_seconds"] for r in hdp) / min(r["attention_seconds"] for r in tiled)
            paired = statistics.median(h["attention_seconds"] / t["attention_seconds"] for t, h in zip(tiled, hdp))
            print(f"{binary} · HDP / tiled attention time: {fastest:.2f} (fastest of each), {paired:.2f} (median of paired runs)")


if __name__ == "__main__":
    main()
