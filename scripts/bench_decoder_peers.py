#!/usr/bin/env python3
"""Decoder peer measurements for `attend bench --what decoder`: llama.cpp (llama-cpp-python, built by
scripts/setup_llama.sh) on the same GGUF file, timed by llama.cpp's own performance counters.

Prints one JSON object per line per measurement on stdout (progress and warnings go to stderr):

  decoder-prompt     prompt processing of `tokens` ids (--prompts, default 128 and 512) from an empty KV
                     cache in one llama_decode batch (n_batch = n_ubatch = the longest prompt), logits of the
                     last position only; `ms` = median over --repeats of llama_perf_context's t_p_eval_ms
                     (after one untimed warm-up); tokens_per_second = tokens / ms · 1000 (n_p_eval checked).
  decoder-generate   generation of `tokens` (--gen, default 32) single-token llama_decode calls after a
                     `prompt_tokens`-id prompt (--gen-prompt, default 128), each fed the argmax of the previous
                     logits (greedy); `ms` = median over --repeats of t_eval_ms (n_eval checked).

The ids are the first N tokens of --file (default WikiText-2 test, read like llama-perplexity reads -f: one
trailing newline dropped) as llama.cpp tokenizes it (Llama.tokenize: BOS only if the model asks — SmolLM2
does not), so Attend can process exactly the same ids: `--print-ids` prints them (one JSON line with
`ids`) and exits.

Keys: name, impl (`llamacpp`), threads, tokens, prompt_tokens (generate), tokens_per_second, ms, repeats,
version (llama-cpp-python's), system_info (llama_print_system_info: the CPU features it was built with),
flash_attn, kv_cache (`f16`, llama.cpp's default), vmhwm_bytes (peak resident memory of that process,
model mmap included), model. Each thread count runs in its own subprocess (its own VmHWM).

Usage: .venv/bin/python scripts/bench_decoder_peers.py [--model FILE.gguf] [--threads 1,2]
         [--prompts 128,512] [--gen 32] [--gen-prompt 128] [--repeats 3] [--no-flash-attn] [--file TEXT]
       .venv/bin/python scripts/bench_decoder_peers.py --print-ids [--tokens 512]
Exit status: 0 if every measurement succeeded, 1 otherwise.
"""
import argparse
import ctypes
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = ROOT / "models" / "smollm2-135m-instruct" / "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_FILE = ROOT.parent / "shared" / "data" / "wikitext2" / "test.txt"
PREFIX_BYTES = 64 * 1024  # enough text for a few thousand tokens


def int_list(text: str):
    return [int(x) for x in text.split(",") if x]


def info(message: str) -> None:
    print(f"bench_decoder_peers: {message}", file=sys.stderr, flush=True)


def vmhwm_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return -1


def load(model: Path, threads: int, n_ctx: int, n_batch: int, flash_attn: bool):
    import llama_cpp
    return llama_cpp.Llama(str(model), n_ctx=n_ctx, n_batch=n_batch, n_ubatch=n_batch, n_threads=threads,
                           n_threads_batch=threads, logits_all=False, flash_attn=flash_attn, no_perf=False,
                           verbose=False)


def prompt_ids(llm, path: Path, count: int) -> list:
    with open(path, "rb") as f:
        text = f.read(PREFIX_BYTES).decode("utf-8", errors="ignore")
    ids = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
    if len(ids) < count:
        sys.exit(f"error: the first {PREFIX_BYTES} bytes of {path} give only {len(ids)} tokens; need {count}")
    return ids[:count]


class Counters:
    """llama.cpp's performance counters of one context (llama_perf_context)."""

    def __init__(self, llm):
        import llama_cpp
        self.lib, self.ctx = llama_cpp, llm._ctx.ctx

    def reset(self):
        self.lib.llama_perf_context_reset(self.ctx)

    def read(self):
        self.lib.llama_synchronize(self.ctx)  # llama.cpp adds a decode to its counters when it synchronizes
        return self.lib.llama_perf_context(self.ctx)


def clear(llm) -> None:
    """Empty KV cache and token history."""
    import llama_cpp
    llm.reset()
    llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(llm._ctx.ctx), True)


def last_logits_argmax(llm) -> int:
    import llama_cpp
    ptr = llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1)
    return int(np.ctypeslib.as_array(ptr, shape=(llm.n_vocab(),)).argmax())


def measure_prompt(llm, ids: list, repeats: int) -> float:
    counters, times = Counters(llm), []
    for r in range(repeats + 1):  # the first is a warm-up
        clear(llm)
        counters.reset()
        llm.eval(ids)
        perf = counters.read()
        if perf.n_p_eval != len(ids):
            raise RuntimeError(f"n_p_eval {perf.n_p_eval} ≠ {len(ids)} prompt tokens")
        if r > 0:
            times.append(perf.t_p_eval_ms)
    return statistics.median(times)


def measure_generate(llm, ids: list, n_gen: int, repeats: int) -> float:
    counters, times = Counters(llm), []
    for r in range(repeats + 1):
        clear(llm)
        llm.eval(ids)
        counters.reset()
        token = last_logits_argmax(llm)
        for _ in range(n_gen):
            llm.eval([token])
            token = last_logits_argmax(llm)
        perf = counters.read()
        if perf.n_eval != n_gen:
            raise RuntimeError(f"n_eval {perf.n_eval} ≠ {n_gen} generated tokens")
        if r > 0:
            times.append(perf.t_eval_ms)
    return statistics.median(times)


def worker(args) -> int:
    import llama_cpp
    longest = max(args.prompts + [args.gen_prompt])
    llm = load(args.model, args.threads[0], longest + args.gen, longest, args.flash_attn)
    ids = prompt_ids(llm, args.file, longest)
    common = {"impl": "llamacpp", "threads": args.threads[0], "version": llama_cpp.__version__,
              "system_info": llama_cpp.llama_print_system_info().decode().strip(),
              "flash_attn": args.flash_attn, "kv_cache": "f16", "model": args.model.name}
    records = []
    for n in args.prompts:
        ms = measure_prompt(llm, ids[:n], args.repeats)
        records.append({"name": "decoder-prompt", **common, "tokens": n, "tokens_per_second": n / ms * 1000,
                        "ms": ms, "repeats": args.repeats})
        info(f"llamacpp t={args.threads[0]} pp{n}: {n / ms * 1000:.1f} tokens/s")
    ms = measure_generate(llm, ids[:args.gen_prompt], args.gen, args.repeats)
    records.append({"name": "decoder-generate", **common, "tokens": args.gen, "prompt_tokens": args.gen_prompt,
                    "tokens_per_second": args.gen / ms * 1000, "ms": ms, "repeats": args.repeats})
    info(f"llamacpp t={args.threads[0]} tg{args.gen} after {args.gen_prompt}: {args.gen / ms * 1000:.1f} tokens/s")
    peak = vmhwm_bytes()
    for record in records:
        print(json.dumps({**record, "vmhwm_bytes": peak}), flush=True)
    return 0


def print_ids(args) -> int:
    llm = load(args.model, 1, 512, 512, False)
    ids = prompt_ids(llm, args.file, args.tokens)
    print(json.dumps({"name": "decoder-prompt-ids", "model": args.model.name, "file": str(args.file),
                      "tokens": len(ids), "ids": ids}))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description="llama.cpp decoder peer for `attend bench --what decoder`.")
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="prompt text (default: WikiText-2 test)")
    parser.add_argument("--threads", type=int_list, default=[1, 2])
    parser.add_argument("--prompts", type=int_list, default=[128, 512], help="prompt lengths to time")
    parser.add_argument("--gen", type=int, default=32, help="generated tokens to time")
    parser.add_argument("--gen-prompt", type=int, default=128, help="prompt length before generation")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-flash-attn", dest="flash_attn", action="store_false",
                        help="no flash attention (default on, as llama.cpp's `auto` on a CPU)")
    parser.add_argument("--print-ids", action="store_true", help="print the prompt ids and exit")
    parser.add_argument("--tokens", type=int, default=512, help="with --print-ids: how many ids")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.model.is_file():
        sys.exit(f"error: {args.model} is missing; run scripts/fetch_models.sh")
    if args.print_ids:
        return print_ids(args)
    if args.worker:
        return worker(args)
    status = 0
    for t in args.threads:
        command = [sys.executable, __file__, "--worker", "--model", str(args.model), "--file", str(args.file),
                   "--threads", str(t), "--prompts", ",".join(map(str, args.prompts)), "--gen", str(args.gen),
                   "--gen-prompt", str(args.gen_prompt), "--repeats", str(args.repeats)]
        if not args.flash_attn:
            command.append("--no-flash-attn")
        started = time.time()
        done = subprocess.run(command, stdout=sys.stdout, stderr=sys.stderr)
        if done.returncode != 0:
            info(f"threads {t}: failed (exit {done.returncode}) after {time.time() - started:.0f} s")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
