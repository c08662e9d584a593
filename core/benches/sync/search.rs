//! `Core::search` over 100,000 articles: the cached database and the timed queries.

use super::*;

pub(crate) fn build_search_db(vocab: &Vocab, path: &Path) -> usize {
    let now = chrono::Utc::now();
    write_generated_db(path, SEARCH_SOURCES, now, |source| {
        let feed = source % FEEDS + FEEDS; // same language split, other hosts than the sync corpus
        let lang = vocab.for_feed(source);
        let mut generator = ItemGen {
            lang,
            rng: Rng::new(SEED ^ 0x5ea7c4 ^ ((source as u64 + 1) * 0x2000_0003)),
            feed,
            origin: "https://static.example.com",
            hostile_markup: false,
            counts: HostileCounts::default(),
        };
        let articles = (0..ITEMS_PER_FEED)
            .map(|j| {
                let g = generator.item(j);
                let published = datetime(g.published - (source / FEEDS) as i64 * 3600);
                // Unique per source: the store keeps one copy of a URL seen through two sources.
                let url = format!("https://search{source}.example.com/{}/{j}.html", lang.code);
                generated_article(g, source, j, lang, url, published, None)
            })
            .collect();
        (format!("https://search{source}.example.com/feed.xml"), SourceUpdate::default(), articles)
    })
}

/// A generated item as the store takes it: guid unique per source, a hash from the source
/// and the item's place.
pub(crate) fn generated_article(
    g: GenItem,
    source: usize,
    j: usize,
    lang: &Lang,
    url: String,
    published: chrono::DateTime<chrono::Utc>,
    image_url: Option<String>,
) -> PreparedArticle {
    let mut hash = [0u8; 16];
    hash[..8].copy_from_slice(&(source as u64).to_le_bytes());
    hash[8..].copy_from_slice(&(j as u64).to_le_bytes());
    PreparedArticle {
        guid: format!("{}-{source}", g.guid),
        url: Some(url),
        title: g.title,
        summary: Some(g.summary),
        content_html: Some(g.html),
        author: Some(g.author.to_owned()),
        categories: g.categories.iter().map(|c| c.to_string()).collect(),
        published_at: Some(published),
        updated_at: None,
        image_url,
        language: Some(lang.code.to_owned()),
        views: None,
        is_breaking: false,
        hash,
        unsanitised_body: None,
    }
}

/// A database of `sources` generated feeds at `path`, written and indexed as a sync would:
/// `feed(source)` (run on one core) gives each feed's URL, validators and articles, written
/// on the other. Returns the articles written.
pub(crate) fn write_generated_db(
    path: &Path,
    sources: usize,
    now: chrono::DateTime<chrono::Utc>,
    feed: impl Fn(usize) -> (String, SourceUpdate, Vec<PreparedArticle>) + Send,
) -> usize {
    let (tx, rx) = std::sync::mpsc::sync_channel::<(String, SourceUpdate, Vec<PreparedArticle>)>(4);
    std::thread::scope(|s| {
        s.spawn(move || {
            for source in 0..sources {
                if tx.send(feed(source)).is_err() {
                    return;
                }
            }
        });
        let mut store = Store::open(path).unwrap();
        let mut written = 0;
        for (url, update, articles) in rx {
            let (source, _) = store.add_source(&url, Some(SourceKind::Feed), now).unwrap();
            let outcome = store.write_source(source.id, &update, &articles, Retention::default(), now).unwrap();
            store.index_pending().unwrap();
            written += outcome.new as usize;
        }
        written
    })
}

/// Bump when the generated articles change, so a cached search database is rebuilt.
pub(crate) const GENERATOR_VERSION: u32 = 1;

/// A fingerprint of the schema the store creates today: the SQL of a freshly migrated
/// database. Keyed on this rather than on the schema version, a cached database is rebuilt
/// even when a migration is edited in place.
pub(crate) fn schema_fingerprint() -> String {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("schema.db")).unwrap();
    let sql: String = store
        .connection()
        .query_row("SELECT group_concat(COALESCE(sql, ''), ';') FROM (SELECT sql FROM sqlite_master ORDER BY type, name)", [], |r| r.get(0))
        .unwrap();
    format!("{:08x}", fnv1a(sql.as_bytes()) as u32)
}

/// The 100,000-article database: built once into target/ and reused while the schema and
/// the generator are unchanged (`CALIBER_BENCH_REBUILD=1` forces a rebuild, e.g. after a
/// change to what `write_source` writes). Returns the path and, when built by this run,
/// how long that took.
pub(crate) fn search_db(vocab: &Vocab) -> (PathBuf, Option<Duration>) {
    let path = target_dir().join(format!("bench-search-100k-{}-gen{GENERATOR_VERSION}.db", schema_fingerprint()));
    let rebuild = std::env::var_os("CALIBER_BENCH_REBUILD").is_some_and(|v| !v.is_empty() && v != "0");
    if !rebuild && path.exists() {
        let complete = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| c.query_row("SELECT (SELECT count(*) FROM articles) = ?1 AND (SELECT count(*) FROM articles_fts) = ?1", [SEARCH_ARTICLES as i64], |r| r.get::<_, bool>(0)))
            .unwrap_or(false);
        if complete {
            return (path, None);
        }
    }
    // Build next to it, then rename: an interrupted build never looks complete.
    let building = path.with_extension("building");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", building.display()));
    }
    let start = Instant::now();
    let written = build_search_db(vocab, &building);
    assert_eq!(written, SEARCH_ARTICLES, "search corpus size");
    // The store's connection is closed: the WAL is checkpointed and removed.
    let _ = std::fs::remove_file(&path);
    std::fs::rename(&building, &path).unwrap();
    (path, Some(start.elapsed()))
}

pub(crate) struct SearchOutcome {
    pub(crate) rows: Vec<Vec<String>>,
    pub(crate) note: String,
}

/// Time `Core::search` over the 100,000-article database, and the CLI's export of all of
/// it (`measure_export`); table rows and a note.
pub(crate) fn measure_search(vocab: &Vocab, caliber: &Path, runs: usize, t0: Instant) -> SearchOutcome {
    let (search_db, build_time) = search_db(vocab);
    let db_size = std::fs::metadata(&search_db).map(|m| m.len()).unwrap_or(0);
    let build_note = match build_time {
        Some(t) => format!("written by this run in {}", fmt_ms(ms(t))),
        None => format!("reused from an earlier run: {}", search_db.display()),
    };
    log(t0, format!("search corpus: {SEARCH_ARTICLES} articles, {:.0} MiB, {build_note}", db_size as f64 / 1048576.0));
    let classes = search_queries(vocab);
    let df_conn = Connection::open_with_flags(&search_db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let core = Core::open(CoreConfig::at(search_db.clone(), HttpClient::new(FetchOptions::default()))).unwrap();
    let reps = (runs * 2).max(10);
    let mut class_results = Vec::new();
    // Warm-up pass: one untimed search per query (pages into the OS cache), and how many
    // documents each query matches.
    let mut doc_freq: Vec<Vec<f64>> = Vec::new();
    let mut warm_up_ms: HashMap<String, f64> = HashMap::new();
    for class in &classes {
        let mut dfs = Vec::new();
        for q in &class.queries {
            let t = Instant::now();
            let hits = core.search(q, 20).unwrap();
            warm_up_ms.insert(q.clone(), ms(t.elapsed()));
            assert!(!hits.is_empty(), "search for {q:?} over {SEARCH_ARTICLES} articles found nothing");
            let fts = fts_query(q).unwrap();
            let n: i64 = df_conn.query_row("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?1", [&fts], |r| r.get(0)).unwrap();
            dfs.push(n as f64 * 100.0 / SEARCH_ARTICLES as f64);
        }
        doc_freq.push(dfs);
    }
    // Round robin over all queries, `reps` rounds; a query that has used up its time budget
    // (after at least 2 timed runs) sits out the remaining rounds, so a pathological query
    // cannot take minutes. Its samples still count.
    const QUERY_BUDGET_MS: f64 = 500.0;
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); classes.len()];
    let mut slowest: Vec<(f64, String)> = Vec::new();
    let mut spent: HashMap<String, (usize, f64)> = HashMap::new();
    for _ in 0..reps {
        for (ci, class) in classes.iter().enumerate() {
            for q in &class.queries {
                let (n, total) = spent.get(q).copied().unwrap_or((0, 0.0));
                // At least 2 timed runs; 1 for a query whose untimed run alone took the budget.
                let min_runs = if warm_up_ms.get(q).is_some_and(|&w| w > QUERY_BUDGET_MS) { 1 } else { 2 };
                if n >= min_runs && total > QUERY_BUDGET_MS {
                    continue;
                }
                let t = Instant::now();
                let hits = core.search(q, 20).unwrap();
                let elapsed = ms(t.elapsed());
                std::hint::black_box(hits);
                samples[ci].push(elapsed);
                slowest.push((elapsed, q.clone()));
                spent.insert(q.clone(), (n + 1, total + elapsed));
            }
        }
    }
    let budget_limited: Vec<String> = {
        let mut v: Vec<(&String, &(usize, f64))> = spent.iter().filter(|(_, (n, _))| *n < reps).collect();
        v.sort_by(|a, b| b.1.1.total_cmp(&a.1.1));
        v.iter().map(|(q, (n, _))| format!("{q:?} {n}")).collect()
    };
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut per_query_max: Vec<(f64, String)> = Vec::new();
    for (t, q) in &slowest {
        if !per_query_max.iter().any(|(_, seen)| seen == q) {
            per_query_max.push((*t, q.clone()));
        }
        if per_query_max.len() == 5 {
            break;
        }
    }
    for (ci, class) in classes.iter().enumerate() {
        let mut s = samples[ci].clone();
        s.sort_by(f64::total_cmp);
        let dfs = &doc_freq[ci];
        let (df_min, df_max) = dfs.iter().fold((f64::MAX, 0.0f64), |(lo, hi), &d| (lo.min(d), hi.max(d)));
        class_results.push((class.name, class.queries.len(), s.len(), percentile(&s, 50.0), percentile(&s, 99.0), s[s.len() - 1], df_min, df_max));
    }
    let mut all: Vec<f64> = samples.iter().flatten().copied().collect();
    all.sort_by(f64::total_cmp);
    let total_queries: usize = classes.iter().map(|c| c.queries.len()).sum();
    log(t0, format!("search: {total_queries} queries, up to {reps} runs each, {} timed searches, p50 {}, p99 {}", all.len(), fmt_ms(percentile(&all, 50.0)), fmt_ms(percentile(&all, 99.0))));

    let mut rows = Vec::new();
    for &(name, nq, ns, p50, p99, max, df_min, df_max) in &class_results {
        rows.push(vec![
            format!("search p50 / p99: {name} — {nq} queries, {ns} searches, matching {}–{}% of docs", fmt_pct(df_min), fmt_pct(df_max)),
            format!("{} / {}", fmt_ms(p50), fmt_ms(p99)),
            "".into(),
            format!("{}", fmt_ms(max)),
            format!("p99 < {}", fmt_ms(TARGET_SEARCH_P99_MS)),
            verdict(p99 < TARGET_SEARCH_P99_MS),
            "—".into(),
            "—".into(),
        ]);
    }
    rows.push(vec![
        format!("search p50 / p99: all {total_queries} queries ({} searches)", all.len()),
        format!("{} / {}", fmt_ms(percentile(&all, 50.0)), fmt_ms(percentile(&all, 99.0))),
        fmt_ms(all[0]),
        fmt_ms(all[all.len() - 1]),
        format!("p99 < {}", fmt_ms(TARGET_SEARCH_P99_MS)),
        verdict(percentile(&all, 99.0) < TARGET_SEARCH_P99_MS),
        "—".into(),
        "—".into(),
    ]);

    let note = format!(
        "Search: {SEARCH_ARTICLES} articles ({SEARCH_SOURCES} sources × {ITEMS_PER_FEED}, same generator without hostile markup, stored \
         via Store::write_source; {:.0} MiB database, {build_note}). `Core::search(query, 20)`, {reps} runs of each query, round robin, \
         after one untimed run; a query sits out the remaining rounds once it has used 0.5 s (after at least 2 runs, or 1 when its untimed run took longer than that){}. \
         The percentage is the share of documents matching `fts_query(q)` (every word; the last also as a prefix when it is long enough). Slowest single searches: {}.",
        db_size as f64 / 1048576.0,
        if budget_limited.is_empty() { String::new() } else { format!("; runs of those that did: {}", budget_limited.join(", ")) },
        per_query_max.iter().map(|(t, q)| format!("{q:?} {}", fmt_ms(*t))).collect::<Vec<_>>().join(", ")
    );
    let (export_rows, export_note) = measure_export(caliber, &search_db, runs, t0);
    rows.extend(export_rows);
    SearchOutcome { rows, note: format!("{note} {export_note}") }
}

/// `caliber articles --json --limit 100000` over the search database, stdout to a file:
/// the export of every article. Its peak RSS is held to the sync's bound: the CLI reads and
/// writes the list a page at a time (before, it held every article, its JSON value and the
/// whole document: 2.3 GiB here).
fn measure_export(caliber: &Path, db: &Path, runs: usize, t0: Instant) -> (Vec<Vec<String>>, String) {
    let scratch = tempfile::tempdir().unwrap();
    let (out, rusage) = (scratch.path().join("export.json"), scratch.path().join("rusage"));
    let limit = SEARCH_ARTICLES.to_string();
    let args = ["--db", db.to_str().unwrap(), "articles", "--json", "--limit", limit.as_str()];
    let (mut walls, mut rss_kib) = (Vec::new(), Vec::new());
    let mut bytes = 0;
    let use_time = Path::new(GNU_TIME).exists();
    for _ in 0..runs {
        let mut cmd = if use_time { Command::new(GNU_TIME) } else { Command::new(caliber) };
        if use_time {
            cmd.arg("-f").arg("%M").arg("-o").arg(&rusage).arg(caliber);
        }
        cmd.args(args).stdin(Stdio::null()).stdout(std::fs::File::create(&out).unwrap());
        let t = Instant::now();
        let status = cmd.status().unwrap_or_else(|e| panic!("spawn {}: {e}", caliber.display()));
        walls.push(ms(t.elapsed()));
        assert!(status.success(), "caliber {args:?} failed: {status}");
        if use_time {
            let text = std::fs::read_to_string(&rusage).unwrap_or_default();
            rss_kib.extend(text.lines().last().and_then(|l| l.trim().parse::<f64>().ok()));
        }
        // One JSON array of every article: each element opens on a line of its own.
        let file = std::io::BufReader::new(std::fs::File::open(&out).unwrap());
        let (mut elements, mut first, mut last) = (0, None, String::new());
        for line in std::io::BufRead::lines(file) {
            let line = line.unwrap();
            elements += usize::from(line == "  {");
            first.get_or_insert_with(|| line.clone());
            last = line;
        }
        assert_eq!((first.as_deref(), last.as_str(), elements), (Some("["), "]", SEARCH_ARTICLES), "the export is one array of every article");
        bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    }
    let wall = stats(&walls);
    let rss = (!rss_kib.is_empty()).then(|| stats(&rss_kib));
    log(t0, format!(
        "export: {SEARCH_ARTICLES} articles as JSON ({:.0} MiB) in {} (median of {runs}), peak RSS {}",
        bytes as f64 / 1048576.0,
        fmt_ms(wall.median),
        rss.as_ref().map_or("?".into(), |r| fmt_mib(r.median))
    ));
    let mut rows = vec![vec![
        format!("export of every article: `caliber articles --json --limit {SEARCH_ARTICLES}`, stdout to a file"),
        fmt_ms(wall.median),
        fmt_ms(wall.min),
        fmt_ms(wall.max),
        "—".into(),
        "—".into(),
        "—".into(),
        "—".into(),
    ]];
    rows.push(match &rss {
        Some(r) => vec![
            "export of every article: peak RSS".into(),
            fmt_mib(r.median),
            fmt_mib(r.min),
            fmt_mib(r.max),
            format!("< {TARGET_RSS_MIB:.0} MiB"),
            verdict(r.median / 1024.0 < TARGET_RSS_MIB),
            "—".into(),
            "—".into(),
        ],
        None => vec!["export of every article: peak RSS".into(), "?".into(), "?".into(), "?".into(), format!("< {TARGET_RSS_MIB:.0} MiB"), "not measured".into(), "—".into(), "—".into()],
    });
    let note = format!(
        "Export: `caliber articles --json --limit {SEARCH_ARTICLES}` over the same database, its {:.0} MiB of JSON written to a file, \
         {runs} runs; checked after each: one array of {SEARCH_ARTICLES} articles.",
        bytes as f64 / 1048576.0
    );
    (rows, note)
}

pub(crate) struct QueryClass {
    pub(crate) name: &'static str,
    pub(crate) queries: Vec<String>,
}

pub(crate) fn search_queries(vocab: &Vocab) -> Vec<QueryClass> {
    let en_rare = |k: usize| vocab.en.rare[k * 997 % EN_RARE_POOL].clone();
    let ru_rare = |k: usize| vocab.ru.rare[k * 613 % RU_RARE_POOL].clone();
    let common = ["the", "said", "government", "minister", "people", "president", "year", "officials", "country", "percent", "police", "economy", "market", "week", "company"];
    let common2 = [
        "government minister", "president said", "economy market", "police officials", "the government", "people year",
        "country percent", "company week", "said the", "minister president",
    ];
    vec![
        QueryClass { name: "1 word, common (most English docs)", queries: common.iter().map(|s| s.to_string()).collect() },
        QueryClass { name: "1 word, rare (a few docs)", queries: (1..=15).map(en_rare).collect() },
        QueryClass { name: "2 words, both common", queries: common2.iter().map(|s| s.to_string()).collect() },
        QueryClass { name: "2 words, common + rare", queries: (0..10).map(|i| format!("{} {}", common[i], en_rare(100 + i))).collect() },
        QueryClass {
            name: "Cyrillic (1-2 words, common and rare)",
            queries: vec![
                "правительство".into(), "президент".into(), "министр страны".into(), "экономика рынок".into(), "рублей".into(),
                ru_rare(1), ru_rare(2), ru_rare(3), format!("президент {}", ru_rare(4)), format!("в {}", ru_rare(5)),
            ],
        },
    ]
}

// ---------------------------------------------------------------------------------------
// main
