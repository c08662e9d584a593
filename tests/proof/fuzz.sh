#!/usr/bin/env bash
# Coverage-guided fuzzing of the core (docs/reliability/fuzzing.md).
#
#   tests/proof/fuzz.sh [SECONDS_PER_TARGET]     (default 300)
#
# Runs the cargo-fuzz targets in core/fuzz (feed, sanitize, site, date) one after
# another, one libFuzzer process each, for SECONDS_PER_TARGET seconds, and prints per
# target: executions, exec/s, corpus size and the crashes/timeouts/OOMs found (their inputs
# are in core/fuzz/artifacts/TARGET/). Needs a nightly toolchain; installs cargo-fuzz if
# missing. TARGETS="feed date" runs a subset; FUZZ_TARGET_DIR moves the build.
# No sanitizer (-s none): what the targets reach is safe Rust (the crate's only unsafe code,
# the FTS5 functions, is not on these paths), so AddressSanitizer would only halve the
# executions; panics, timeouts and the invariants' asserts are caught all the same.
# Exit status: 0 when nothing was found, 1 otherwise.
set -euo pipefail

secs=${1:-300}
root=$(cd "$(dirname "$0")/../.." && pwd)
fuzz="$root/core/fuzz"
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$root/target/fuzz}
targets=${TARGETS:-feed sanitize site date}

command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal

"$fuzz/seed.sh"
cd "$fuzz"
cargo +nightly fuzz build -s none

logs="$CARGO_TARGET_DIR/logs"
mkdir -p "$logs"
summary=()
found_any=0
for target in $targets; do
    mkdir -p "artifacts/$target"
    before=$(find "artifacts/$target" -type f | sort)
    log="$logs/$target.log"
    echo "== $target: ${secs}s (log: $log)"
    start=$(date +%s)
    set +e
    cargo +nightly fuzz run -s none "$target" -- -max_total_time="$secs" -timeout=5 -rss_limit_mb=1024 -print_final_stats=1 >"$log" 2>&1
    status=$?
    set -e
    elapsed=$(( $(date +%s) - start ))
    # The last status line libFuzzer printed: "#RUNS ... corp: N/SIZE ... exec/s: E ...".
    runs=$(grep -oE '^#[0-9]+' "$log" | tail -1 | tr -d '#')
    runs=${runs:-0}
    eps=$(grep -oE 'exec/s: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || true)
    corpus=$(find "corpus/$target" -type f | wc -l)
    new=$(comm -13 <(echo "$before") <(find "artifacts/$target" -type f | sort) | sed '/^$/d')
    crashes=$(echo "$new" | grep -c '/crash-' || true)
    timeouts=$(echo "$new" | grep -c '/timeout-' || true)
    ooms=$(echo "$new" | grep -c '/oom-' || true)
    [ -n "$new" ] && found_any=1
    [ "$status" -ne 0 ] && [ -z "$new" ] && found_any=1
    summary+=("$(printf '%-9s %6ss %12s runs %8s exec/s  corpus %6s  crashes %s timeouts %s ooms %s  exit %s' \
        "$target" "$elapsed" "$runs" "${eps:-?}" "$corpus" "$crashes" "$timeouts" "$ooms" "$status")")
    if [ -n "$new" ]; then
        echo "$new" | sed 's/^/   found: /'
        grep -m1 -A3 -E 'panicked at|ERROR: libFuzzer' "$log" | sed 's/^/   /' || true
    fi
done

echo
echo "target    seconds   executions     exec/s  corpus  findings"
printf '%s\n' "${summary[@]}"
exit $found_any
