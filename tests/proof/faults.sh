#!/usr/bin/env bash
# Fault proof (issue 12, item 2): every fault scenario, the measured wall/peak-RSS table,
# and the long variants at the default timeouts (a 1 byte/s drip and a silent server, cut
# by the 60 s source deadline: about two minutes). See docs/reliability/faults.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo test --locked -p caliber-core --test faults -- --nocapture --test-threads=1
cargo test --locked -p caliber-core --test faults_long -- --nocapture
