#!/usr/bin/env python3
"""Speed of attend's systolic core against SCALE-Sim 3.0 on the same topologies, in one run.

Usage: $(scripts/setup_scalesim.sh) scripts/bench_hardware.py [path/to/attend]
(default .build/release/attend; build it with `swift build -c release --product attend`).
Each topology runs in SCALE-Sim (in this process) and in `attend cost --scalesim-config … --json`
(its own process, wall time of the whole command); the script checks the cycles are equal and
prints both times. Not a test: it takes minutes (SCALE-Sim steps cycle by cycle in Python).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_scalesim_goldens as g  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ATTEND = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "attend")
# (dataflow, rows, cols, layers): BERT-Base's 128-token projection (the 120 s example),
# MiniLM's FFN and a head's Q·Kᵀ on the HDP-Edge array.
CASES = [("os", 32, 32, [("proj", 128, 768, 768)]),
         ("ws", 32, 32, [("ffn_up", 64, 1536, 384)]),
         ("os", 16, 16, [("qk", 64, 64, 32), ("pv", 64, 32, 64)])]


def main():
    print("| dataflow | array | layers | SCALE-Sim s | attend s | ratio | cycles equal |")
    print("|---|---|---|---:|---:|---:|---|")
    for df, rows, cols, layers in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            cfg, topo = os.path.join(tmp, "a.cfg"), os.path.join(tmp, "t.csv")
            open(cfg, "w").write(g.config_text(df, rows, cols, (64, 64, 64)))
            open(topo, "w").write("Layer, M, N, K,\n" + "".join(f"{n}, {m}, {nn}, {k},\n" for n, m, nn, k in layers))
            start = time.perf_counter()
            out = subprocess.run([ATTEND, "cost", "--scalesim-config", cfg, "--topology", topo, "--json"],
                                 check=True, capture_output=True, text=True).stdout
            ours = time.perf_counter() - start
            reports, theirs = g.run(df, rows, cols, (64, 64, 64), True, layers)
            mine = json.loads(out)
            equal = all(int(c[1]) == m["total_cycles_with_prefetch"] and int(c[2]) == m["total_cycles"]
                        and int(d[12]) == m["dram_ifmap_reads"] for (c, d), m in zip(reports, mine))
            names = " + ".join(f"{n} {m}×{nn}×{k}" for n, m, nn, k in layers)
            print(f"| {df} | {rows}×{cols} | {names} | {theirs:.1f} | {ours:.3f} | {theirs / ours:.0f}× | {equal} |")


if __name__ == "__main__":
    main()
