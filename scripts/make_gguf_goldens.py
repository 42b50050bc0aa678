"""Writes Tests/AttendModelsTests/Goldens/gguf/quant-goldens.gguf with the `gguf` package (the
GGUF writer and quantizers of llama.cpp's gguf-py), as the golden for Attend's GGUF reader and
dequantization:

- metadata of every GGUF value type, an array of strings and a nested array (what GGUFWriter
  writes is what Attend must read back);
- for each type T of F32, F16, BF16, Q4_0, Q4_1, Q8_0, Q4_K, Q6_K: `T.weight`, a [3, C] weight
  stored as T (C = 64, or 512 for the 256-value K-quant blocks), and `T.dequantized`, the same
  values as F32 from gguf.quants.dequantize. Q4_0/Q4_1/Q8_0/F16/BF16 come from gguf.quants.quantize
  of Gaussian values; the K-quants (which gguf-py dequantizes but does not quantize) are random
  blocks whose F16 scale fields are set to small finite values.

Usage: .venv/bin/python scripts/make_gguf_goldens.py   (needs gguf==0.19.0, numpy)
"""
from pathlib import Path

import gguf
import numpy as np
from gguf import GGMLQuantizationType as Q

OUT = Path(__file__).resolve().parent.parent / "Tests/AttendModelsTests/Goldens/gguf/quant-goldens.gguf"
ROWS = 3


def k_quant_blocks(kind: Q, rows: int, columns: int, rng: np.random.Generator) -> np.ndarray:
    block_elements, block_bytes = gguf.GGML_QUANT_SIZES[kind]
    blocks = rng.integers(0, 256, size=(rows * columns // block_elements, block_bytes), dtype=np.uint8)
    scale_fields = [0, 2] if kind == Q.Q4_K else [208]  # Q4_K: d, dmin first; Q6_K: d last
    for offset in scale_fields:
        halves = rng.uniform(-0.01, 0.01, size=len(blocks)).astype(np.float16)
        blocks[:, offset:offset + 2] = halves.view(np.uint8).reshape(-1, 2)
    return blocks.reshape(rows, -1)


def main() -> None:
    rng = np.random.default_rng(11)
    writer = gguf.GGUFWriter(str(OUT), arch="attend-goldens")
    writer.add_uint8("test.uint8", 200)
    writer.add_int8("test.int8", -100)
    writer.add_uint16("test.uint16", 60000)
    writer.add_int16("test.int16", -30000)
    writer.add_uint32("test.uint32", 4_000_000_000)
    writer.add_int32("test.int32", -2_000_000_000)
    writer.add_uint64("test.uint64", 2**63 + 5)
    writer.add_int64("test.int64", -(2**62))
    writer.add_float32("test.float32", 0.15625)
    writer.add_float64("test.float64", -2.5e300)
    writer.add_bool("test.bool", True)
    writer.add_string("test.string", "héllo, GGUF ✓")
    writer.add_array("test.strings", ["a", "", "ünïcode"])
    writer.add_array("test.integers", [1, -2, 3])
    writer.add_array("test.floats", [0.5, -1.25])
    writer.add_array("test.nested", [[1, 2], [3, 4, 5]])

    for kind in [Q.F32, Q.F16, Q.BF16, Q.Q4_0, Q.Q4_1, Q.Q8_0, Q.Q4_K, Q.Q6_K]:
        columns = 512 if kind in (Q.Q4_K, Q.Q6_K) else 64
        if kind in (Q.Q4_K, Q.Q6_K):
            stored = k_quant_blocks(kind, ROWS, columns, rng)
        else:
            values = rng.normal(0, 1, size=(ROWS, columns)).astype(np.float32)
            stored = gguf.quants.quantize(values, kind)
        dequantized = gguf.quants.dequantize(stored, kind).astype(np.float32)
        assert dequantized.shape == (ROWS, columns) and np.isfinite(dequantized).all()
        if kind == Q.F32:
            writer.add_tensor(f"{kind.name}.weight", stored)
        else:
            writer.add_tensor(f"{kind.name}.weight", stored, raw_dtype=kind)
        writer.add_tensor(f"{kind.name}.dequantized", dequantized)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
