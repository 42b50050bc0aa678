#!/usr/bin/env python3
"""HDP plan vs tiled attention time on 512-token SST-2 inputs, for two attend binaries (RESULTS.md, int8 S_I).

Usage: python3 scripts/hdp_int8_timing.py NEW_ATTEND OLD_ATTEND — runs `eval --task sst2 --data <27 inputs of
512 tokens from timing_results.long_inputs> --truncate --threads 2 --json` with tiled attention and with
plans/sst2-hdp.json, three times each per binary, and prints the fastest attention_seconds and their ratio.
"""
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import timing_results  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "sst2-512.tsv"
        count = timing_results.long_inputs("sst2", data)
        for binary in sys.argv[1:3]:
            seconds = {}
            for name, extra in (("tiled", []), ("hdp plan", ["--plan", "plans/sst2-hdp.json"])):
                runs = [json.loads(subprocess.run([binary, "eval", "--task", "sst2", "--data", str(data), "--json", "--threads", "2",
                                                   "--truncate", *extra], cwd=ROOT, capture_output=True, text=True, check=True).stdout)
                        for _ in range(3)]
                seconds[name] = min(r["attention_seconds"] for r in runs)
                print(f"{binary} · {name} · {count} inputs: attention {seconds[name]:.3f} s, accuracy {runs[0]['accuracy']:.4f}", flush=True)
            print(f"{binary} · HDP / tiled attention time: {seconds['hdp plan'] / seconds['tiled']:.2f}")


if __name__ == "__main__":
    main()
