#!/usr/bin/env bash
# Prints this CPU's single-core FP32 FMA and int8 multiply-add peaks (see scripts/fma_peak.c); x86-64 only.
set -euo pipefail
cd "$(dirname "$0")"
export PATH="/opt/swift/usr/bin:$PATH"
out="$(mktemp -d)/fma_peak"
clang -O2 fma_peak.c -o "$out"
"$out"
