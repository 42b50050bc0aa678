#!/usr/bin/env python3
"""Writes the golden files that Tests/AttendTokenizersTests compares the Swift byte-level BPE
tokenizer (Sources/AttendTokenizers/ByteLevelBPETokenizer.swift) against, and regenerates its
Unicode tables.

References (Hugging Face `tokenizers`, the Rust tokenizer; versions pinned in
scripts/requirements.txt and recorded in Goldens/bpe_goldens.json). Runs offline.
  gpt2     GPT-2's own vocab.json + merges.txt (data/gpt2_bpe, copied from ../shared/data/gpt2_bpe) through
           transformers.GPT2TokenizerFast (ByteLevel pre-tokenizer with GPT-2's regex,
           <|endoftext|> matched as a special token); the script checks that
           tokenizers.ByteLevelBPETokenizer built from the same files gives the same ids.
  smollm2  SmolLM2-135M-Instruct's tokens and merges, read from the GGUF metadata
           (tokenizer.ggml.tokens / merges / token_type; scripts/fetch_models.sh fetches the file),
           assembled as the real SmolLM2 tokenizer.json is: BPE with the pre-tokenizer
           Sequence[Digits(individual_digits=True), ByteLevel(add_prefix_space=False,
           use_regex=True)], the token_type 3 (control) tokens as special added tokens, no BOS.
           The script also runs transformers.AutoTokenizer(gguf_file=...) on every corpus and
           records where it differs (it builds a ByteLevel-only pre-tokenizer, without Digits,
           and adds BOS): see "transformers_gguf" in bpe_goldens.json.

Usage:   $(scripts/setup_python.sh) scripts/make_bpe_goldens.py            # goldens
         $(scripts/setup_python.sh) scripts/make_bpe_goldens.py --tables   # + Swift tables

Inputs (lines split on LF only, as scripts/make_tokenizer_goldens.py and the Swift
`decodeUTF8Lines` do: a final LF ends the last line, CR stays in its line):
  wikitext2_test, wikitext2_valid   ../shared/data/wikitext2/{test,valid}.txt, one input per line
  wikitext2_test_whole              the whole test file as ONE input (what perplexity tokenizes)
  adversarial                       data/adversarial.txt, one input per line
  sst2_dev                          data/sst2/dev.tsv, the text before the last tab, header skipped

Files written to Tests/AttendTokenizersTests/Goldens/:
  bpe_<tokenizer>_<corpus>.txt   adversarial, sst2_dev: one line per input, the ids space separated
  bpe_<tokenizer>_<corpus>.ids   wikitext2_*: the same rows in binary (see write_ids), 2 bytes an id
                                 (no BOS anywhere; *_whole has one row, the whole file's ids)
  bpe_edge_cases.json            [{"text", "gpt2": ids, "smollm2": ids}] for EDGE_CASES (whitespace and digit
                                 runs, contractions, emoji, combining marks, CRLF, special tokens)
  smollm2_tokenizer.json         {"tokens", "merges", "token_type", "bos", "eos", "add_bos"} from the GGUF
  bpe_goldens.json               versions, sources, line and id counts, the transformers-GGUF comparison
With --tables also Sources/AttendTokenizers/ByteLevelUnicodeTables.swift: the character classes
of the two pre-tokenizers, probed code point by code point from the pinned tokenizers wheel.
"""
import argparse, hashlib, importlib.metadata, json, platform, struct, subprocess, sys
from pathlib import Path

import gguf
import tokenizers
import transformers
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
GOLDENS = ROOT / "Tests" / "AttendTokenizersTests" / "Goldens"
TABLES = ROOT / "Sources" / "AttendTokenizers" / "ByteLevelUnicodeTables.swift"
GPT2_DIR = ROOT / "data" / "gpt2_bpe"


def read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="strict")


def split_lines(text: str) -> list[str]:
    """LF only; a trailing LF does not start an extra empty line."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def corpora() -> dict[str, list[str]]:
    test = read_text(SHARED / "wikitext2" / "test.txt")
    sst2 = split_lines(read_text(ROOT / "data" / "sst2" / "dev.tsv"))
    assert sst2[0] == "sentence\tlabel"
    return {
        "wikitext2_test": split_lines(test),
        "wikitext2_valid": split_lines(read_text(SHARED / "wikitext2" / "valid.txt")),
        "wikitext2_test_whole": [test],
        "adversarial": split_lines(read_text(ROOT / "data" / "adversarial.txt")),
        "sst2_dev": [line.rsplit("\t", 1)[0] for line in sst2[1:]],
    }


# Edge cases, built here so that the Swift tests read them with their ids (bpe_edge_cases.json).
EDGE_CASES = [
    "", " ", "  ", "\n", "\n\n", " \n ", "\r\n", "Hello\r\nWorld\r\n", "a\r\n\r\n b", "\t\tx", " \t x",
    "a" + " " * 10000 + "b", " " * 5000, "\n" * 3000 + "x", "x" + "\t \n" * 1000,
    "1" * 5000, " 12345678901234567890", "3.14159 1,000,000 1e-9 ½ ¾ ² ٣٤٥ ０１２ ①② Ⅻ 𝟘𝟙 ༳",
    "a" * 3000, "ab" * 2000, "!" * 1000, "é" * 1000,
    "don't I'll we've they're she's it'd I'm 'S 'LL 's 't", "x's's  's ''s", "'", "' ", "''", "'re'",
    "e\u0301 a\u0300\u0301\u0302 \u0301 \u0301x", "😀👍🏽🇺🇸❤️ 👨‍👩‍👧 🏳️‍🌈", " 😀😀", "\u200b\u200d\ufeff x",
    "\u00a0a \u3000b \u2028c \u2029d \x0b\x0ce \x85f \u1680g \u202fh", "\x00\x01\x7f \x1b[0m",
    "a\x04b\x06 c\x13\x14\x16\x1d d", "x\U00050000y \U000F0000",  # SmolLM2 has no token for these bytes
    "日本語のテキスト 中文 한국어 Русский العربية עברית ไทย हिन्दी",
    "<|endoftext|>", "a<|endoftext|>b", "<|endoftext|><|endoftext|>", "<|endoftext|", "<|im_start|>user\nhi<|im_end|>\n",
    "<|im_start|><|im_end|>", "<|im_start", "<<|im_end|>>", " <|im_start|> x", "<repo_name><reponame><file_sep>",
    "\U0010FFFF \ue000 \uffff \U0001F600", "AbC dEf GHI", "    def f(x):\n        return x ** 2  # c\n",
]


def gguf_path() -> Path:
    out = subprocess.run([str(ROOT / "scripts" / "fetch_models.sh")], check=True, capture_output=True, text=True)
    return Path(out.stdout.strip().splitlines()[-1])


def smollm2_metadata(path: Path) -> dict:
    reader = gguf.GGUFReader(str(path))
    field = lambda key: reader.fields[key].contents()
    assert field("tokenizer.ggml.model") == "gpt2" and field("tokenizer.ggml.pre") == "smollm"
    return {
        "tokens": list(field("tokenizer.ggml.tokens")),
        "merges": list(field("tokenizer.ggml.merges")),
        "token_type": [int(t) for t in field("tokenizer.ggml.token_type")],
        "bos": int(field("tokenizer.ggml.bos_token_id")),
        "eos": int(field("tokenizer.ggml.eos_token_id")),
        "add_bos": bool(field("tokenizer.ggml.add_bos_token")),
    }


def smollm2_reference(meta: dict) -> Tokenizer:
    vocab = {token: i for i, token in enumerate(meta["tokens"])}
    assert len(vocab) == len(meta["tokens"]), "duplicate tokens"
    pairs = [tuple(m.split(" ")) for m in meta["merges"]]
    assert all(len(p) == 2 for p in pairs) and len(set(pairs)) == len(pairs)
    tok = Tokenizer(models.BPE(vocab=vocab, merges=pairs))
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(meta["tokens"][i], special=True, normalized=False)
                            for i, t in enumerate(meta["token_type"]) if t == 3])
    return tok


def encode_all(encode, texts: list[str]) -> list[list[int]]:
    return [encode(t) for t in texts]


IDS_MAGIC = b"ATTNIDS1"


def write_ids(stem: Path, rows: list[list[int]], binary: bool) -> Path:
    """Text: one line per input, ids space separated. Binary (the large corpora): IDS_MAGIC, uint32
    row count, then per row a uint32 id count and that many uint16 ids, all little-endian."""
    if not binary:
        path = stem.with_suffix(".txt")
        path.write_text("".join(" ".join(map(str, ids)) + "\n" for ids in rows), encoding="utf-8")
        return path
    path = stem.with_suffix(".ids")
    out = bytearray(IDS_MAGIC) + struct.pack("<I", len(rows))
    for ids in rows:
        assert all(0 <= i < 1 << 16 for i in ids)
        out += struct.pack(f"<I{len(ids)}H", len(ids), *ids)
    path.write_bytes(bytes(out))
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# MARK: - Unicode tables

def code_points() -> list[str]:
    return [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]


def probe_regex_class(pattern: str, cps: list[str]) -> set[int]:
    """Code points the onig regex `pattern` (one character) matches: Split(removed) keeps the rest."""
    split = pre_tokenizers.Split(Regex(pattern), behavior="removed")
    kept = set()
    for piece, _ in split.pre_tokenize_str("".join(cps)):
        kept.update(ord(c) for c in piece)
    return {ord(c) for c in cps} - kept


def probe_digits(cps: list[str]) -> set[int]:
    """Code points Digits(individual_digits=True) isolates (Rust char::is_numeric): with 'a' between
    every two code points, only an isolated one comes out as a one-character piece."""
    text = "a" + "a".join(c for c in cps if c != "a") + "a"
    pieces = pre_tokenizers.Digits(individual_digits=True).pre_tokenize_str(text)
    return {ord(p) for p, _ in pieces if len(p) == 1 and p != "a"}


def ranges(points: set[int]) -> list[tuple[int, int]]:
    out = []
    for p in sorted(points):
        if out and out[-1][1] == p - 1:
            out[-1] = (out[-1][0], p)
        else:
            out.append((p, p))
    return out


def write_swift_tables() -> None:
    cps = code_points()
    tables = [
        ("onigLetterRanges", r"\p{L}", "Oniguruma's `\\p{L}` (letters), as the ByteLevel regex sees them"),
        ("onigNumberRanges", r"\p{N}", "Oniguruma's `\\p{N}` (numbers)"),
        ("onigWhitespaceRanges", r"\s", "Oniguruma's `\\s` (whitespace)"),
    ]
    sets = {name: probe_regex_class(pattern, cps) for name, pattern, _ in tables}
    sets["rustNumericRanges"] = probe_digits(cps)
    docs = {name: doc for name, _, doc in tables}
    docs["rustNumericRanges"] = "Rust `char::is_numeric` (what the Digits pre-tokenizer isolates)"
    assert not (sets["onigLetterRanges"] & sets["onigNumberRanges"]), "L and N overlap"
    assert not (sets["onigWhitespaceRanges"] & (sets["onigLetterRanges"] | sets["onigNumberRanges"]))
    parts = [f"""// GENERATED by scripts/make_bpe_goldens.py --tables. Do not edit by hand.
//
// The character classes of the byte-level BPE pre-tokenizers of Hugging Face tokenizers
// {tokenizers.__version__}, probed code point by code point from the pinned wheel: the ByteLevel
// regex runs on Oniguruma (its own Unicode tables), while the Digits pre-tokenizer uses Rust's
// `char::is_numeric`, which differs from Oniguruma's `\\p{{N}}` on a few code points.
// Each table is a sorted list of inclusive [lo, hi] pairs.
"""]
    for name in ["onigLetterRanges", "onigNumberRanges", "onigWhitespaceRanges", "rustNumericRanges"]:
        flat = [v for r in ranges(sets[name]) for v in r]
        rows = [", ".join(f"0x{v:X}" for v in flat[i:i + 8]) for i in range(0, len(flat), 8)]
        parts.append(f"/// {docs[name]}: {len(sets[name])} code points.\n"
                     f"let {name}: [UInt32] = [\n" + "".join(f"    {r},\n" for r in rows) + "]\n")
    TABLES.write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote {TABLES.relative_to(ROOT)}", file=sys.stderr)


# MARK: - Main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", action="store_true", help="also regenerate " + str(TABLES.relative_to(ROOT)))
    args = parser.parse_args()
    GOLDENS.mkdir(parents=True, exist_ok=True)
    texts = corpora()

    # GPT-2 from its own files; the plain tokenizers class must agree (no <|endoftext|> in the corpora).
    gpt2 = transformers.GPT2TokenizerFast(vocab_file=str(GPT2_DIR / "vocab.json"), merges_file=str(GPT2_DIR / "merges.txt"))
    plain = tokenizers.ByteLevelBPETokenizer(str(GPT2_DIR / "vocab.json"), str(GPT2_DIR / "merges.txt"))

    meta = smollm2_metadata(gguf_path())
    smol = smollm2_reference(meta)
    smol_file = GOLDENS / "smollm2_tokenizer.json"
    smol_file.write_text(json.dumps(meta, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    hf_gguf = transformers.AutoTokenizer.from_pretrained(str(gguf_path().parent), gguf_file=gguf_path().name)

    manifest = {
        "script": "scripts/make_bpe_goldens.py",
        "versions": {"tokenizers": tokenizers.__version__, "transformers": transformers.__version__,
                     "gguf": importlib.metadata.version("gguf"),
                     "python": platform.python_version()},
        "tokenizers": {
            "gpt2": {"reference": "transformers.GPT2TokenizerFast(vocab.json, merges.txt)",
                     "vocab.json": sha256(GPT2_DIR / "vocab.json"), "merges.txt": sha256(GPT2_DIR / "merges.txt")},
            "smollm2": {"reference": "tokenizers BPE + Sequence[Digits(individual_digits=True), ByteLevel(add_prefix_space=False)], "
                                     "token_type 3 tokens special", "source": "SmolLM2-135M-Instruct.Q4_1.gguf metadata",
                        "smollm2_tokenizer.json": sha256(smol_file)},
        },
        "corpora": {},
        "transformers_gguf": {},
    }
    for name, rows in texts.items():
        whole = name.endswith("_whole")
        binary = name.startswith("wikitext2")
        gpt2_ids = encode_all(lambda t: gpt2(t, add_special_tokens=False)["input_ids"], rows)
        plain_ids = encode_all(lambda t: plain.encode(t).ids, rows)
        assert gpt2_ids == plain_ids, f"{name}: GPT2TokenizerFast and ByteLevelBPETokenizer differ"
        smol_ids = encode_all(lambda t: smol.encode(t, add_special_tokens=False).ids, rows)
        for tokenizer, ids in (("gpt2", gpt2_ids), ("smollm2", smol_ids)):
            write_ids(GOLDENS / f"bpe_{tokenizer}_{name}", ids, binary)
        # Round trip: decoding the ids gives the text back.
        assert all(gpt2.decode(i, clean_up_tokenization_spaces=False) == t for i, t in zip(gpt2_ids, rows)), name
        assert all(smol.decode(i, skip_special_tokens=False) == t for i, t in zip(smol_ids, rows)), name
        manifest["corpora"][name] = {"lines": len(rows), "gpt2_ids": sum(map(len, gpt2_ids)),
                                     "smollm2_ids": sum(map(len, smol_ids))}
        # transformers' GGUF tokenizer, without the BOS it adds.
        tf_ids = encode_all(lambda t: hf_gguf(t, add_special_tokens=False)["input_ids"], rows)
        differ = [i for i, (a, b) in enumerate(zip(tf_ids, smol_ids)) if a != b]
        entry = {"lines_differing": len(differ)}
        if differ:
            i = differ[0]
            k = next((k for k, (a, b) in enumerate(zip(tf_ids[i], smol_ids[i])) if a != b), 0)
            start = len(smol.decode(smol_ids[i][:k]))
            entry["first"] = {"line": i + 1, "id_index": k, "text_there": rows[i][start:start + 40],
                              "transformers": tf_ids[i][k:k + 6], "tokenizers": smol_ids[i][k:k + 6],
                              "transformers_tokens": [hf_gguf.convert_ids_to_tokens(t) for t in tf_ids[i][k:k + 6]],
                              "tokenizers_tokens": [smol.id_to_token(t) for t in smol_ids[i][k:k + 6]]}
        manifest["transformers_gguf"][name] = entry
        print(f"{name}: {len(rows)} inputs, gpt2 {manifest['corpora'][name]['gpt2_ids']} ids, "
              f"smollm2 {manifest['corpora'][name]['smollm2_ids']} ids, transformers-GGUF differs on {len(differ)}",
              file=sys.stderr)
    edge = [{"text": t, "gpt2": gpt2(t, add_special_tokens=False)["input_ids"],
             "smollm2": smol.encode(t, add_special_tokens=False).ids} for t in EDGE_CASES]
    assert all(plain.encode(e["text"]).ids == e["gpt2"] for e in edge if "<|endoftext|>" not in e["text"])
    (GOLDENS / "bpe_edge_cases.json").write_text(json.dumps(edge, ensure_ascii=False) + "\n", encoding="utf-8")
    manifest["transformers_gguf"]["with_special_tokens"] = {
        "text": "Hello", "transformers": hf_gguf("Hello")["input_ids"],
        "tokenizers": smol.encode("Hello").ids, "gguf_add_bos": meta["add_bos"]}
    (GOLDENS / "bpe_goldens.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if args.tables:
        write_swift_tables()


if __name__ == "__main__":
    main()
