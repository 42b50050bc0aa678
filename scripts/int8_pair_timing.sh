#!/usr/bin/env bash
# Before/after timing of the int8 and integer-only BERT-base forward for two or more attend binaries,
# alternated ROUNDS times so that all see the same machine drift (BENCHMARKS.md, "Zen 4 again").
# Usage: scripts/int8_pair_timing.sh ROUNDS SEQ THREADS ATTEND [ATTEND ...]
# Each run: ATTEND bench int8 --what forward --seqs SEQ --threads THREADS --no-peers --repeats 7 --json;
# prints, per binary and precision, the minimum and the median of the runs' medians (ms).
set -euo pipefail
rounds=$1 seq=$2 threads=$3
shift 3
for _ in $(seq "$rounds"); do
  for binary in "$@"; do
    "$binary" bench int8 --what forward --seqs "$seq" --threads "$threads" --no-peers --repeats 7 --json 2>/dev/null |
      python3 -c "
import json, sys
for line in sys.stdin:
    d = json.loads(line)
    if d['impl'] in ('attend-integer', 'attend-int8'): print(sys.argv[1], d['impl'], d['ms'])
" "$binary"
  done
done | python3 -c "
import collections, statistics, sys
times = collections.defaultdict(list)
for line in sys.stdin:
    binary, impl, ms = line.split()
    times[(binary, impl)].append(float(ms))
for (binary, impl), v in sorted(times.items()):
    print(f'{binary} {impl}: min {min(v):.1f} ms, median {statistics.median(v):.1f} ms ({len(v)} runs)')
"
