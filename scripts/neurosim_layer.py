#!/usr/bin/env python3
"""Writes NeuroSim V1.3 inputs for the crossbar comparison of HARDWARE.md (issue #13): one fully connected layer
[512] · [512, 256] run as a 1 × 1 convolution over a 4 × 4 input (16 input vectors), 16-bit weights in (−1, 1) and
16-bit binary input planes, seeded. NeuroSim's own chip hierarchy rejects a layer that fits a single 128 × 128
subarray, hence 4 × 16 subarrays at 2-bit cells.

Usage (in a DNN_NeuroSim_V1.3 checkout, Inference_pytorch/NeuroSIM, after `make`; Param.cpp unchanged):
  python3 scripts/neurosim_layer.py DIR && (cd DIR && ./main NetWork_kt.csv 16 16 w_kt.csv in_kt.csv)
"""
import random
import sys
from pathlib import Path

ROWS, COLUMNS, VECTORS, BITS = 512, 256, 16, 16


def main():
    out = Path(sys.argv[1])
    rng = random.Random(20261201)
    (out / "NetWork_kt.csv").write_text(f"4,4,{ROWS},1,1,{COLUMNS},0,1\n")
    (out / "w_kt.csv").write_text("\n".join(",".join(f"{rng.uniform(-1, 1):.4f}" for _ in range(COLUMNS)) for _ in range(ROWS)) + "\n")
    (out / "in_kt.csv").write_text("\n".join(",".join(str(rng.randint(0, 1)) for _ in range(VECTORS * BITS)) for _ in range(ROWS)) + "\n")


if __name__ == "__main__":
    main()
