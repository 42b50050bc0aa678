#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (Fuzz/Corpus/<target>/) and dictionaries
(Fuzz/Dictionaries/<target>.dict) from the repository's real files, cut down where the real file
is large, so that libFuzzer starts from inputs that reach deep into each parser.

Usage: .venv/bin/python scripts/make_fuzz_corpus.py   (needs `swift build` for the traces:
it runs .build/debug/attend eval … --trace, or $ATTEND_BIN; the SmolLM2 GGUF from scripts/fetch_models.sh)

Every seed is real data: the bundled MiniLM models' safetensors / tokenizer / config files, the
SmolLM2 GGUF's own metadata, GPT-2's BPE files, GLUE dev rows, the plans and hardware files, and
traces written by `attend eval`. Dictionaries are the formats' keywords, taken from those files.
"""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file
from safetensors import safe_open
import gguf

ROOT = Path(__file__).resolve().parent.parent
FUZZ = ROOT / "Fuzz"
CORPUS = FUZZ / "Corpus"
DICTS = FUZZ / "Dictionaries"
MINILM = ROOT / "models" / "minilm-l6-sst2"
SMOLLM = ROOT / "models" / "smollm2-135m-instruct" / "SmolLM2-135M-Instruct.Q4_1.gguf"
GOLDENS = ROOT / "Tests" / "AttendModelsTests" / "Goldens"


def seed_dir(target):
    d = CORPUS / target
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


def write(path, data):
    Path(path).write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))


def write_dict(target, tokens):
    """libFuzzer dictionary: one quoted token per line (escapes for non-printables)."""
    def quote(t):
        return '"' + "".join(chr(c) if 32 <= c < 127 and c not in (34, 92) else f"\\x{c:02x}" for c in t) + '"'
    DICTS.mkdir(parents=True, exist_ok=True)
    unique = sorted({t.encode("utf-8") if isinstance(t, str) else t for t in tokens}, key=lambda t: (len(t), t))
    (DICTS / f"{target}.dict").write_text("".join(f"{quote(t)}\n" for t in unique))


def json_keys(value, out):
    if isinstance(value, dict):
        for k, v in value.items():
            out.add(k)
            json_keys(v, out)
    elif isinstance(value, list):
        for v in value:
            json_keys(v, out)
    elif isinstance(value, str) and len(value) < 24:
        out.add(value)
    return out


JSON_TOKENS = ["{", "}", "[", "]", ":", ",", '"', "true", "false", "null", "\\u", "\\\"", "\\\\", "\\ud800", "\\udc00",
               "-0", "1e308", "1E-400", "0.5", "123456789012345678901234567890", "-9223372036854775809", " ", "\t", "\n"]


def safetensors_seeds():
    d = seed_dir("safetensors")
    with safe_open(MINILM / "model.safetensors", framework="numpy") as f:
        names = sorted(f.keys())
        small = [n for n in names if n.endswith("LayerNorm.weight")][:3] + [n for n in names if n.startswith("classifier")]
        tensors = {n: f.get_tensor(n) for n in small}
        header_len = int.from_bytes((MINILM / "model.safetensors").read_bytes()[:8], "little")
        header = json.loads((MINILM / "model.safetensors").read_bytes()[8:8 + header_len])
    # Real tensors, as stored (F32), with the real file's metadata.
    meta = header.get("__metadata__", {"format": "pt"})
    save_file(tensors, str(d / "minilm-f32.safetensors"), metadata=meta)
    # The same in F16, and one BF16-shaped tensor (U16 bit patterns saved as the BF16 dtype below).
    save_file({n: t.astype(np.float16) for n, t in tensors.items()}, str(d / "minilm-f16.safetensors"))
    save_file({"classifier.bias": tensors["classifier.bias"], "scalar": np.array(1.5, dtype=np.float32),
               "empty": np.zeros((0, 3), dtype=np.float32)}, str(d / "minilm-scalar-empty.safetensors"))
    bf = tensors["classifier.bias"].view(np.uint32) >> 16
    raw = (bf.astype(np.uint16)).tobytes()
    hdr = json.dumps({"classifier.bias": {"dtype": "BF16", "shape": list(tensors["classifier.bias"].shape),
                                          "data_offsets": [0, len(raw)]}}).encode()
    write(d / "minilm-bf16.safetensors", len(hdr).to_bytes(8, "little") + hdr + raw)
    # The real header, as is, without its 45 MB of data (fails at the tiling check, deep inside).
    write(d / "minilm-header-only.safetensors", header_len.to_bytes(8, "little") + json.dumps(header).encode())
    tokens = JSON_TOKENS + ["__metadata__", "dtype", "shape", "data_offsets", "format", "pt"]
    tokens += [t for t in ["BOOL", "U8", "I8", "F8_E5M2", "F8_E4M3", "F8_E8M0", "I16", "U16", "F16", "BF16", "I32", "U32",
                           "F32", "I64", "U64", "F64", "C64", "F4", "F6_E2M3", "F6_E3M2"]]
    tokens += [b"\x00\x00\x00\x00\x00\x00\x00\x00", b"\xff\xff\xff\xff\xff\xff\xff\xff"]
    write_dict("safetensors", tokens)


def gguf_seeds():
    d = seed_dir("gguf")
    # The bundled tiny Llama GGUF (real writer output) in its quantized form.
    shutil.copy(GOLDENS / "tiny-llama-gguf" / "tiny-llama-q4_0.gguf", d / "tiny-llama-q4_0.gguf")
    shutil.copy(GOLDENS / "gguf" / "quant-goldens.gguf", d / "quant-goldens.gguf")
    keys = ["GGUF"]
    if SMOLLM.exists():
        # SmolLM2's real metadata with the tokenizer arrays cut to their first entries, and its
        # two smallest tensors with their real bytes.
        reader = gguf.GGUFReader(str(SMOLLM))
        w = gguf.GGUFWriter(str(d / "smollm2-cut.gguf"), arch="llama")
        for field in reader.fields.values():
            name = field.name
            keys.append(name)
            if name.startswith("GGUF.") or name == "general.architecture":
                continue
            vtype = field.types[0]
            if vtype == gguf.GGUFValueType.ARRAY:
                etype = field.types[-1]
                items = [field.contents(i) for i in range(min(len(field.data), 64))]
                w.add_array(name, items) if etype != gguf.GGUFValueType.STRING else w.add_array(name, [str(x) for x in items])
            elif vtype == gguf.GGUFValueType.STRING:
                w.add_string(name, str(field.contents()))
            else:
                w.add_key_value(name, field.contents(), vtype)
        small = sorted(reader.tensors, key=lambda t: t.n_bytes)[:2]
        for t in small:
            keys.append(t.name)
            w.add_tensor(t.name, np.array(t.data), raw_shape=list(reversed([int(x) for x in t.shape])), raw_dtype=t.tensor_type)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
    write_dict("gguf", keys + [b"\x03\x00\x00\x00", b"\x02\x00\x00\x00", b"\x08\x00\x00\x00", b"\x09\x00\x00\x00",
                               b"\xff\xff\xff\xff\xff\xff\xff\xff", b"\x00\x00\x00\x00\x00\x00\x00\x80"])


def cut_tokenizer_json(keep_words):
    """The MiniLM tokenizer.json with its vocabulary cut to the specials, a few hundred tokens and
    the pieces of `keep_words`, ids renumbered 0..<n (a real file's structure, 10 KB not 460)."""
    tok = json.loads((MINILM / "tokenizer.json").read_text())
    vocab = tok["model"]["vocab"]
    by_id = sorted(vocab.items(), key=lambda kv: kv[1])
    keep = [t for t, i in by_id if i < 110 or (1000 <= i < 1300) or t in keep_words or t.lstrip("#") in keep_words]
    tok["model"]["vocab"] = {t: i for i, t in enumerate(keep)}
    new_id = tok["model"]["vocab"]
    for added in tok.get("added_tokens", []):
        added["id"] = new_id.get(added["content"], 0)
    pp = tok.get("post_processor") or {}
    for name, special in (pp.get("special_tokens") or {}).items():
        special["ids"] = [new_id.get(name, 0)]
    for key in ("cls", "sep"):
        if key in pp:
            pp[key][1] = new_id.get(pp[key][0], 0)
    return tok


def tokenizer_seeds(sentences):
    words = {w for s in sentences[:12] for w in s.split()} | {"##s", "##ing", "##ly", "##ed"}
    d = seed_dir("tokenizer-json")
    tok = cut_tokenizer_json(words)
    write(d / "minilm-cut.json", json.dumps(tok, ensure_ascii=False))
    lower = json.loads(json.dumps(tok))
    lower["normalizer"] = None
    write(d / "minilm-cut-no-normalizer.json", json.dumps(lower, ensure_ascii=False))
    write_dict("tokenizer-json", list(json_keys({k: v for k, v in tok.items() if k != "model"}, set()))
               + list(tok["model"].keys()) + JSON_TOKENS + ["WordPiece", "BertPreTokenizer", "TemplateProcessing",
                                                           "BertProcessing", "[CLS]", "[SEP]", "[UNK]", "##"])

    d = seed_dir("vocab-txt")
    lines = (MINILM / "vocab.txt").read_text().split("\n")
    write(d / "minilm-head.txt", "\n".join(lines[:1200]) + "\n")
    write(d / "minilm-cut.txt", "\n".join(tok["model"]["vocab"].keys()) + "\n")
    write(d / "minilm-crlf.txt", "\r\n".join(lines[:120]) + "\r\n")

    d = seed_dir("wordpiece-encode")
    for i, s in enumerate(sentences[:12]):
        write(d / f"sst2-dev-{i}.txt", s)
    adversarial = (ROOT / "data" / "adversarial.txt").read_text().split("\n")
    for i, s in enumerate([a for a in adversarial if a][:12]):
        write(d / f"adversarial-{i}.txt", s)
    write_dict("wordpiece-encode", ["[CLS]", "[SEP]", "[MASK]", "[UNK]", "[PAD]", "##", "\u0301", "\u00e9", "\u6771",
                                    "\u200b", "\u3000", "\t", "\r\n", "\x00", "\ufffd", "\U0001F600"])


def bpe_seeds(sentences):
    vocab = json.loads((ROOT / "data" / "gpt2_bpe" / "vocab.json").read_text())
    merges = (ROOT / "data" / "gpt2_bpe" / "merges.txt").read_text().split("\n")
    version, merge_lines = merges[0], [m for m in merges[1:] if m]
    # GPT-2's ids 0..255 are the byte tokens and 256 + r the result of merge r: a real prefix.
    for k, name in ((120, "gpt2-cut-120"), (400, "gpt2-cut-400")):
        d = CORPUS / "bpe-files"
        if k == 120:
            d = seed_dir("bpe-files")
        cut = {t: i for t, i in vocab.items() if i < 256 + k}
        cut["<|endoftext|>"] = len(cut)
        body = json.dumps(cut, ensure_ascii=False).encode() + b"\x00" + (version + "\n" + "\n".join(merge_lines[:k]) + "\n").encode()
        write(d / f"{name}.bin", body)
    write_dict("bpe-files", JSON_TOKENS + ["#version: 0.2", "<|endoftext|>", "\u0120", "\u010a", "\u0120t", "\u0120a", "he"])

    d = seed_dir("bpe-encode")
    for i, s in enumerate(sentences[:12]):
        write(d / f"sst2-dev-{i}.txt", s)
    wiki = ROOT.parent / "shared" / "data"
    adversarial = (ROOT / "data" / "adversarial.txt").read_text().split("\n")
    for i, s in enumerate([a for a in adversarial if a][:12]):
        write(d / f"adversarial-{i}.txt", s)
    edge = json.loads((ROOT / "Tests" / "AttendTokenizersTests" / "Goldens" / "bpe_edge_cases.json").read_text())
    texts = [c["text"] for c in edge.get("cases", [])] if isinstance(edge, dict) else [c["text"] for c in edge]
    for i, t in enumerate(texts[:16]):
        write(d / f"edge-{i}.txt", t)
    write_dict("bpe-encode", ["<|endoftext|>", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d", " ", "  ", "\n\n", "\r\n",
                              "123", "\u00e9", "\u6771", "\U0001F600", "\u2028", "\u00a0", "\xad"])


def config_seeds():
    d = seed_dir("config")
    tokens = set(JSON_TOKENS)
    for src, name in ((MINILM / "config.json", "minilm-sst2.json"), (ROOT / "models" / "minilm-l6-cola" / "config.json", "minilm-cola.json"),
                      (GOLDENS / "tiny-bert-f32" / "config.json", "tiny-bert.json"), (GOLDENS / "tiny-gpt2" / "config.json", "tiny-gpt2.json"),
                      (GOLDENS / "tiny-llama" / "config.json", "tiny-llama.json")):
        shutil.copy(src, d / name)
        json_keys(json.loads(src.read_text()), tokens)
    write_dict("config", list(tokens))


def plan_seeds():
    d = seed_dir("plan")
    tokens = set(JSON_TOKENS)
    for p in sorted((ROOT / "plans").glob("*.json")):
        shutil.copy(p, d / p.name)
        json_keys(json.loads(p.read_text()), tokens)
    write_dict("plan", list(tokens) + ["dense", "tiled", "window", "hdp", "exact", "lut"])


def glue_seeds():
    d = seed_dir("glue")
    sst2 = (ROOT / "data" / "sst2" / "dev.tsv").read_text().split("\n")
    cola = (ROOT / "data" / "cola" / "dev.tsv").read_text().split("\n")
    write(d / "sst2-dev-head.tsv", "\n".join(sst2[:16]) + "\n")
    write(d / "cola-dev-head.tsv", "\n".join(cola[:16]) + "\n")
    write(d / "sst2-dev-crlf.tsv", "\r\n".join(sst2[:6]) + "\r\n")
    write_dict("glue", ["\t", "\n", "\r\n", "sentence\tlabel", "\t0", "\t1", "gj04", "\t1\t\t", "\t0\t*\t"])
    return [line.split("\t")[0] for line in sst2[1:] if line]


def trace_seeds():
    d = seed_dir("trace")
    attend = Path(os.environ.get("ATTEND_BIN", ROOT / ".build" / "debug" / "attend"))
    runs = (("hdp", ["--task", "sst2", "--plan", "plans/sst2-hdp.json"]), ("window", ["--task", "sst2", "--plan", "plans/sst2-window.json"]),
            ("tiled", ["--task", "cola"]),
            ("spatten", ["--task", "sst2", "--attention", "spatten", "--trace-format", "spatten"]))
    columns = []
    for name, args in runs:
        out = d / f"{name}.csv"
        subprocess.run([str(attend), "eval", "--limit", "1", "--threads", "1", *args, "--trace", str(out)], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        lines = out.read_text().split("\n")
        columns += [c for c in lines[0].split(",") if c not in columns]
        write(out, "\n".join(lines[:13]) + "\n")  # header + the first 12 (layer, head) rows
    write_dict("trace", columns + [",", "\n", "\r\n", "-1", "0", "18446744073709551616", "1e3", "b5ab0f38b", "True", "False"])


def hardware_seeds():
    d = seed_dir("hardware")
    tokens = set(JSON_TOKENS)
    for p in sorted((ROOT / "hardware").glob("*.json")):
        shutil.copy(p, d / p.name)
        json_keys(json.loads(p.read_text()), tokens)
    write_dict("hardware", list(tokens))


def json_seeds():
    d = seed_dir("json")
    for target in ("config", "plan", "hardware"):
        for p in sorted((CORPUS / target).glob("*.json"))[:3]:
            shutil.copy(p, d / f"{target}-{p.name}")
    shutil.copy(CORPUS / "tokenizer-json" / "minilm-cut.json", d / "tokenizer-cut.json")
    raw = (MINILM / "model.safetensors").read_bytes()
    n = int.from_bytes(raw[:8], "little")
    write(d / "safetensors-header.json", raw[8:8 + n][:6000].decode().rsplit("},", 1)[0] + "}}")
    write_dict("json", JSON_TOKENS)


def main():
    os.chdir(ROOT)
    sentences = glue_seeds()
    safetensors_seeds()
    gguf_seeds()
    tokenizer_seeds(sentences)
    bpe_seeds(sentences)
    config_seeds()
    plan_seeds()
    trace_seeds()
    hardware_seeds()
    json_seeds()
    for target in sorted(p.name for p in CORPUS.iterdir()):
        files = list((CORPUS / target).iterdir())
        print(f"{target:18} {len(files):3} seeds {sum(f.stat().st_size for f in files):8} bytes")


if __name__ == "__main__":
    sys.exit(main())
