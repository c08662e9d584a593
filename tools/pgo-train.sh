#!/usr/bin/env bash
# The training run of the release CLI's profile-guided build (./dev's pgo_profile; why:
# BENCHMARKS.md, "profile-guided optimisation"). Runs an instrumented `caliber` (built with
# -Cprofile-generate; LLVM_PROFILE_FILE says where its counts go) over inputs this project did
# not generate, so the profile is not fitted to the sync bench's own corpus, which judges it:
#  - feedparser's conformance corpus (1,758 feeds of every format, tests/conformance/run.py);
#  - the fixture site (the four editions' listings and article pages, the RU feed, the
#    hostile feed) and the fixture feeds (RSS 0.91/1.0/2.0, Atom, JSON Feed, windows-1251);
# each synced cold, listed, searched and synced again. Everything on 127.0.0.1.
#   tools/pgo-train.sh PATH/TO/INSTRUMENTED/caliber
set -euo pipefail
cd "$(dirname "$0")/.."
caliber=$(realpath "$1")
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

python3 tests/conformance/run.py --caliber "$caliber" >"$work/conformance.log"

python3 tests/fixture-server/server.py --port 0 --control-port 0 >"$work/site.log" &
python3 -m http.server 0 --bind 127.0.0.1 --directory core/tests/fixtures >"$work/files.log" 2>&1 &
for _ in $(seq 100); do
  grep -q 'fixture site on' "$work/site.log" && grep -q 'Serving HTTP' "$work/files.log" && break
  sleep 0.1
done
site=$(sed -n 's|^fixture site on \(http://127.0.0.1:[0-9]*/\).*|\1|p' "$work/site.log")
files=$(sed -n 's|.*port \([0-9]*\).*|http://127.0.0.1:\1/|p' "$work/files.log" | head -1)
[ -n "$site" ] && [ -n "$files" ] || { echo "pgo-train: the fixture servers did not start" >&2; exit 1; }

for round in 1 2 3 4 5; do
  db="$work/round-$round.db"
  "$caliber" --db "$db" sources add "$site" "${site}en/" "${site}az/" "${site}arm/" --kind site >/dev/null
  "$caliber" --db "$db" sources add "${site}rss.xml" "${site}hostile/rss.xml" \
    "$files"{atom.xml,az.xml,feed.json,hostile.xml,rss091.xml,rss1.rdf,rss2.xml,ru-windows-1251.xml} >/dev/null
  "$caliber" --db "$db" sync --no-images >/dev/null
  # A training that synced nothing would leave a profile of start-up alone.
  listed=$("$caliber" --db "$db" articles --limit 100 | wc -l)
  [ "$listed" -gt 40 ] || { echo "pgo-train: round $round listed $listed articles" >&2; exit 1; }
  for q in Baku нефть security "форум аналитиков" park; do "$caliber" --db "$db" search "$q" >/dev/null; done
  "$caliber" --db "$db" sync --no-images >/dev/null
done
