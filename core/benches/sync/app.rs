//! The 100,000-article database the app is measured on (`./dev bench-app`,
//! tests/e2e/bench-app.js): `CALIBER_BENCH_ONLY=app-db` writes it and prints its path.
//!
//! Shaped like a reader's own database after a few weeks: 500 sources × 200 articles in
//! English, Russian and Azerbaijani (a third each), every article with a cover picture and
//! a 4–8 KiB body. Pictures and feeds are on `CALIBER_BENCH_APP_ORIGIN` (the harness
//! serves both there: real PNGs, and 304 to every feed, whose stored ETag it knows).

use super::*;

pub(crate) const APP_SOURCES: usize = 500;
pub(crate) const APP_ARTICLES: usize = APP_SOURCES * ITEMS_PER_FEED;
/// Bump when what is written changes, so a cached database is rebuilt.
const APP_GENERATOR_VERSION: u32 = 1;
/// The ETag stored with every source; the harness answers `If-None-Match: "app-v1"` with 304.
pub(crate) const APP_FEED_ETAG: &str = "\"app-v1\"";

fn build_app_db(vocab: &Vocab, az: &Lang, origin: &str, path: &Path) -> usize {
    let now = chrono::Utc::now();
    write_generated_db(path, APP_SOURCES, now, |source| {
        let lang = [&vocab.en, &vocab.ru, az][source % 3];
        let mut generator = ItemGen {
            lang,
            rng: Rng::new(SEED ^ 0xa_99d8 ^ ((source as u64 + 1) * 0x3000_0005)),
            feed: source,
            origin,
            hostile_markup: false,
            counts: HostileCounts::default(),
        };
        let articles = (0..ITEMS_PER_FEED)
            .map(|j| {
                let g = generator.item(j);
                // Newest first, one article every 3 hours per source, sources a few
                // seconds apart: 25 days in all, inside the 90-day retention.
                let published = now - chrono::Duration::seconds((j * 3 * 3600 + source * 7) as i64);
                let url = format!("{origin}/{}/{source}/{j}.html", lang.code);
                let picture = format!("{origin}/pictures/{source}/{j}.png");
                generated_article(g, source, j, lang, url, published, Some(picture))
            })
            .collect();
        let update = SourceUpdate { etag: Some(APP_FEED_ETAG.into()), ..SourceUpdate::default() };
        (format!("{origin}/feeds/app{source}.xml"), update, articles)
    })
}

/// Write the app database for `origin` (rebuilt when the schema, the generator or the origin
/// change, or with `CALIBER_BENCH_REBUILD=1`) and print its path.
pub(crate) fn app_db(t0: Instant) {
    let origin = std::env::var("CALIBER_BENCH_APP_ORIGIN").unwrap_or_else(|_| "http://127.0.0.1:18779".into());
    let port = origin.rsplit(':').next().unwrap_or("0").trim_end_matches('/').to_owned();
    let path = target_dir().join(format!("bench-app-100k-{}-gen{APP_GENERATOR_VERSION}-{port}.db", schema_fingerprint()));
    let rebuild = std::env::var_os("CALIBER_BENCH_REBUILD").is_some_and(|v| !v.is_empty() && v != "0");
    let complete = |p: &Path| {
        Connection::open_with_flags(p, OpenFlags::SQLITE_OPEN_READ_ONLY)
            .and_then(|c| c.query_row("SELECT (SELECT count(*) FROM articles) = ?1 AND (SELECT count(*) FROM articles_fts) = ?1", [APP_ARTICLES as i64], |r| r.get::<_, bool>(0)))
            .unwrap_or(false)
    };
    if rebuild || !path.exists() || !complete(&path) {
        let building = path.with_extension("building");
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", building.display()));
        }
        let vocab = Vocab::new();
        let az = Lang::new("az", AZ_WORDS, AZ_SYLLABLES, 4000, AZ_CATEGORIES, AZ_AUTHORS);
        let written = build_app_db(&vocab, &az, &origin, &building);
        assert_eq!(written, APP_ARTICLES, "app corpus size");
        let _ = std::fs::remove_file(&path);
        std::fs::rename(&building, &path).unwrap();
        log(t0, format!("app database: {APP_ARTICLES} articles written for {origin}"));
    }
    println!("APP_DB {}", path.display());
}
