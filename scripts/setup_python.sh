#!/usr/bin/env bash
# Creates .venv (once) with the pinned reference/benchmark environment.
# Usage: scripts/setup_python.sh  → prints the venv's python path on stdout.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$root/scripts/requirements.txt" "$venv/requirements.txt"; then
  echo "attend: installing the pinned Python environment into $venv (first use only)…" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet -r "$root/scripts/requirements.txt" >&2
  cp "$root/scripts/requirements.txt" "$venv/requirements.txt"
fi
echo "$venv/bin/python"
