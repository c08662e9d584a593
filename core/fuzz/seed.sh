#!/usr/bin/env bash
# Seed each fuzz target's corpus from the test fixtures (corpora are not committed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fixtures="$here/../tests/fixtures"
mkdir -p "$here"/corpus/{feed,sanitize,site,date}
cp "$fixtures"/*.xml "$fixtures"/*.rdf "$fixtures"/feed.json "$fixtures"/site/rss.xml "$here/corpus/feed/"
cp "$fixtures"/site/other-feed.xml "$here/corpus/feed/site-other-feed.xml"
for page in "$fixtures"/site/ru/post/*.html "$fixtures"/site/en/post/*.html "$fixtures"/site/*/index.html \
    "$fixtures"/site/ru/*.html "$fixtures"/site/*.html; do
    name=$(echo "${page#"$fixtures"/site/}" | tr / -)
    cp "$page" "$here/corpus/site/$name"
done
# HTML for the sanitiser: the fixture pages and the hostile feed's bodies.
cp "$here"/corpus/site/* "$here/corpus/sanitize/"
cp "$fixtures"/hostile.xml "$here/corpus/sanitize/hostile.xml"
i=0
while IFS= read -r line; do
    i=$((i + 1))
    printf '%s' "$line" > "$here/corpus/date/seed-$i"
done <<'DATES'
Mon, 10 Jun 2025 08:00:00 +0000
Tue, 10 Jun 2003 04:00:00 GMT
10 Jun 2003 04:00 EST
Jun 10 2003 04:00:00
2025-06-10T08:00:00Z
2025-06-10T08:00:00.123+04:00
20250610T080000Z
2025-06
2025
25 Июня 2026 17:24
10 September 2025 15:00
10 Sentyabr 2025, 15:00
Сегодня 17:24
Вчера, 09:15
25.06.2026 17:24
DATES
