#!/usr/bin/env python3
"""Where the time goes in an `attend` run, by kernel category (issue #17: profiles, not guesses).

Runs the command under `perf record -e cpu-clock --call-graph dwarf` (a software clock: works on VMs
without hardware counters), then assigns every sample to one category from its call stack and prints
the shares. Samples outside the measured work (start-up, weight generation and packing at load) are
counted separately and left out of the shares.

    python3 scripts/perf_profile.py [--frequency HZ] [--json] -- .build/release/attend bench --what forward --seqs 512 --threads 2 --no-peers

Needs perf (Debian: linux-perf). Categories, first match from the leaf upwards:
  attention     anything under TiledAttention / attend_attention_* (its Q·Kᵀ and P·V tiles included)
  micro-kernel  the SGEMM micro-kernel (kernel_avx2 / kernel_neon / kernel_portable) of the linear layers
  packing       B packed on the fly (attend_gemm_pack_b) and the driver around the micro-kernel
  layernorm / gelu / softmax   the row operations
  hand-offs     the thread pool waiting or spinning (attend_parallel_for, worker_main, cpu_relax, futex, sched)
  other         everything else in the forward (Swift glue, copies, allocation, the kernel)

With --hdp, the samples under HDPMethod are split by HDP stage instead (HDP_RULES below).

--within NAME keeps only the samples whose call stack holds a frame containing NAME (e.g. integerLogits:
the integer path alone, without the calibration's Float32 forwards; samples of pool workers do not hold
their caller's frames, so profile with --threads 1). --by-function replaces the categories by the
first C entry point (attend_*, inline helpers skipped) on each stack, "other" when there is none:

    python3 scripts/perf_profile.py --within integerLogits --by-function -- .build/release/attend eval --task sst2 --precision integer --threads 1
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

SETUP = ("randomWeights", "linearWeight", "_dl_", "ArgumentParser", "Classifier(directory", "loadWeights", "SafeTensors",
         "4load", "Tokenizer", "encode")
RULES = [
    ("attention", ("TiledAttention", "attend_attention_", "DenseAttention")),
    ("micro-kernel", ("kernel_avx2", "kernel_neon", "kernel_portable")),
    ("packing", ("attend_gemm_pack_b", "multiply_block", "attend_gemm_packed", "attend_gemm")),
    ("layernorm", ("layer_norm",)),
    ("gelu", ("gelu", "erf_")),
    ("softmax", ("softmax",)),
]
# --hdp: HDP's stages (SPEC §4.4), first match from the leaf upwards among samples under HDPMethod.
HDP_RULES = [
    ("fixed-point split", ("fixed_point_split",)),
    ("S_I and block sums", ("IntegerScores", "kernel_vnni", "importance_tile", "attend_i8_pack_b", "int8_operands",
                            "attend_int_scores", "attend_u8s8_multiply", "attend_hdp_importance", "block_abs_sums")),
    ("selection", ("row_balanced", "row_stats", "row_at_least", "int64_sum_or", "importance_total", "BlockSelection")),
    ("kept-block scores", ("hdp_scores_", "approximate_scores", "hdp_key_masks", "hdp_pack_key_panels")),
    ("softmax", ("hdp_exponentials_", "ibert_exp", "attend_exp")),
    ("P·V", ("hdp_times_v_", "hdp_copy_kept_values")),
    ("allocation", ("page_fault", "clear_page", "malloc", "free", "swift_allocObject", "swift_release", "memset", "memmove", "munmap", "mmap")),
]
HDP_ORDER = [name for name, _ in HDP_RULES] + ["other HDP"]


def hdp_category(frames):
    """HDP stage of one sample (frames leaf first), or None outside HDP's attention."""
    if not any("HDPMethod" in f for f in frames):
        return None
    for frame in frames:
        for name, needles in HDP_RULES:
            if any(n in frame for n in needles):
                return name
        if "HDPMethod" in frame:
            return "other HDP"  # Swift glue (records, kept counts) or rows kernel bookkeeping
    return "other HDP"


HANDOFF = ("attend_parallel_for", "worker_main", "cpu_relax", "run_tasks", "futex", "sched", "schedule", "pthread_cond",
           "do_syscall", "entry_SYSCALL", "__lll_lock")


def category(frames):
    """frames: symbol names, leaf first."""
    if any(any(s in f for s in SETUP) for f in frames):
        return "setup"
    leaf = frames[0] if frames else ""
    if any(h in leaf for h in HANDOFF):
        return "hand-offs"
    for name, needles in RULES:
        for frame in frames:
            if any(n in frame for n in needles):
                return name
            if any(h in frame for h in ("worker_main", "attend_parallel_for")):
                break  # past the task: the pool's own frames say nothing more
    return "other"


INLINE_HELPERS = ("attend_round_shift", "attend_clamp64", "attend_add_wrapping", "attend_cpu_has_avx2_fma")


def entry_point(frames):
    """The first attend_* C function from the leaf upwards (inline helpers skipped), else "other"."""
    for frame in frames:
        name = frame.split("+0x")[0]
        if name.startswith("attend_") and name not in INLINE_HELPERS:
            return name
    return "other"


def parse(script_text):
    samples, frames = [], None
    for line in script_text.splitlines():
        if not line.strip():
            if frames is not None:
                samples.append(frames)
            frames = None
        elif not line.startswith((" ", "\t")):
            frames = []
        elif frames is not None:
            parts = line.strip().split(" ", 1)
            frames.append(parts[1].rsplit(" (", 1)[0] if len(parts) > 1 else "")
    if frames:
        samples.append(frames)
    return samples


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frequency", type=int, default=499, help="samples per second per thread")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the table")
    parser.add_argument("--hdp", action="store_true",
                        help="shares of HDP's attention by stage (split, S_I and block sums, selection, kept-block scores, softmax, "
                             "P·V, allocation, other) instead of the kernel categories")
    parser.add_argument("--within", metavar="NAME", help="keep only samples whose call stack holds a frame containing NAME")
    parser.add_argument("--by-function", action="store_true", help="shares by the first attend_* C entry point instead of categories")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the command to profile, after --")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to profile after --")
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        record = ["perf", "record", "-q", "-e", "cpu-clock", "-F", str(args.frequency), "--call-graph", "dwarf,16384", "-o", data, "--"]
        run = subprocess.run(record + command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if run.returncode != 0:
            sys.exit(f"perf_profile.py: perf record failed (exit {run.returncode}): {run.stderr.strip()[-500:]}")
        script = subprocess.run(["perf", "script", "-i", data], capture_output=True, text=True)
        if script.returncode != 0:
            sys.exit(f"perf_profile.py: perf script failed: {script.stderr.strip()[-500:]}")
    samples = parse(script.stdout)
    if args.within:
        samples = [f for f in samples if any(args.within in frame for frame in f)]
    if args.hdp:
        stages = collections.Counter(c for c in map(hdp_category, samples) if c)
        total = sum(stages.values())
        shares = {k: (100.0 * stages[k] / total if total else 0.0) for k in HDP_ORDER}
        if args.json:
            print(json.dumps({"command": command, "samples": len(samples), "hdp_samples": total, "percent": shares}))
            return
        print(f"{' '.join(command)}\n{total} samples in HDP's attention (of {len(samples)})")
        print("| HDP stage | share |\n|---|---|")
        for k in HDP_ORDER:
            print(f"| {k} | {shares[k]:.1f} % |")
        return
    classify = entry_point if args.by_function else category
    counts = collections.Counter(classify(frames) for frames in samples)
    measured = sum(v for k, v in counts.items() if k != "setup")
    order = ["micro-kernel", "packing", "attention", "layernorm", "gelu", "softmax", "hand-offs", "other"]
    if args.by_function:
        order = sorted((k for k in counts if k != "setup"), key=lambda k: -counts[k])
    shares = {k: (100.0 * counts[k] / measured if measured else 0.0) for k in order}
    if args.json:
        print(json.dumps({"command": command, "samples": measured, "setup_samples": counts["setup"], "percent": shares}))
        return
    print(f"{' '.join(command)}\n{measured} samples in the measured work ({counts['setup']} in setup, left out)")
    print("| category | share |\n|---|---|")
    for k in order:
        print(f"| {k} | {shares[k]:.1f} % |")


if __name__ == "__main__":
    main()
