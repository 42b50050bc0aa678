#!/usr/bin/env bash
# Installs the llama.cpp peer (issue #11) into the pinned .venv, once: cmake from PyPI, then
# llama-cpp-python (scripts/requirements-llama.txt), which compiles the llama.cpp it carries
# (10–20 minutes on two cores) natively for this CPU (GGML_NATIVE=ON), CPU backend only, without
# the multimodal library. Skipped when the pinned version is already importable. Never run by .ci/run.
# Usage: scripts/setup_llama.sh  → prints the venv's python path on stdout and, on stderr, the
# CPU features llama.cpp was built with (llama_print_system_info).
# Env: ATTEND_VENV overrides the venv (default: <repo>/.venv, created by scripts/setup_python.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="${ATTEND_VENV:-}"
if [ -z "$venv" ]; then
  venv="$(dirname "$(dirname "$("$root/scripts/setup_python.sh")")")"
fi
py="$venv/bin/python"
want="$(sed -n 's/^llama-cpp-python==//p' "$root/scripts/requirements-llama.txt")"
have="$("$py" -c 'import llama_cpp; print(llama_cpp.__version__)' 2>/dev/null || true)"
if [ "$have" != "$want" ]; then
  echo "attend: building llama-cpp-python $want into $venv (compiles llama.cpp, 10–20 min, first use only)…" >&2
  "$venv/bin/pip" install --quiet "$(grep '^cmake==' "$root/scripts/requirements-llama.txt")" >&2
  PATH="$venv/bin:$PATH" \
  CMAKE_BUILD_PARALLEL_LEVEL="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)}" \
  CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF" \
    "$venv/bin/pip" install --no-cache-dir --verbose -r "$root/scripts/requirements-llama.txt" >&2
fi
"$py" -c 'import llama_cpp, sys; print("llama-cpp-python", llama_cpp.__version__, "system_info:", llama_cpp.llama_print_system_info().decode(), file=sys.stderr)'
echo "$py"
