#!/usr/bin/env bash
# Runs the test suite under a sanitizer (RELIABILITY.md), debug build (--release: optimised), in its own build folder:
#
#   scripts/sanitize.sh asan [--fast] [--release] [swift test arguments…]   AddressSanitizer + UndefinedBehaviorSanitizer (C)
#   scripts/sanitize.sh tsan [--fast] [--release] [swift test arguments…]   ThreadSanitizer
#
# Every test runs by default (as scripts/test.sh, but debug + sanitizer: much slower). --fast runs
# the subset CI runs: the readers (JSON, safetensors, GGUF, tokenizers, configs, GLUE rows, traces),
# the resource limits, the thread pool, GEMM, row operations, half conversion and the quantized
# kernels — the code that takes outside input or shares memory across threads; the model, attention
# and search suites run unoptimised for tens of minutes. --release builds optimised (the sanitizers
# still instrument every access; Swift's own overflow and bounds checks stay on in release too):
# how the whole suite runs in minutes instead of hours. Any sanitizer report fails the run:
# ASan/UBSan and TSan are set to halt on the first error. swiftc has no -sanitize=undefined on
# Linux (Swift traps on overflow and out-of-bounds by itself), so UBSan covers the C
# kernels, in trap mode (-fsanitize-trap: no runtime library needed; undefined behaviour = SIGILL).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

kind="${1:-}"
shift || true
fast=0
configuration=debug
while [[ "${1:-}" == --fast || "${1:-}" == --release ]]; do
    if [[ "$1" == --fast ]]; then fast=1; else configuration=release; fi
    shift
done

case "$kind" in
    asan)
        flags=(--sanitize=address -Xcc -fsanitize=undefined -Xcc -fsanitize-trap=undefined)
        export ASAN_OPTIONS="${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=0:detect_stack_use_after_return=1}"
        export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
        ;;
    tsan)
        flags=(--sanitize=thread)
        export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}"
        ;;
    *) sed -n '2,16p' "$0"; exit 2 ;;
esac

# The suites --fast runs (swift-testing suite / XCTest class names).
subset='JSONParserTests|SafeTensorsTests|GGUFReaderTests|LoadingTests|EncodingTests|BPELoadingTests|BPEEncodingTests'
subset+='|BertConfigTests|GLUEDataTests|TraceCSVTests|ConfigTests|ResourceLimitTests|ParallelTests|GEMMTests|RowOpsTests'
subset+='|HalfConversionTests|QuantizedMatrixTests'
filter=()
if ((fast)); then filter=(--filter "$subset"); fi

scripts/fetch_models.sh >/dev/null
scratch=".build-$kind"
if [[ $configuration == release ]]; then scratch+="-release"; fi
# swift test builds with testable imports (swift build --build-tests does not in release).
swift test -c "$configuration" --scratch-path "$scratch" "${flags[@]}" "${filter[@]}" "$@"
