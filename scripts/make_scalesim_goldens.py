#!/usr/bin/env python3
"""Runs SCALE-Sim 3.0 (CALC bandwidth mode) on awkward GEMM and convolution shapes and writes its
per-layer COMPUTE_REPORT / DETAILED_ACCESS_REPORT figures as the systolic core's parity goldens.

Usage: $(scripts/setup_scalesim.sh) scripts/make_scalesim_goldens.py
Writes Tests/AttendHardwareTests/Goldens/scalesim.csv: one row per (config, layer), the inputs
(dataflow, array, SRAM sizes, layer) followed by SCALE-Sim's numbers exactly as it prints them.
Also prints the seconds SCALE-Sim took per case (stderr), used by the speed comparison.
"""
import contextlib
import io
import itertools
import os
import sys
import tempfile
import time

from scalesim.scale_sim import scalesim

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "Tests", "AttendHardwareTests", "Goldens", "scalesim.csv")

SIZES = [1, 5, 7, 100, 129]
ARRAYS = [(1, 1), (3, 5), (8, 8), (32, 32), (16, 64)]
DATAFLOWS = ["os", "ws", "is"]
# SRAM KiB (ifmap, filter, ofmap): roomy, and tiny so that SCALE-Sim's read buffers flush and the
# ofmap write buffer drains (and stalls) many times.
SRAMS = [(64, 64, 64), (1, 1, 1)]
# GEMM shapes (M, N, K) covering every size in every position, plus the all-equal extremes.
SHAPES = [(m, n, k) for m, n, k in itertools.product(SIZES, SIZES, SIZES)
          if len({SIZES.index(m), SIZES.index(n), SIZES.index(k)}) == 3 or m == n == k]
# Convolutions: name, ifmap h, ifmap w, filter h, filter w, channels, filters, stride.
CONVS = [("conv_a", 7, 7, 3, 3, 3, 4, 2), ("conv_b", 5, 9, 2, 3, 2, 5, 1), ("conv_c", 8, 8, 3, 3, 1, 7, 3)]
# SCALE-Sim steps one Python iteration per array cycle: skip cases longer than this many cycles.
MAX_CYCLES = 20_000


def estimated_cycles(df, rows, cols, m, n, k):
    sr, sc, t = {"os": (m, n, k), "ws": (k, n, m), "is": (k, m, n)}[df]
    return -(-sr // rows) * -(-sc // cols) * (t + 2 * rows + cols)


def config_text(df, rows, cols, sram):
    return f"""[general]
run_name = golden

[architecture_presets]
ArrayHeight:    {rows}
ArrayWidth:     {cols}
IfmapSramSzkB:    {sram[0]}
FilterSramSzkB:   {sram[1]}
OfmapSramSzkB:    {sram[2]}
IfmapOffset:    0
FilterOffset:   10000000
OfmapOffset:    20000000
Dataflow : {df}
Bandwidth : 10
ReadRequestBuffer: 32
WriteRequestBuffer: 32

[layout]
IfmapCustomLayout: False
IfmapSRAMBankBandwidth: 10
IfmapSRAMBankNum: 10
IfmapSRAMBankPort: 2
FilterCustomLayout: False
FilterSRAMBankBandwidth: 10
FilterSRAMBankNum: 10
FilterSRAMBankPort: 2

[sparsity]
SparsitySupport : false
SparseRep : ellpack_block
OptimizedMapping : false
BlockSize : 8
RandomNumberGeneratorSeed : 40

[run_presets]
InterfaceBandwidth: CALC
UseRamulatorTrace: False
"""


def layout_text(layers):
    header = "Layer name, IFMAP Height Intraline Factor, IFMAP Width Intraline Factor, Filter Height Intraline Factor, Filter Width Intraline Factor, Channel Intraline Factor, Num Filter Intraline Factor, IFMAP Height Intraline Order, IFMAP Width Intraline Order, Channel Intraline Order, IFMAP Height Interline Order, IFMAP Width Interline Order, Channel Interline Order, Num Filter Intraline Order, Channel Intraline Order, Filter Height Intraline Order, Filter Width Intraline Order, Num Filter Interline Order, Channel Interline Order, Filter Height Interline Order, Filter Width Interline Order,\n"
    return header + "".join(f"{name}, 1, 1, 1, 1, 1, 1, 0, 1, 2, 0, 1, 2, 0, 1, 2, 3, 0, 1, 2, 3,\n" for name in layers)


def run(df, rows, cols, sram, gemm, layers):
    """Runs SCALE-Sim on one topology; returns (rows of the two reports per layer, seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        cfg, topo, layout = (os.path.join(tmp, n) for n in ("a.cfg", "topo.csv", "layout.csv"))
        with open(cfg, "w") as f:
            f.write(config_text(df, rows, cols, sram))
        with open(topo, "w") as f:
            if gemm:
                f.write("Layer, M, N, K,\n" + "".join(f"{l[0]}, {l[1]}, {l[2]}, {l[3]},\n" for l in layers))
            else:
                f.write("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
                        + "".join(", ".join(str(x) for x in l) + ",\n" for l in layers))
        with open(layout, "w") as f:
            f.write(layout_text([l[0] for l in layers]))
        start = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()):
            sim = scalesim(save_disk_space=True, verbose=False, config=cfg, topology=topo, layout=layout,
                           input_type_gemm=gemm)
            sim.run_scale(top_path=tmp)
        seconds = time.perf_counter() - start
        read = lambda name: [[x.strip() for x in line.split(",")][:-1]
                             for line in open(os.path.join(tmp, "golden", name)).read().splitlines()[1:]]
        return list(zip(read("COMPUTE_REPORT.csv"), read("DETAILED_ACCESS_REPORT.csv"))), seconds


def main():
    header = ("dataflow,array_rows,array_columns,ifmap_sram_kib,filter_sram_kib,ofmap_sram_kib,kind,name,"
              "ifmap_h,ifmap_w,filter_h,filter_w,channels,filters,stride,"
              "total_cycles_with_prefetch,total_cycles,stall_cycles,overall_util_percent,mapping_efficiency_percent,"
              "compute_util_percent,sram_ifmap_reads,sram_filter_reads,sram_ofmap_writes,"
              "dram_ifmap_reads,dram_filter_reads,dram_ofmap_writes,dram_ifmap_start,dram_filter_start,dram_ofmap_stop")
    lines = [header]
    total = 0.0
    for df, (rows, cols), sram in itertools.product(DATAFLOWS, ARRAYS, SRAMS):
        # (An output-stationary 1 × 1 array on a K = 1 GEMM takes 0 cycles: SCALE-Sim divides by zero.)
        gemms = [(f"g{m}x{n}x{k}", m, n, k) for m, n, k in SHAPES
                 if estimated_cycles(df, rows, cols, m, n, k) <= MAX_CYCLES
                 and not (df == "os" and rows == cols == 1 and k == 1)]
        for gemm, layers in ((True, gemms), (False, CONVS)):
            reports, seconds = run(df, rows, cols, sram, gemm, layers)
            total += seconds
            print(f"{df} {rows}x{cols} sram {sram}: {len(layers)} layers, {seconds:.2f} s", file=sys.stderr)
            for layer, (compute, detail) in zip(layers, reports):
                dims = ([layer[1], layer[3], 1, layer[3], 1, layer[2], 1] if gemm else list(layer[1:]))
                # COMPUTE_REPORT: id, total with prefetch, total, stall, overall util, mapping eff, compute util.
                # DETAILED_ACCESS_REPORT: id, then (start, stop, count) for ifmap/filter/ofmap SRAM, then DRAM.
                values = compute[1:7] + [detail[3], detail[6], detail[9], detail[12], detail[15], detail[18],
                                         detail[10], detail[13], detail[17]]
                lines.append(",".join([df, str(rows), str(cols), *map(str, sram), "gemm" if gemm else "conv", layer[0],
                                       *map(str, dims), *values]))
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines) - 1} layers to {OUT}; SCALE-Sim took {total:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
