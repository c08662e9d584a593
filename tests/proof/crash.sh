#!/usr/bin/env bash
# Crash safety, the long runs (docs/reliability/crash.md):
#   100 SIGKILLs of `caliber sync` over the benchmark corpus (50 feeds, pictures on),
#   100 SIGKILLs of the app while it syncs (CALIBER_CRASH_APP_KILLS),
#   and the disk-full scenario on a small tmpfs (needs root, as in CI).
# The figures are printed and appended, as markdown, to $CALIBER_CRASH_REPORT
# (default: target/crash-report.md). Fixed kill times: CALIBER_CRASH_SEED=N.
# Binaries: CALIBER_CLI_BINARY (default: cargo's debug `caliber`) and CALIBER_APP_BINARY
# (default: target/debug/caliber-app; built by `./dev test` or `./dev run`).
set -euo pipefail
cd "$(dirname "$0")/../.."
target="${CARGO_TARGET_DIR:-target}"
# Absolute: cargo runs each test binary in its package's directory (core/), not here.
export CALIBER_CRASH_REPORT="$(realpath -m "${CALIBER_CRASH_REPORT:-$target/crash-report.md}")"
: > "$CALIBER_CRASH_REPORT"
export CALIBER_APP_BINARY="$(realpath -m "${CALIBER_APP_BINARY:-$target/debug/caliber-app}")"
# --workspace: the features of a workspace build, so nothing is compiled twice.
run() { cargo test --workspace --locked --test crash -- --nocapture --test-threads 1 "$@"; }
run_long() { cargo test --workspace --locked --test crash_long -- --nocapture --test-threads 1 "$@"; }

CALIBER_CRASH_KILLS="${CALIBER_CRASH_CLI_KILLS:-100}" run_long --exact cli_kills_full
run --exact disk_full_is_reported_and_recovered
if [ ! -x "$CALIBER_APP_BINARY" ]; then
  echo "crash.sh: no app binary at $CALIBER_APP_BINARY (cargo build -p caliber-app, or set CALIBER_APP_BINARY)" >&2
  exit 1
fi
CALIBER_CRASH_KILLS="${CALIBER_CRASH_APP_KILLS:-100}" run_long --exact app_kills
echo "crash.sh: figures in $CALIBER_CRASH_REPORT"
