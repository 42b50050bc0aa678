#!/usr/bin/env python3
"""Int8 peers for `attend bench int8`: PyTorch's and ONNX Runtime's dynamic quantization on this machine.

Prints one JSON object per line per measurement on stdout (progress goes to stderr). Names and keys
follow scripts/bench_peers.py, whose helpers (exports, inputs, timing, subprocess per thread count) this uses.

  int8-gemm          y = x·Wᵀ + b for x [m, k] float32 (standard normal, seed 0) and a Linear weight [n, k]
                     quantized once; the timed call quantizes x dynamically, multiplies in int8 → int32 and
                     dequantizes to float32, as Attend's int8 linear does. impl `pytorch-fbgemm`:
                     torch.ao.nn.quantized.dynamic.Linear (qint8 per-tensor weights, engine fbgemm).
                     impl `onnxruntime-int8`: a one-MatMul ONNX graph passed through
                     onnxruntime.quantization.quantize_dynamic (QInt8 weights; ORT fuses it into
                     DynamicQuantizeMatMul on MLAS's int8 kernels). `ms` median; gflops = 2·m·k·n / ms.
  bert-base-forward  The BERT-base shape of bench_peers.py (random weights, seed 0), batch 1: impl
                     `pytorch-int8` = torch.ao.quantization.quantize_dynamic(model, {Linear}, qint8) (fbgemm);
                     impl `onnxruntime-int8` = quantize_dynamic (QInt8 weights, default per-tensor) of the
                     cached bench_peers export, CPU provider, the session options of bench_peers.py.
  sst2-dev           The bundled classifier on the SST-2 dev set like bench_peers.py, both quantized as above
                     (impls `pytorch-int8`, `onnxruntime-int8`); accuracy is reported.
  forward and sst2 also run bench_peers.py's Float32 ONNX Runtime (impl `onnxruntime`) in the same run.

Usage: .venv/bin/python scripts/bench_int8_peers.py [--what gemm,forward,sst2] [--threads 1,2] [--seqs 128,512]
         [--shapes 128x768x2304,…] [--repeats N]
"""
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_peers as peers  # noqa: E402
from bench_peers import emit, info, int_list, median_ms  # noqa: E402

DEFAULT_SHAPES = "128x768x2304,128x768x768,128x768x3072,128x3072x768"
GEMM_MIN_SECONDS = 0.3


def ort_quantized(path: Path) -> Path:
    """The cached quantize_dynamic of an ONNX model (QInt8 weights), next to it."""
    from onnxruntime.quantization import QuantType, quantize_dynamic
    out = path.with_name(path.stem + "-int8.onnx")
    if not out.exists():
        info(f"quantizing {path.name} with onnxruntime.quantization.quantize_dynamic (once; cached) …")
        with peers.stdout_to_stderr():
            quantize_dynamic(str(path), str(out), weight_type=QuantType.QInt8)
    return out


def gemm_timing(call, args) -> tuple:
    repeats = args.repeats
    if repeats is None:
        one = median_ms(call, 3, args.warmups) / 1e3
        repeats = max(10, int(GEMM_MIN_SECONDS / max(one, 1e-6)) + 1)
    return median_ms(call, repeats, args.warmups), repeats


def gemm_record(impl, args, m, k, n, ms, repeats, version):
    emit({"name": "int8-gemm", "impl": impl, "threads": args.threads, "ms": round(ms, 4), "m": m, "k": k, "n": n,
          "gflops": round(2.0 * m * k * n / (ms * 1e-3) / 1e9, 2), "repeats": repeats, "version": version})


def gemm_pytorch_worker(args) -> None:
    import torch
    torch.set_num_threads(args.threads)
    torch.backends.quantized.engine = "fbgemm"
    from torch.ao.nn.quantized.dynamic import Linear
    torch.manual_seed(0)
    for m, k, n in peers.parse_shapes(args.shapes):
        float_linear = torch.nn.Linear(k, n)
        layer = Linear(k, n, dtype=torch.qint8)
        layer.set_weight_bias(torch.quantize_per_tensor(float_linear.weight.detach(), float_linear.weight.abs().max().item() / 127, 0,
                                                        torch.qint8), float_linear.bias.detach())
        x = torch.randn(m, k)

        def call():
            with torch.inference_mode():
                layer(x)
        ms, repeats = gemm_timing(call, args)
        gemm_record("pytorch-fbgemm", args, m, k, n, ms, repeats, f"torch {torch.__version__}")


def gemm_onnx(cache: Path, k: int, n: int) -> Path:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    path = cache / f"matmul-{k}x{n}.onnx"
    if not path.exists():
        cache.mkdir(parents=True, exist_ok=True)
        w = np.random.default_rng(1).standard_normal((k, n), dtype=np.float32) * 0.05
        b = np.random.default_rng(2).standard_normal(n, dtype=np.float32)
        graph = helper.make_graph(
            [helper.make_node("MatMul", ["x", "w"], ["xw"]), helper.make_node("Add", ["xw", "b"], ["y"])], "linear",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["m", k])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["m", n])],
            [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", peers.OPSET)])
        model.ir_version = 8  # what onnxruntime 1.23 loads
        onnx.save(model, str(path))
    return ort_quantized(path)


def gemm_onnxruntime_worker(args) -> None:
    import numpy as np
    import onnxruntime as ort
    for m, k, n in peers.parse_shapes(args.shapes):
        session = peers.ort_session(gemm_onnx(Path(args.cache), k, n), args.threads)
        feed = {"x": np.random.default_rng(0).standard_normal((m, k), dtype=np.float32)}
        ms, repeats = gemm_timing(lambda: session.run(None, feed), args)
        gemm_record("onnxruntime-int8", args, m, k, n, ms, repeats, f"onnxruntime {ort.__version__}")


def torch_dynamic(model):
    import torch
    torch.backends.quantized.engine = "fbgemm"
    return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def forward_pytorch_worker(args) -> None:
    import torch
    peers.quiet_libraries()
    torch.set_num_threads(args.threads)
    model = torch_dynamic(peers.bert_base())
    repeats = args.repeats or peers.FORWARD_DEFAULT_REPEATS
    for seq in int_list(args.seqs):
        inputs = peers.as_torch(peers.forward_inputs(seq))

        def call():
            with torch.inference_mode():
                model(**inputs)
        emit(peers.forward_record("pytorch-int8", args, seq, median_ms(call, repeats, args.warmups), repeats, f"torch {torch.__version__}"))


def forward_onnxruntime_worker(args) -> None:
    import onnxruntime as ort
    session = peers.ort_session(ort_quantized(peers.bert_base_onnx(Path(args.cache))), args.threads)
    repeats = args.repeats or peers.FORWARD_DEFAULT_REPEATS
    for seq in int_list(args.seqs):
        feed = peers.forward_inputs(seq)
        ms = median_ms(lambda: session.run(None, feed), repeats, args.warmups)
        emit(peers.forward_record("onnxruntime-int8", args, seq, ms, repeats, f"onnxruntime {ort.__version__}"))


def sst2_pytorch_worker(args) -> None:
    import torch
    peers.quiet_libraries()
    torch.set_num_threads(args.threads)
    model = torch_dynamic(peers.load_classifier(Path(args.model)))

    def classify(feed):
        with torch.inference_mode():
            return model(**peers.as_torch(feed)).logits.numpy()
    peers.sst2_measure("pytorch-int8", args, classify, f"torch {torch.__version__}")


def sst2_onnxruntime_worker(args) -> None:
    import onnxruntime as ort
    path = ort_quantized(peers.classifier_onnx(Path(args.model), Path(args.cache)))
    session = peers.ort_session(path, args.threads)
    peers.quiet_libraries()
    peers.sst2_measure("onnxruntime-int8", args, lambda feed: session.run(["logits"], feed)[0], f"onnxruntime {ort.__version__}")


WORKERS = {
    "gemm-pytorch": gemm_pytorch_worker, "gemm-onnxruntime": gemm_onnxruntime_worker,
    "forward-pytorch": forward_pytorch_worker, "forward-onnxruntime": forward_onnxruntime_worker,
    "sst2-pytorch": sst2_pytorch_worker, "sst2-onnxruntime": sst2_onnxruntime_worker,
    # The Float32 ONNX Runtime of bench_peers.py (impl `onnxruntime`), for the int8 speed-ups in the same run.
    "forward-onnxruntime-f32": peers.forward_onnxruntime_worker, "sst2-onnxruntime-f32": peers.sst2_onnxruntime_worker,
}
PLAN = {"gemm": ["gemm-pytorch", "gemm-onnxruntime"], "forward": ["forward-pytorch", "forward-onnxruntime", "forward-onnxruntime-f32"],
        "sst2": ["sst2-pytorch", "sst2-onnxruntime", "sst2-onnxruntime-f32"]}


def main() -> int:
    import argparse
    ap = argparse.ArgumentParser(description="Int8 peer measurements for `attend bench int8` (JSON lines on stdout).")
    ap.add_argument("--what", default="gemm,forward,sst2")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--seqs", default="128,512")
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--warmups", type=int, default=2)
    ap.add_argument("--shapes", default=DEFAULT_SHAPES)
    ap.add_argument("--model", type=Path, default=peers.ROOT / "models" / "minilm-l6-sst2")
    ap.add_argument("--data", type=Path, default=peers.ROOT / "data" / "sst2" / "dev.tsv")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--cache", type=Path, default=peers.DEFAULT_CACHE)
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        args.threads = int(args.threads)
        WORKERS[args.worker](args)
        return 0
    whats = [w for w in args.what.split(",") if w]
    if any(w not in PLAN for w in whats):
        info(f"unknown --what item in {whats}; known: {sorted(PLAN)}")
        return 2
    ok = True
    for what in whats:
        for kind in PLAN[what]:
            for threads in int_list(args.threads):
                argv = [sys.executable, __file__, "--worker", kind, "--threads", str(threads), "--seqs", args.seqs,
                        "--shapes", args.shapes, "--warmups", str(args.warmups), "--model", str(args.model.resolve()),
                        "--data", str(args.data.resolve()), "--batch", str(args.batch), "--cache", str(args.cache.resolve())]
                if args.repeats is not None:
                    argv += ["--repeats", str(args.repeats)]
                env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), PYTHONWARNINGS="ignore")
                info(f"{kind}, {threads} thread(s) …")
                sys.stdout.flush()
                ok = subprocess.run(argv, env=env, cwd=peers.ROOT).returncode == 0 and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
