#!/usr/bin/env python3
"""Perplexity of a GGUF decoder with llama.cpp's `llama-perplexity` protocol, by a reference implementation.

The protocol (llama.cpp tools/perplexity/perplexity.cpp, default mode):
  - the text is the whole file (here optionally only its first --bytes bytes), minus one trailing newline;
  - it is tokenized once, with BOS prepended only if the model asks for it (tokenizer.ggml.add_bos_token;
    false for SmolLM2), special tokens not parsed; at least 2 × context tokens are required;
  - non-overlapping chunks of `context` tokens, at most --chunks of them (default all: tokens / context);
    each chunk is evaluated from an empty cache, its first token replaced by BOS if the model asks for BOS;
  - in each chunk the tokens after the first half are scored: for j in [context/2, context − 1), the
    negative log-likelihood of token j + 1 under the logits at position j (log-softmax, float64 sum), so
    context/2 − 1 tokens per chunk;
  - perplexity = exp(mean NLL) over all scored tokens so far (the running value printed after each chunk).

Implementations:
  --impl transformers   the GGUF loaded by transformers (gguf_file=, weights dequantized to F32), forward in
                        float32; tokenized by transformers' tokenizer built from the GGUF metadata.
  --impl llamacpp       llama-cpp-python (scripts/setup_llama.sh) on the same file through its low-level API, as
                        llama-perplexity does: n_ctx = n_batch = n_ubatch = context, one llama_decode per chunk
                        after clearing the cache, outputs only at positions ≥ context/2, flash attention on
                        (llama-perplexity's default `auto` enables it on a CPU), default KV cache (F16); llama.cpp's own tokenizer (llama_tokenize, add_special true, parse_special false).

Prints one JSON object on stdout (impl, model, file, bytes, context, chunks, tokens, tokens_scored, ppl,
running, seconds, threads, versions) and progress on stderr.

Usage: .venv/bin/python scripts/decoder_reference.py --impl transformers|llamacpp [--model FILE.gguf]
         [--file TEXT] [--bytes N] [--context 512] [--chunks N] [--threads N] [--no-flash-attn]
  e.g. --file ../shared/data/wikitext2/test.txt --bytes 40000 --chunks 10
"""
import argparse
import json
import math
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = ROOT / "models" / "smollm2-135m-instruct" / "SmolLM2-135M-Instruct.Q4_1.gguf"
DEFAULT_FILE = ROOT.parent / "shared" / "data" / "wikitext2" / "test.txt"


def read_text(path: Path, limit: int | None) -> str:
    """The file's text as llama-perplexity reads it (`-f`): one trailing newline dropped. With `limit`, only
    the first `limit` bytes (an incomplete UTF-8 sequence at the cut is dropped)."""
    data = path.read_bytes()
    if limit is not None:
        data = data[:limit]
    text = data.decode("utf-8", errors="ignore" if limit is not None else "strict")
    return text[:-1] if text.endswith("\n") else text


def chunk_nll(logits: np.ndarray, tokens: list, first: int) -> np.ndarray:
    """logits: [context − first, V] (float32), positions first … context − 1 of one chunk; tokens: its
    `context` ids → NLL of tokens[first + 1:] given the logits at first … context − 2, as float64
    [context − 1 − first]."""
    rows = logits[:-1].astype(np.float64)  # [n, V]
    targets = np.asarray(tokens[first + 1:])  # [n]
    top = rows.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(rows - top).sum(axis=1)) + top[:, 0]
    return log_z - rows[np.arange(len(targets)), targets]


class TransformersImpl:
    def __init__(self, model: Path, threads: int, flash_attn: bool):
        import torch
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer
        transformers.logging.set_verbosity_error()
        torch.set_num_threads(threads)
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(model.parent, gguf_file=model.name)
        self.model = AutoModelForCausalLM.from_pretrained(model.parent, gguf_file=model.name,
                                                          dtype=torch.float32).eval()
        from gguf import GGUFReader
        field = GGUFReader(str(model)).fields.get("tokenizer.ggml.add_bos_token")
        self.add_bos = bool(field.parts[field.data[0]][0]) if field is not None else False
        self.bos = self.model.config.bos_token_id
        self.versions = {"torch": torch.__version__, "transformers": transformers.__version__}

    def tokenize(self, text: str) -> list:
        ids = self.tokenizer(text, add_special_tokens=False).input_ids
        return [self.bos] + ids if self.add_bos else ids

    def logits(self, tokens: list, first: int) -> np.ndarray:
        """[len(tokens) − first, V]: logits at positions first … len(tokens) − 1 of a fresh forward."""
        with self.torch.no_grad():
            return self.model(input_ids=self.torch.tensor([tokens])).logits[0, first:].float().numpy()


class LlamaCppImpl:
    def __init__(self, model: Path, threads: int, flash_attn: bool, context: int):
        import llama_cpp
        self.lib = llama_cpp
        self.llm = llama_cpp.Llama(str(model), n_ctx=context, n_batch=context, n_ubatch=context,
                                   n_threads=threads, n_threads_batch=threads, flash_attn=flash_attn,
                                   verbose=False)
        self.batch = llama_cpp.llama_batch_init(context, 0, 1)
        self.add_bos = llama_cpp.llama_vocab_get_add_bos(llama_cpp.llama_model_get_vocab(self.llm.model))
        self.bos = self.llm.token_bos()
        self.versions = {"llama_cpp_python": llama_cpp.__version__,
                         "system_info": llama_cpp.llama_print_system_info().decode().strip()}

    def tokenize(self, text: str) -> list:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)  # BOS only if add_bos

    def logits(self, tokens: list, first: int) -> np.ndarray:
        """[len(tokens) − first, V]: one llama_decode of the chunk from an empty cache, outputs requested
        only at positions ≥ first, as llama-perplexity does."""
        lib, ctx, batch = self.lib, self.llm.ctx, self.batch
        lib.llama_memory_clear(lib.llama_get_memory(ctx), True)
        for i, token in enumerate(tokens):
            batch.token[i], batch.pos[i], batch.n_seq_id[i] = token, i, 1
            batch.seq_id[i][0] = 0
            batch.logits[i] = i >= first
        batch.n_tokens = len(tokens)
        if lib.llama_decode(ctx, batch) != 0:
            raise RuntimeError("llama_decode failed")
        rows = len(tokens) - first
        return np.ctypeslib.as_array(lib.llama_get_logits(ctx), shape=(rows, self.llm.n_vocab())).copy()


def main():
    parser = argparse.ArgumentParser(description="Perplexity with llama-perplexity's protocol (reference).")
    parser.add_argument("--impl", choices=["transformers", "llamacpp"], required=True)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="GGUF file (default: SmolLM2)")
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="text file (default: WikiText-2 test)")
    parser.add_argument("--bytes", type=int, default=None, help="only the first N bytes of the file")
    parser.add_argument("--context", type=int, default=512, help="chunk length in tokens (default 512)")
    parser.add_argument("--chunks", type=int, default=None, help="at most N chunks (default: all)")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--no-flash-attn", dest="flash_attn", action="store_false",
                        help="llamacpp: no flash attention (default on, as llama-perplexity's `auto` on a CPU)")
    args = parser.parse_args()

    start = time.time()
    if args.impl == "transformers":
        impl = TransformersImpl(args.model, args.threads, args.flash_attn)
    else:
        impl = LlamaCppImpl(args.model, args.threads, args.flash_attn, args.context)
    text = read_text(args.file, args.bytes)
    tokens = impl.tokenize(text)
    if len(tokens) < 2 * args.context:
        sys.exit(f"error: {args.file} tokenizes to {len(tokens)} tokens; need at least 2 × context = "
                 f"{2 * args.context}")
    n_chunks = len(tokens) // args.context
    if args.chunks is not None:
        n_chunks = min(n_chunks, args.chunks)
    first = args.context // 2
    load_seconds = time.time() - start

    nll_sum, count, running = 0.0, 0, []
    t0 = time.time()
    for i in range(n_chunks):
        chunk = tokens[i * args.context:(i + 1) * args.context]
        fed = [impl.bos] + chunk[1:] if impl.add_bos else chunk
        nll = chunk_nll(impl.logits(fed, first), chunk, first)
        nll_sum += float(nll.sum())
        count += len(nll)
        running.append(round(math.exp(nll_sum / count), 4))
        elapsed = time.time() - t0
        print(f"[{i + 1}/{n_chunks}] ppl {running[-1]:.4f}  ({elapsed / (i + 1):.2f} s/chunk, "
              f"ETA {elapsed / (i + 1) * (n_chunks - i - 1):.0f} s)", file=sys.stderr)
    result = {
        "impl": args.impl, "model": args.model.name, "file": str(args.file), "bytes": args.bytes,
        "context": args.context, "chunks": n_chunks, "tokens": len(tokens), "tokens_scored": count,
        "add_bos": bool(impl.add_bos), "ppl": math.exp(nll_sum / count), "running": running,
        "seconds": round(time.time() - t0, 2), "load_seconds": round(load_seconds, 2), "threads": args.threads,
        "flash_attn": args.flash_attn if args.impl == "llamacpp" else None,
        "python": platform.python_version(), **impl.versions,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
