#!/usr/bin/env bash
# Fuzzes Attend's file readers with libFuzzer + AddressSanitizer (RELIABILITY.md).
#
#   scripts/fuzz.sh [--seconds N] [--corpus DIR] [--no-build] [target…]   (default: 60 s each, all)
#   scripts/fuzz.sh --until-total T [--seconds N] …   runs of N s (default 300) per target until
#                                 its recorded total reaches T s (a long campaign, resumable)
#   scripts/fuzz.sh --report      the RELIABILITY.md table: every run recorded in Fuzz/.stats, summed
#
# Builds the Fuzz/ package (release, `-sanitize=fuzzer,address`), then runs each target for N
# seconds on its committed seeds (Fuzz/Corpus/<target>, read only; and Fuzz/Regressions/<target>,
# the inputs that once crashed) plus a working corpus that
# grows across runs (DIR/<target>, default Fuzz/.corpus; not committed), with the target's
# dictionary. Allocations above 1 GiB count as crashes (a bad file must be rejected before it
# allocates). Crash inputs land in Fuzz/.artifacts/<target>/; one line per run is appended to
# Fuzz/.stats/<target>.tsv (seconds, executions, corpus files, crash), which RELIABILITY.md sums.
# Exit status: non-zero when any target crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

seconds=
until_total=0
corpus=Fuzz/.corpus
targets=()
build=1
while (($#)); do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --until-total) until_total="$2"; shift 2 ;;
        --corpus) corpus="$2"; shift 2 ;;
        --no-build) build=0; shift ;;  # for several runs in parallel on one build
        --report)
            echo '| target | runs | total seconds | executions | corpus files (last run) | crashing runs |'
            echo '|---|---:|---:|---:|---:|---:|'
            for f in Fuzz/.stats/*.tsv; do
                awk -F'\t' -v t="$(basename "$f" .tsv)" '{ n++; s += $2; e += $3; c = $4; x += $5 }
                    END { printf "| %s | %d | %d | %d | %d | %d |\n", t, n, s, e, c, x }' "$f"
            done
            exit 0 ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) targets+=("$1"); shift ;;
    esac
done
seconds="${seconds:-$( ((until_total)) && echo 300 || echo 60)}"
if ((${#targets[@]} == 0)); then
    targets=($(ls Fuzz/Corpus))
fi

if ((build)); then
    swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address 2>&1 \
        | grep -v 'ld.gold: warning: Cannot export local symbol' | tail -1
fi
bin="$(swift build --package-path Fuzz -c release -Xswiftc -sanitize=fuzzer,address --show-bin-path)"

# Leak checking stays on, less one toolchain leak (Fuzz/lsan.supp); reports go to the log.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$PWD/Fuzz/lsan.supp:print_suppressions=0}"
failed=()
printf '%-18s %8s %12s %8s %s\n' target seconds executions corpus result
# Seconds already recorded for target $1.
recorded() { awk -F'\t' '{ s += $2 } END { print s + 0 }' "Fuzz/.stats/$1.tsv" 2>/dev/null || echo 0; }
queue=()
for t in "${targets[@]}"; do
    [[ -d "Fuzz/Corpus/$t" ]] || { echo "unknown target '$t' (targets: $(ls Fuzz/Corpus | tr '\n' ' '))" >&2; exit 2; }
    if ((until_total)); then  # enough runs of $seconds (the last one shorter) to reach the total
        for ((left = until_total - $(recorded "$t"); left > 0; left -= seconds)); do queue+=("$t:$((left < seconds ? left : seconds))"); done
    else
        queue+=("$t:$seconds")
    fi
done
for item in "${queue[@]}"; do
    t="${item%%:*}" seconds="${item##*:}"
    mkdir -p "$corpus/$t" "Fuzz/.artifacts/$t" Fuzz/.stats
    log="Fuzz/.artifacts/$t/last.log"
    dict=()
    [[ -f "Fuzz/Dictionaries/$t.dict" ]] && dict=(-dict="Fuzz/Dictionaries/$t.dict")
    regressions=()  # inputs that once crashed (each a regression test too) stay in every run
    [[ -d "Fuzz/Regressions/$t" ]] && regressions=("Fuzz/Regressions/$t")
    status=0
    started=$(date +%s)
    "$bin/fuzz-$t" "$corpus/$t" "Fuzz/Corpus/$t" "${regressions[@]}" "${dict[@]}" -max_total_time="$seconds" -timeout=20 \
        -rss_limit_mb=2048 -malloc_limit_mb=1024 -print_final_stats=1 \
        -artifact_prefix="Fuzz/.artifacts/$t/" >"$log" 2>&1 || status=$?
    elapsed=$(($(date +%s) - started))  # a crash ends the run early
    runs=$(grep -ao 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)
    files=$(ls "$corpus/$t" | wc -l)
    result=ok
    if ((status != 0)); then
        result="CRASH (see $log; input in Fuzz/.artifacts/$t/)"
        failed+=("$t")
    fi
    printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$elapsed" "${runs:-0}" "$files" "$([[ $result == ok ]] && echo 0 || echo 1)" \
        >>"Fuzz/.stats/$t.tsv"
    printf '%-18s %8s %12s %8s %s\n' "$t" "$elapsed" "${runs:-0}" "$files" "$result"
done
if ((${#failed[@]})); then
    echo "crashed: ${failed[*]}" >&2
    exit 1
fi
