//! Corpus shapes × sizes, each a cold sync of the release `caliber` against `newsboat -x
//! reload` on the same server in the same run (interleaved), with the CPU time of each
//! phase (`CALIBER_PHASE_CPU`) per article.
//!
//! | shape | feeds × items | what |
//! |---|---|---|
//! | today | n/200 × 200 | the sync corpus of `corpus/gen.rs`: RSS 2.0 `content:encoded` and Atom, en/ru |
//! | mixed | n/100 × 100 | by feed: RSS 2.0 `content:encoded`, Atom with escaped HTML, JSON Feed, RSS in windows-1251; en/ru/az; tables, figures, entities, hostile markup |
//! | many-small | n/20 × 20 | the `today` items in many small feeds |
//! | few-huge | n/1000 × 1000 | the `today` items in a few feeds of about 8 MiB (under the 10 MiB body limit) |
//!
//! newsboat reads no JSON Feed. So that both sync the same items (as the issue's own
//! measurement did: "same XML feeds"), newsboat gets each JSON Feed's items as an RSS 2.0
//! twin, served only to it; caliber reads the JSON Feed. The ratio is taken against that
//! run. For `mixed`, newsboat also runs on the XML feeds alone (three quarters of the items,
//! the ratio this bench reported before 2026-12-04), shown in its own column, and so does
//! caliber, in the last column: both programs on the same XML feeds, a third reading of the
//! issue's words.

use super::*;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CorpusShape {
    Today,
    Mixed,
    ManySmall,
    FewHuge,
}

impl CorpusShape {
    pub(crate) const ALL: [CorpusShape; 4] = [CorpusShape::Today, CorpusShape::Mixed, CorpusShape::ManySmall, CorpusShape::FewHuge];

    pub(crate) fn name(self) -> &'static str {
        match self {
            CorpusShape::Today => "today",
            CorpusShape::Mixed => "mixed",
            CorpusShape::ManySmall => "many-small",
            CorpusShape::FewHuge => "few-huge",
        }
    }

    fn items_per_feed(self) -> usize {
        match self {
            CorpusShape::Today => 200,
            CorpusShape::Mixed => 100,
            CorpusShape::ManySmall => 20,
            CorpusShape::FewHuge => 1000,
        }
    }
}

pub(crate) const AZ_WORDS: &[&str] = &[
    "və", "bu", "bir", "ilə", "üçün", "da", "də", "olan", "hökumət", "nazir", "prezident", "ölkə", "il", "iqtisadiyyat",
    "bazar", "şirkət", "polis", "xalq", "Bakı", "Azərbaycan", "dedi", "bildirib", "görə", "sonra", "artıq", "yeni", "böyük",
    "qərar", "layihə", "neft", "qaz", "ixrac", "manat", "faiz", "həftə", "ay", "gün", "rəsmi", "məlumat", "sahə", "inkişaf",
    "təhsil", "səhiyyə", "mədəniyyət", "idman", "komanda", "oyun", "çempionat", "qələbə", "şəhər", "rayon", "kənd",
];
pub(crate) const AZ_SYLLABLES: &[&str] = &["qa", "lə", "mı", "şo", "çu", "ğa", "rə", "tü", "nö", "sı", "ka", "zə", "bo", "də", "xa", "yı"];
pub(crate) const AZ_CATEGORIES: &[&str] = &["Siyasət", "İqtisadiyyat", "Cəmiyyət", "İdman", "Mədəniyyət", "Dünya"];
pub(crate) const AZ_AUTHORS: &[&str] = &["Leyla Əliyeva", "Rəşad Məmmədov", "Günel Həsənova", "Orxan Quliyev"];

/// One generated shape at one size, ready to serve.
pub(crate) struct ShapeCorpus {
    pub(crate) docs: Vec<FeedDoc>,
    pub(crate) articles: i64,
    /// Items in the documents newsboat can read (all but JSON Feed).
    pub(crate) xml_articles: i64,
    /// Documents that are JSON Feed (served, but not to newsboat).
    pub(crate) json_docs: Vec<String>,
    /// Each JSON Feed's items as RSS 2.0, for newsboat only (served after `docs`).
    pub(crate) newsboat_twins: Vec<FeedDoc>,
    pub(crate) raw_bytes: usize,
    pub(crate) gzip_bytes: usize,
}

fn feed_doc(name: String, content_type: &'static str, body: Vec<u8>) -> FeedDoc {
    let hash = fnv1a(&body);
    let gz = gzip(&body);
    FeedDoc {
        name,
        content_type,
        body: Bytes::from(body),
        gzip: Bytes::from(gz),
        etag: format!("\"{hash:016x}\""),
        etag_gzip: format!("\"{hash:016x}-gz\""),
        last_modified: httpdate::fmt_http_date(std::time::UNIX_EPOCH + Duration::from_secs(BASE_TIME as u64)),
    }
}

/// Tables, entities and a second figure, as news sites write them.
fn enrich(html: &mut String, lang: &Lang, rng: &mut Rng) {
    let mut table = String::from("<table class=\"data\"><caption>");
    table += &capitalize(lang.word(rng));
    table += "</caption><thead><tr><th>&nbsp;</th><th>2025</th><th>2026</th></tr></thead><tbody>";
    for _ in 0..rng.range(3, 8) {
        let _ = write!(table, "<tr><td>{}</td><td>{}&#8239;%</td><td>{},{}</td></tr>", capitalize(lang.word(rng)), rng.below(100), rng.below(1000), rng.below(10));
    }
    table += "</tbody></table>\n";
    let entities = format!(
        "<p>&laquo;{}&raquo; &mdash; {} &amp; {}&nbsp;&#8470;{} &hellip; &#x20BC;{} &lt;{}&gt; &quot;{}&quot;</p>\n",
        lang.word(rng), lang.word(rng), lang.word(rng), rng.below(100), rng.below(1000), lang.word(rng), lang.word(rng)
    );
    let figure = format!(
        "<figure class=\"wide\"><picture><source srcset=\"/img/{n}.webp\" type=\"image/webp\"><img src=\"/img/{n}.jpg\" alt=\"{}\"></picture><figcaption>{} &copy; {}</figcaption></figure>\n",
        lang.word(rng), capitalize(lang.word(rng)), lang.word(rng), n = rng.below(1_000_000)
    );
    // After the first paragraph, and the rest at the end.
    let at = html.find("</p>\n").map_or(html.len(), |i| i + 5);
    html.insert_str(at, &table);
    html.push_str(&entities);
    html.push_str(&figure);
}

fn json_feed(feed: usize, lang: &Lang, items: &[GenItem]) -> Vec<u8> {
    let items: Vec<serde_json::Value> = items
        .iter()
        .map(|it| {
            serde_json::json!({
                "id": it.guid, "url": it.link, "title": it.title, "summary": it.summary, "content_html": it.html,
                "date_published": datetime(it.published).to_rfc3339(), "authors": [{"name": it.author}], "tags": it.categories,
                "language": lang.code,
            })
        })
        .collect();
    let doc = serde_json::json!({
        "version": "https://jsonfeed.org/version/1.1", "title": format!("News {feed} ({})", lang.code),
        "home_page_url": format!("https://news{feed}.example.com/"), "language": lang.code, "items": items,
    });
    serde_json::to_vec(&doc).unwrap()
}

fn windows_1251(xml: &str) -> Vec<u8> {
    let xml = xml.replacen("encoding=\"UTF-8\"", "encoding=\"windows-1251\"", 1);
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1251.encode(&xml);
    assert!(!unmappable, "the windows-1251 feed holds a character it cannot encode");
    bytes.into_owned()
}

/// One feed of `shape`; feed numbers are offset per shape so hosts and guids differ.
/// A feed's document, and for a JSON Feed its RSS twin (the same items, for newsboat).
fn shape_feed(vocab: &Vocab, az: &Lang, origin: &str, shape: CorpusShape, feed: usize) -> (FeedDoc, Option<FeedDoc>) {
    let n = shape.items_per_feed();
    // (language, format): 0 RSS content:encoded, 1 Atom escaped, 2 JSON Feed, 3 RSS windows-1251.
    let (lang, format) = match shape {
        CorpusShape::Mixed => match feed % 4 {
            3 => (&vocab.ru, 3),
            f => ([&vocab.en, &vocab.ru, az][feed / 4 % 3], f),
        },
        _ => (vocab.for_feed(feed), feed % 2),
    };
    let mut generator = ItemGen {
        lang,
        rng: Rng::new(SEED ^ ((feed as u64 + 1) * 0x1000_0001) ^ (shape as u64 * 0x77)),
        feed,
        origin,
        hostile_markup: true,
        counts: HostileCounts::default(),
    };
    let mut items: Vec<GenItem> = (0..n).map(|j| generator.item(j)).collect();
    if shape == CorpusShape::Mixed {
        let mut rng = Rng::new(SEED ^ feed as u64 ^ 0xe1c4);
        for it in &mut items {
            enrich(&mut it.html, lang, &mut rng);
        }
    }
    match format {
        0 => (feed_doc(format!("{}-{feed}.rss", shape.name()), "application/rss+xml; charset=utf-8", rss_document(feed, lang, &items).into_bytes()), None),
        1 => (feed_doc(format!("{}-{feed}.atom", shape.name()), "application/atom+xml; charset=utf-8", atom_document(feed, lang, &items).into_bytes()), None),
        2 => (
            feed_doc(format!("{}-{feed}.json", shape.name()), "application/feed+json", json_feed(feed, lang, &items)),
            Some(feed_doc(format!("{}-{feed}.json-twin.rss", shape.name()), "application/rss+xml; charset=utf-8", rss_document(feed, lang, &items).into_bytes())),
        ),
        _ => (feed_doc(format!("{}-{feed}.rss", shape.name()), "application/rss+xml; charset=windows-1251", windows_1251(&rss_document(feed, lang, &items))), None),
    }
}

pub(crate) fn generate_shape(vocab: &Vocab, origin: &str, shape: CorpusShape, articles: usize) -> ShapeCorpus {
    let feeds = articles.div_ceil(shape.items_per_feed()).max(1);
    let az = Lang::new("az", AZ_WORDS, AZ_SYLLABLES, 4000, AZ_CATEGORIES, AZ_AUTHORS);
    let az = &az;
    let generated: Vec<(FeedDoc, Option<FeedDoc>)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|t| s.spawn(move || (0..feeds).filter(|f| f % 2 == t).map(|f| (f, shape_feed(vocab, az, origin, shape, f))).collect::<Vec<_>>()))
            .collect();
        let mut all: Vec<_> = handles.into_iter().flat_map(|h| h.join().unwrap()).collect();
        all.sort_by_key(|(f, _)| *f);
        all.into_iter().map(|(_, r)| r).collect()
    });
    let per_feed = shape.items_per_feed() as i64;
    let mut corpus = ShapeCorpus { docs: Vec::new(), articles: 0, xml_articles: 0, json_docs: Vec::new(), newsboat_twins: Vec::new(), raw_bytes: 0, gzip_bytes: 0 };
    for (doc, twin) in generated {
        corpus.articles += per_feed;
        if let Some(twin) = twin {
            corpus.json_docs.push(doc.name.clone());
            corpus.newsboat_twins.push(twin);
        } else {
            corpus.xml_articles += per_feed;
        }
        corpus.raw_bytes += doc.body.len();
        corpus.gzip_bytes += doc.gzip.len();
        corpus.docs.push(doc);
    }
    corpus
}

/// CPU milliseconds by phase from `caliber sync` with `CALIBER_PHASE_CPU` (its last stderr line).
fn phase_cpu_ms(stderr: &str) -> HashMap<String, f64> {
    stderr
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("phase-cpu-ms: "))
        .and_then(|json| serde_json::from_str::<HashMap<String, f64>>(json).ok())
        .unwrap_or_default()
}

/// A cold `caliber sync --no-images` of `urls` into a fresh database, polled for `expected`
/// rows; checks the count and that no stored body is unsanitised.
fn caliber_cold(caliber: &Path, urls: &[String], expected: i64) -> Measured {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("caliber.db");
    let db_arg = db.to_str().unwrap();
    // `sources add` takes many URLs at once; a thousand is within any argument limit.
    let mut add = vec!["--db", db_arg, "sources", "add"];
    add.extend(urls.iter().map(String::as_str));
    run_quiet(caliber, &add);
    let m = run_measured(caliber, &["--db", db_arg, "sync", "--json", "--no-images"], &[("CALIBER_PHASE_CPU", Path::new("1"))], Some((&db, expected)));
    let json = parse_sync_json(&m.stdout);
    assert_eq!(json.statuses.get("ok").copied().unwrap_or(0), urls.len(), "every source ok; errors: {:?}", json.errors);
    let conn = Connection::open_with_flags(&db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let one = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(one("SELECT count(*) FROM articles"), expected, "articles stored");
    assert_eq!(one("SELECT count(*) FROM articles WHERE content_html IS NULL"), 0, "every body sanitised and stored");
    assert_eq!(one("SELECT count(*) FROM articles_fts"), expected, "every article indexed");
    let unsafe_bodies = one(
        "SELECT count(*) FROM articles WHERE content_html LIKE '%<script%' OR content_html LIKE '%javascript:%' OR content_html LIKE '%<iframe%' \
         OR content_html LIKE '%onclick%' OR content_html LIKE '%onerror%' OR content_html LIKE '%style=%' OR content_html LIKE '%<form%'",
    );
    assert_eq!(unsafe_bodies, 0, "unsanitised markup stored");
    m
}

pub(crate) struct ShapeRow {
    pub(crate) shape: CorpusShape,
    pub(crate) articles: i64,
    pub(crate) feeds: usize,
    pub(crate) caliber: Vec<Measured>,
    pub(crate) newsboat: Vec<Measured>,
    /// newsboat on the XML feeds alone, without the JSON Feeds' twins (`mixed` only).
    pub(crate) newsboat_xml_only: Vec<Measured>,
    /// caliber on those XML feeds alone too: both programs on the same feeds (`mixed` only).
    pub(crate) caliber_xml_only: Vec<Measured>,
    /// `CALIBER_BENCH_BASELINE`: another build of `caliber` (an earlier commit), same runs.
    pub(crate) baseline: Vec<Measured>,
    pub(crate) xml_mib: f64,
}

/// Every shape at every size, `runs` cold syncs each, interleaved with newsboat's.
#[allow(clippy::too_many_arguments)] // the bench's settings, each read once from main
pub(crate) fn run_shapes(caliber: &Path, baseline: Option<&Path>, newsboat: Option<&Path>, server: &Server, vocab: &Vocab, origin: &str, sizes: &[usize], shapes: &[CorpusShape], runs: usize, t0: Instant) -> Vec<ShapeRow> {
    let mut rows = Vec::new();
    for &size in sizes {
        for &shape in shapes {
            let mut corpus = generate_shape(vocab, origin, shape, size);
            let feeds = corpus.docs.len();
            let json_docs = corpus.json_docs.clone();
            let (articles, xml_articles, raw) = (corpus.articles, corpus.xml_articles, corpus.raw_bytes);
            let twins = corpus.newsboat_twins.len();
            corpus.docs.append(&mut corpus.newsboat_twins);
            let mut urls = server.serve(corpus.docs);
            let twin_urls = urls.split_off(urls.len() - twins);
            let xml_urls: Vec<String> = urls.iter().filter(|u| !json_docs.iter().any(|j| u.ends_with(&format!("/{j}")))).cloned().collect();
            let newsboat_urls: Vec<String> = xml_urls.iter().chain(&twin_urls).cloned().collect();
            log(t0, format!("shape {} at {articles}: {feeds} feeds, {:.0} MiB", shape.name(), raw as f64 / 1048576.0));
            let mut row = ShapeRow {
                shape,
                articles,
                feeds,
                caliber: Vec::new(),
                newsboat: Vec::new(),
                newsboat_xml_only: Vec::new(),
                caliber_xml_only: Vec::new(),
                baseline: Vec::new(),
                xml_mib: raw as f64 / 1048576.0,
            };
            for _ in 0..runs {
                let m = caliber_cold(caliber, &urls, articles);
                log_cold(t0, &format!("  caliber {} {articles}", shape.name()), &m);
                row.caliber.push(m);
                if let Some(baseline) = baseline {
                    let m = caliber_cold(baseline, &urls, articles);
                    log_cold(t0, &format!("  baseline {} {articles}", shape.name()), &m);
                    row.baseline.push(m);
                }
                if let Some(newsboat) = newsboat {
                    let (m, _dir, _) = newsboat_cold(newsboat, &newsboat_urls, articles);
                    log_cold(t0, &format!("  newsboat {} {articles}", shape.name()), &m);
                    row.newsboat.push(m);
                    if twins > 0 {
                        let m = caliber_cold(caliber, &xml_urls, xml_articles);
                        log_cold(t0, &format!("  caliber {} {xml_articles} (XML feeds only)", shape.name()), &m);
                        row.caliber_xml_only.push(m);
                        let (m, _dir, _) = newsboat_cold(newsboat, &xml_urls, xml_articles);
                        log_cold(t0, &format!("  newsboat {} {xml_articles} (XML feeds only)", shape.name()), &m);
                        row.newsboat_xml_only.push(m);
                    }
                }
            }
            rows.push(row);
        }
    }
    rows
}

/// The shapes table (markdown and text) and a note.
pub(crate) fn shapes_table(rows: &[ShapeRow]) -> Table {
    let mut table = Table::new(&[
        "shape", "articles (feeds, document MiB)", "caliber cold", "newsboat cold", "cold ratio (target ≤ 0.75)", "listable", "listable ÷ newsboat cold (target ≤ 0.25)",
        "peak RSS caliber / newsboat", "CPU caliber / newsboat", "caliber CPU ms per article: fetch+rest / parse / sanitise / store / index", "newsboat CPU ms per article",
        "newsboat on the XML feeds only: cold, caliber ÷ it",
        "both on the XML feeds only: caliber cold, ÷ newsboat's",
    ]);
    let median = |v: Vec<f64>| if v.is_empty() { f64::NAN } else { stats(&v).median };
    for row in rows {
        let cold = median(row.caliber.iter().map(|m| ms(m.wall)).collect());
        let nb_xml_only = median(row.newsboat_xml_only.iter().map(|m| ms(m.wall)).collect());
        let cal_xml_only = median(row.caliber_xml_only.iter().map(|m| ms(m.wall)).collect());
        let listable = median(row.caliber.iter().map(|m| ms(m.listable.unwrap_or(m.wall))).collect());
        let nb = median(row.newsboat.iter().map(|m| ms(m.wall)).collect());
        let rss = median(row.caliber.iter().filter_map(|m| m.peak_rss_kib.map(|k| k as f64)).collect());
        let nb_rss = median(row.newsboat.iter().filter_map(|m| m.peak_rss_kib.map(|k| k as f64)).collect());
        let cpu = |m: &Measured| (m.cpu_user_s.unwrap_or(0.0) + m.cpu_sys_s.unwrap_or(0.0)) * 1000.0;
        let cal_cpu = median(row.caliber.iter().map(cpu).collect());
        let nb_cpu = median(row.newsboat.iter().map(cpu).collect());
        let phases: Vec<HashMap<String, f64>> = row.caliber.iter().map(|m| phase_cpu_ms(&m.stderr)).collect();
        let phase = |name: &str| median(phases.iter().map(|p| p.get(name).copied().unwrap_or(0.0)).collect());
        let named = ["parse", "sanitize", "store", "index"].map(phase);
        let rest = cal_cpu - named.iter().sum::<f64>();
        let per = |v: f64| format!("{:.3}", v / row.articles as f64);
        let ratio = |a: f64, b: f64| if b.is_finite() && b > 0.0 { format!("{:.2}", a / b) } else { "—".into() };
        table.row(vec![
            row.shape.name().into(),
            format!("{} ({} feeds, {:.0} MiB)", row.articles, row.feeds, row.xml_mib),
            fmt_ms(cold),
            if nb.is_finite() { fmt_ms(nb) } else { "—".into() },
            ratio(cold, nb),
            fmt_ms(listable),
            ratio(listable, nb),
            format!("{} / {}", fmt_mib(rss), if nb_rss.is_finite() { fmt_mib(nb_rss) } else { "—".into() }),
            format!("{:.2} / {:.2} s", cal_cpu / 1000.0, nb_cpu / 1000.0),
            format!("{} / {} / {} / {} / {}", per(rest), per(named[0]), per(named[1]), per(named[2]), per(named[3])),
            if row.articles > 0 && nb_cpu.is_finite() { format!("{:.3}", nb_cpu / row.articles as f64) } else { "—".into() },
            if nb_xml_only.is_finite() { format!("{}, {}", fmt_ms(nb_xml_only), ratio(cold, nb_xml_only)) } else { "—".into() },
            if cal_xml_only.is_finite() { format!("{}, {}", fmt_ms(cal_xml_only), ratio(cal_xml_only, nb_xml_only)) } else { "—".into() },
        ]);
    }
    table
}

/// Before and after: the baseline build against this one, same runs, with newsboat's time.
pub(crate) fn baseline_table(rows: &[ShapeRow]) -> Option<Table> {
    if rows.iter().all(|r| r.baseline.is_empty()) {
        return None;
    }
    let mut table = Table::new(&[
        "shape", "articles", "cold before / after", "cold ÷ newsboat before / after", "listable before / after", "listable ÷ newsboat before / after",
        "peak RSS before / after", "CPU before / after",
    ]);
    let median = |v: Vec<f64>| if v.is_empty() { f64::NAN } else { stats(&v).median };
    for row in rows {
        let cold = |v: &[Measured]| median(v.iter().map(|m| ms(m.wall)).collect());
        let listable = |v: &[Measured]| median(v.iter().map(|m| ms(m.listable.unwrap_or(m.wall))).collect());
        let rss = |v: &[Measured]| median(v.iter().filter_map(|m| m.peak_rss_kib.map(|k| k as f64)).collect());
        let cpu = |v: &[Measured]| median(v.iter().map(|m| m.cpu_user_s.unwrap_or(0.0) + m.cpu_sys_s.unwrap_or(0.0)).collect());
        let nb = cold(&row.newsboat);
        let (b, a) = (&row.baseline, &row.caliber);
        table.row(vec![
            row.shape.name().into(),
            row.articles.to_string(),
            format!("{} / {}", fmt_ms(cold(b)), fmt_ms(cold(a))),
            format!("{:.2} / {:.2}", cold(b) / nb, cold(a) / nb),
            format!("{} / {}", fmt_ms(listable(b)), fmt_ms(listable(a))),
            format!("{:.2} / {:.2}", listable(b) / nb, listable(a) / nb),
            format!("{} / {}", fmt_mib(rss(b)), fmt_mib(rss(a))),
            format!("{:.2} / {:.2} s", cpu(b), cpu(a)),
        ]);
    }
    Some(table)
}
