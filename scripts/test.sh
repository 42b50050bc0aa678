#!/usr/bin/env bash
# The test command (README; .ci/run runs exactly this): makes sure the real decoder model is there
# (scripts/fetch_models.sh, once), then runs every test in release mode. Extra arguments go to
# `swift test` (e.g. --filter Decoder).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fetch_models.sh >/dev/null
swift test -c release "$@"
