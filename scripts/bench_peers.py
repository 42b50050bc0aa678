#!/usr/bin/env python3
"""Peer measurements for `attend bench`: what PyTorch, ONNX Runtime and OpenBLAS do on this machine.

Prints one JSON object per line per measurement on stdout (progress and warnings go to stderr):

  bert-base-forward  A BERT-base-shaped transformers.BertModel (12 layers, hidden 768, 12 heads, FFN 3072,
                     vocab 30522, random weights from seed 0, eval) on batch 1 × `seq` random token ids
                     (attention mask all 1, token types 0). impl `pytorch`: torch.set_num_threads(t),
                     inference_mode, default (SDPA) attention. impl `onnxruntime`: the same weights exported
                     once with torch.onnx.export (TorchScript exporter, opset 17, dynamic batch and sequence
                     axes, eager attention; cached under .venv/attend-bench-cache/), CPU provider,
                     intra_op_num_threads = t, inter_op_num_threads = 1, ORT_ENABLE_ALL. Only the forward
                     call is timed: `ms` is the median of --repeats calls after --warmups untimed calls.
                     Keys: name, impl, threads, ms, batch, seq, repeats, version.
  sgemm              numpy float32 `A @ B` ([m,k] × [k,n], standard-normal operands) with numpy's bundled
                     OpenBLAS limited to t threads (OPENBLAS_NUM_THREADS / OMP_NUM_THREADS set before numpy is
                     imported, in a subprocess per thread count). `ms` is the median over enough calls to
                     last ≥ 0.5 s (at least 10), unless --repeats is given. Keys: name, impl (`openblas`),
                     threads, ms, m, k, n, gflops (2·m·k·n / ms), repeats, version.
  sst2-dev           A BertForSequenceClassification HF directory (--model; F16 weights loaded as F32) on the
                     whole dev file (--data): sentences tokenized once (not timed), sorted by token length
                     (stable), cut into batches of --batch, each padded to its longest sentence; `ms` is the
                     median time of one pass classifying every batch (after a warm-up on the shortest and
                     the longest batch), for `pytorch` and for `onnxruntime` (the model exported like
                     above, cached by model path and mtime). Keys: name, impl, threads, ms, batch, max_seq,
                     examples, sentences_per_second, accuracy (a sanity check), repeats, version, model.

  attention          torch.nn.functional.scaled_dot_product_attention on CPU (impl `torch_sdpa`), one head,
                     batch 1, q, k, v standard normal [1, 1, n, --head-dim], no mask, for each n of
                     --attention-sizes; `ms` median of --repeats calls (default: enough for ≥ 1 s, at least 3);
                     `extra_bytes` = the peak resident-set growth during the first call (VmHWM after resetting it
                     through /proc/self/clear_refs, minus VmRSS before). Keys: name (`attention`), impl,
                     threads, n, d, mask (`none`), ms, gflops (4·n²·d / ms), extra_bytes, repeats, version.

Every (measurement, implementation, thread count) runs in its own subprocess of this script, so that no
idle thread pool of another library competes for the cores.

Usage: .venv/bin/python scripts/bench_peers.py [--what forward,sgemm,sst2] [--threads 1,2]
         [--seqs 128,512] [--repeats N] [--warmups 2] [--shapes 768x768x768,128x768x3072,128x3072x768]
         [--model models/minilm-l6-sst2] [--data data/sst2/dev.tsv] [--batch 16]
Exit status: 0 if every measurement succeeded, 1 otherwise (the others are still printed).
"""
import argparse
import contextlib
import hashlib
import json
import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CACHE = ROOT / ".venv" / "attend-bench-cache"
DEFAULT_SHAPES = "768x768x768,128x768x3072,128x3072x768"
BERT_BASE = dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                 intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2)
INPUT_NAMES = ["input_ids", "attention_mask", "token_type_ids"]
OPSET = 17
SGEMM_MIN_SECONDS = 0.5
SST2_DEFAULT_REPEATS = 3
FORWARD_DEFAULT_REPEATS = 10


# ----------------------------------------------------------------------------------------- helpers

def emit(record: dict) -> None:
    """One measurement → one JSON line on stdout."""
    print(json.dumps(record), flush=True)


def info(message: str) -> None:
    print(f"bench_peers: {message}", file=sys.stderr, flush=True)


def int_list(text: str):
    return [int(x) for x in text.split(",") if x]


def parse_shapes(text: str):
    """'768x768x768,128x768x3072' → [(768, 768, 768), (128, 768, 3072)]."""
    shapes = []
    for item in text.split(","):
        m, k, n = (int(x) for x in item.lower().split("x"))
        shapes.append((m, k, n))
    return shapes


def median_ms(fn, repeats: int, warmups: int) -> float:
    """Median wall time of `fn()` in milliseconds over `repeats` calls after `warmups` untimed ones."""
    for _ in range(warmups):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


@contextlib.contextmanager
def stdout_to_stderr():
    """Sends everything written to file descriptor 1 (Python or C++) to stderr meanwhile."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def quiet_libraries() -> None:
    warnings.filterwarnings("ignore")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    import transformers
    transformers.logging.set_verbosity_error()


# --------------------------------------------------------------------------------------- sgemm

def sgemm_worker(args) -> None:
    """Runs in a subprocess whose OPENBLAS_NUM_THREADS is already `args.threads`."""
    import numpy as np
    version = f"numpy {np.__version__}"
    rng = np.random.default_rng(0)
    for m, k, n in parse_shapes(args.shapes):
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        out = np.empty((m, n), dtype=np.float32)
        call = lambda: np.matmul(a, b, out=out)  # noqa: E731
        repeats = args.repeats
        if repeats is None:  # enough calls for SGEMM_MIN_SECONDS, judged from a warm call
            one = median_ms(call, 3, args.warmups) / 1e3
            repeats = max(10, int(SGEMM_MIN_SECONDS / max(one, 1e-6)) + 1)
        ms = median_ms(call, repeats, args.warmups)
        emit({"name": "sgemm", "impl": "openblas", "threads": args.threads, "ms": round(ms, 4),
              "m": m, "k": k, "n": n, "gflops": round(2.0 * m * k * n / (ms * 1e-3) / 1e9, 2),
              "repeats": repeats, "version": version})


# ------------------------------------------------------------------------------- ONNX export

def onnx_cache_path(cache: Path, stem: str, key: str) -> Path:
    import torch
    import transformers
    digest = hashlib.sha256(f"{key}|{torch.__version__}|{transformers.__version__}|{OPSET}".encode())
    return cache / f"{stem}-{digest.hexdigest()[:12]}.onnx"


def export_onnx(model, example: dict, output_names, path: Path) -> None:
    """Exports `model` (positional inputs INPUT_NAMES, given as numpy) to `path`, dynamic batch/sequence."""
    import torch
    path.parent.mkdir(parents=True, exist_ok=True)
    axes = {name: {0: "batch", 1: "sequence"} for name in INPUT_NAMES}
    axes.update({name: {0: "batch"} for name in output_names})
    if "last_hidden_state" in output_names:
        axes["last_hidden_state"] = {0: "batch", 1: "sequence"}
    partial = path.with_suffix(".partial")
    info(f"exporting to {path} (once; cached) …")
    with stdout_to_stderr(), torch.no_grad():
        inputs = tuple(torch.from_numpy(example[n]) for n in INPUT_NAMES)
        torch.onnx.export(model, inputs, str(partial), dynamo=False, input_names=INPUT_NAMES,
                          output_names=list(output_names), dynamic_axes=axes, opset_version=OPSET,
                          do_constant_folding=True)
    partial.replace(path)


def check_export(model, path: Path, example: dict, output_name: str) -> None:
    """Compares ONNX Runtime with PyTorch on `example`; stops if they disagree."""
    import numpy as np
    import onnxruntime as ort
    import torch
    with torch.no_grad():
        expected = getattr(model(**as_torch(example)), output_name).numpy()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run([output_name], example)[0]
    diff = float(np.abs(got - expected).max())
    info(f"export check: max |onnxruntime − pytorch| on {output_name} = {diff:.2e}")
    if not diff < 1e-3:
        path.unlink()
        raise RuntimeError(f"exported model disagrees with PyTorch ({diff})")


def ort_session(path: Path, threads: int):
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def eager_copy(model):
    """The same model with eager attention (the classic graph ONNX Runtime's fusions expect)."""
    copy = type(model)._from_config(model.config, attn_implementation="eager").eval()
    copy.load_state_dict(model.state_dict())
    return copy


# ------------------------------------------------------------------------------------- forward

def bert_base():
    """BERT-base-shaped BertModel with random weights from seed 0, in eval mode."""
    import torch
    from transformers import BertConfig, BertModel
    torch.manual_seed(0)
    return BertModel(BertConfig(**BERT_BASE)).eval()


def forward_inputs(seq: int, batch: int = 1, vocab: int = BERT_BASE["vocab_size"]) -> dict:
    """Random token ids in [1000, vocab) (seed `seq`), all-ones mask, zero token types: int64 numpy arrays."""
    import numpy as np
    ids = np.random.default_rng(seq).integers(min(1000, vocab - 1), vocab, size=(batch, seq), dtype=np.int64)
    return {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)}


def as_torch(feed: dict) -> dict:
    import torch
    return {name: torch.from_numpy(array) for name, array in feed.items()}


def forward_record(impl: str, args, seq: int, ms: float, repeats: int, version: str) -> dict:
    return {"name": "bert-base-forward", "impl": impl, "threads": args.threads, "ms": round(ms, 3),
            "batch": 1, "seq": seq, "repeats": repeats, "version": version}


def forward_pytorch_worker(args) -> None:
    import torch
    quiet_libraries()
    torch.set_num_threads(args.threads)
    model = bert_base()
    repeats = args.repeats or FORWARD_DEFAULT_REPEATS
    for seq in int_list(args.seqs):
        inputs = as_torch(forward_inputs(seq))

        def call():
            with torch.inference_mode():
                model(**inputs)
        ms = median_ms(call, repeats, args.warmups)
        emit(forward_record("pytorch", args, seq, ms, repeats, f"torch {torch.__version__}"))


def bert_base_onnx(cache: Path) -> Path:
    """The cached ONNX export of bert_base(), made (and checked) on first use."""
    path = onnx_cache_path(cache, "bert-base-seed0", "bert-base-seed0")
    if not path.exists():
        quiet_libraries()
        model = eager_copy(bert_base())
        export_onnx(model, forward_inputs(16), ["last_hidden_state", "pooler_output"], path)
        check = forward_inputs(23, batch=2)
        check["attention_mask"][1, 11:] = 0
        check_export(model, path, check, "last_hidden_state")
    return path


def forward_onnxruntime_worker(args) -> None:
    import onnxruntime as ort
    path = bert_base_onnx(Path(args.cache))
    session = ort_session(path, args.threads)
    repeats = args.repeats or FORWARD_DEFAULT_REPEATS
    for seq in int_list(args.seqs):
        feed = forward_inputs(seq)
        ms = median_ms(lambda: session.run(None, feed), repeats, args.warmups)
        emit(forward_record("onnxruntime", args, seq, ms, repeats, f"onnxruntime {ort.__version__}"))


# ---------------------------------------------------------------------------------------- sst2

def read_sst2(path: Path):
    """(sentences, labels) of an SST-2 TSV (header `sentence<TAB>label`; sentence = text before the last tab)."""
    sentences, labels = [], []
    lines = [line for line in path.read_text(encoding="utf-8").split("\n") if line]
    for line in lines[1:]:
        sentence, label = line.rsplit("\t", 1)
        sentences.append(sentence)
        labels.append(int(label))
    return sentences, labels


def sst2_batches(model_dir: Path, data: Path, batch: int):
    """Tokenized dev set as [(feed of int64 numpy arrays, labels)], sorted by token length (stable)."""
    import numpy as np
    from transformers import AutoTokenizer
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    sentences, labels = read_sst2(data)
    encoded = tokenizer(sentences, truncation=False)["input_ids"]
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i]))
    pad = tokenizer.pad_token_id or 0
    batches = []
    for start in range(0, len(order), batch):
        rows = order[start:start + batch]
        width = max(len(encoded[i]) for i in rows)
        ids = np.full((len(rows), width), pad, dtype=np.int64)
        mask = np.zeros((len(rows), width), dtype=np.int64)
        for r, i in enumerate(rows):
            ids[r, :len(encoded[i])] = encoded[i]
            mask[r, :len(encoded[i])] = 1
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        batches.append((feed, [labels[i] for i in rows]))
    return batches


def sst2_measure(impl: str, args, classify, version: str) -> None:
    """Times full passes of `classify(feed) → logits (numpy)` over the dev batches and emits the record."""
    batches = sst2_batches(Path(args.model), Path(args.data), args.batch)
    repeats = args.repeats or SST2_DEFAULT_REPEATS
    predictions = []

    def one_pass():
        predictions.clear()
        for feed, _ in batches:
            predictions.extend(classify(feed).argmax(-1).tolist())
    for _ in range(max(args.warmups, 1)):  # warm-up on the shortest and the longest batch
        classify(batches[0][0])
        classify(batches[-1][0])
    ms = median_ms(one_pass, repeats, 0)
    gold = [y for _, labels in batches for y in labels]
    accuracy = sum(p == y for p, y in zip(predictions, gold)) / len(gold)
    emit({"name": "sst2-dev", "impl": impl, "threads": args.threads, "ms": round(ms, 2),
          "batch": args.batch, "max_seq": int(batches[-1][0]["input_ids"].shape[1]), "examples": len(gold),
          "sentences_per_second": round(len(gold) / (ms * 1e-3), 2), "accuracy": round(accuracy, 4),
          "repeats": repeats, "version": version, "model": str(args.model)})


def load_classifier(model_dir: Path):
    import torch
    from transformers import BertForSequenceClassification
    return BertForSequenceClassification.from_pretrained(model_dir, dtype=torch.float32).eval()


def sst2_pytorch_worker(args) -> None:
    import torch
    quiet_libraries()
    torch.set_num_threads(args.threads)
    model = load_classifier(Path(args.model))

    def classify(feed):
        with torch.inference_mode():
            return model(**as_torch(feed)).logits.numpy()
    sst2_measure("pytorch", args, classify, f"torch {torch.__version__}")


def classifier_onnx(model_dir: Path, cache: Path) -> Path:
    """The cached ONNX export of the classifier in `model_dir`, keyed by its path and weights' mtime."""
    weights = model_dir / "model.safetensors"
    stat = weights.stat()
    key = f"{model_dir.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    path = onnx_cache_path(cache, f"classifier-{model_dir.resolve().name}", key)
    if not path.exists():
        quiet_libraries()
        model = eager_copy(load_classifier(model_dir))
        example = forward_inputs(16, batch=2, vocab=model.config.vocab_size)
        example["attention_mask"][1, 9:] = 0
        export_onnx(model, example, ["logits"], path)
        check = forward_inputs(21, batch=3, vocab=model.config.vocab_size)
        check["attention_mask"][2, 5:] = 0
        check_export(model, path, check, "logits")
    return path


def sst2_onnxruntime_worker(args) -> None:
    import onnxruntime as ort
    path = classifier_onnx(Path(args.model), Path(args.cache))
    session = ort_session(path, args.threads)
    quiet_libraries()
    sst2_measure("onnxruntime", args, lambda feed: session.run(["logits"], feed)[0],
                 f"onnxruntime {ort.__version__}")


# ----------------------------------------------------------------------------------- attention

def resident_bytes(field: str) -> int:
    """VmRSS or VmHWM of this process in bytes (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def peak_extra_bytes(fn) -> int:
    """Peak resident-set growth while `fn()` runs (resets the high-water mark first)."""
    Path("/proc/self/clear_refs").write_text("5")
    before = resident_bytes("VmRSS")
    fn()
    return max(0, resident_bytes("VmHWM") - before)


def attention_torch_worker(args) -> None:
    import torch
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    d = args.head_dim
    for n in int_list(args.attention_sizes):
        q, k, v = (torch.randn(1, 1, n, d) for _ in range(3))
        with torch.inference_mode():
            call = lambda: torch.nn.functional.scaled_dot_product_attention(q, k, v)
            extra = peak_extra_bytes(call)  # the first call, as for Attend
            one = median_ms(call, 1, 0) / 1e3
            repeats = args.repeats or max(3, int(1.0 / max(one, 1e-6)) + 1)
            ms = median_ms(call, repeats, args.warmups)
        emit({"name": "attention", "impl": "torch_sdpa", "threads": args.threads, "n": n, "d": d, "mask": "none",
              "ms": round(ms, 4), "gflops": round(4 * n * n * d / (ms * 1e6), 2), "extra_bytes": extra,
              "repeats": repeats, "version": f"torch {torch.__version__}"})


# ------------------------------------------------------------------------------ orchestration

WORKERS = {
    "sgemm": sgemm_worker,
    "forward-pytorch": forward_pytorch_worker,
    "forward-onnxruntime": forward_onnxruntime_worker,
    "sst2-pytorch": sst2_pytorch_worker,
    "sst2-onnxruntime": sst2_onnxruntime_worker,
    "attention-torch": attention_torch_worker,
}
PLAN = {  # --what item → the workers it runs, in order
    "forward": ["forward-pytorch", "forward-onnxruntime"],
    "sgemm": ["sgemm"],
    "sst2": ["sst2-pytorch", "sst2-onnxruntime"],
    "attention": ["attention-torch"],
}


def run_worker(kind: str, threads: int, args) -> bool:
    """Runs one worker subprocess with its thread count in the environment; its stdout is ours."""
    argv = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--threads", str(threads),
            "--seqs", args.seqs, "--shapes", args.shapes, "--warmups", str(args.warmups),
            "--model", str(args.model), "--data", str(args.data), "--batch", str(args.batch),
            "--cache", str(args.cache), "--attention-sizes", args.attention_sizes, "--head-dim", str(args.head_dim)]
    if args.repeats is not None:
        argv += ["--repeats", str(args.repeats)]
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    env["PYTHONWARNINGS"] = "ignore"
    info(f"{kind}, {threads} thread(s) …")
    sys.stdout.flush()
    result = subprocess.run(argv, env=env, cwd=ROOT)
    if result.returncode != 0:
        info(f"{kind} with {threads} thread(s) failed (exit {result.returncode})")
    return result.returncode == 0


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description="Peer measurements for `attend bench` (JSON lines on stdout).")
    ap.add_argument("--what", default="forward,sgemm,sst2", help="comma list of forward, sgemm, sst2, attention")
    ap.add_argument("--threads", default="1,2", help="comma list of thread counts")
    ap.add_argument("--seqs", default="128,512", help="sequence lengths of bert-base-forward")
    ap.add_argument("--repeats", type=int, default=None,
                    help=f"timed repeats (default: {FORWARD_DEFAULT_REPEATS} per forward, "
                         f"{SST2_DEFAULT_REPEATS} dev passes, sgemm: ≥ {SGEMM_MIN_SECONDS} s)")
    ap.add_argument("--warmups", type=int, default=2, help="untimed calls before timing")
    ap.add_argument("--shapes", default=DEFAULT_SHAPES, help="sgemm shapes MxKxN, comma-separated")
    ap.add_argument("--model", type=Path, default=ROOT / "models" / "minilm-l6-sst2", help="sst2 model dir")
    ap.add_argument("--data", type=Path, default=ROOT / "data" / "sst2" / "dev.tsv", help="sst2 dev TSV")
    ap.add_argument("--batch", type=int, default=16, help="sst2 batch size")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where ONNX exports are cached")
    ap.add_argument("--attention-sizes", default="128,512,2048,8192,32768", help="sequence lengths of the attention benchmark")
    ap.add_argument("--head-dim", type=int, default=64, help="head size of the attention benchmark")
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    return ap.parse_args(argv)


def main() -> int:
    args = parse_args()
    if args.worker:
        args.threads = int(args.threads)
        WORKERS[args.worker](args)
        return 0
    whats = [w.strip() for w in args.what.split(",") if w.strip()]
    unknown = [w for w in whats if w not in PLAN]
    if unknown:
        info(f"unknown --what item(s) {unknown}; known: {sorted(PLAN)}")
        return 2
    args.model, args.data, args.cache = args.model.resolve(), args.data.resolve(), args.cache.resolve()
    try:  # fail early on malformed lists
        parse_shapes(args.shapes), int_list(args.threads), int_list(args.seqs), int_list(args.attention_sizes)
    except ValueError:
        info("malformed --shapes (MxKxN,…), --threads or --seqs (comma lists of integers)")
        return 2
    ok = True
    for what in whats:
        if what == "sst2" and not (args.model / "model.safetensors").exists():
            info(f"skipping sst2: no model at {args.model} (train it with scripts/finetune.py)")
            ok = False
            continue
        for kind in PLAN[what]:
            for threads in int_list(args.threads):
                ok = run_worker(kind, threads, args) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
