#!/usr/bin/env bash
# Creates .venv-scalesim (once) with SCALE-Sim 3.0 and a numpy it runs with (< 2.4).
# Usage: scripts/setup_scalesim.sh  → prints the venv's python path on stdout.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv-scalesim"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$root/scripts/requirements-scalesim.txt" "$venv/requirements.txt"; then
  echo "attend: installing SCALE-Sim into $venv (first use only)…" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet -r "$root/scripts/requirements-scalesim.txt" >&2
  cp "$root/scripts/requirements-scalesim.txt" "$venv/requirements.txt"
fi
echo "$venv/bin/python"
