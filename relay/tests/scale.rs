//! The relay with many subscriptions (the figures are `benches/fanout.rs`, BENCHMARKS.md).

mod common;

use common::{FixtureSite, RelayProcess};

/// A poll that brings nothing new must not read every subscription. Working out the
/// editions' sections and keywords (`Store::interests`, a scan of every subscription's JSON
/// per edition) on every poll, whether or not anything had arrived, cost 866 ms of CPU per
/// poll here (200,000 subscriptions), 32 ms without it; 207 ms per poll at 100,000 in the
/// release bench.
#[test]
fn an_idle_poll_does_not_scan_200k_subscriptions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("relay.db");
    drop(caliber_relay::store::SqliteStore::open(&db).unwrap());
    let mut conn = rusqlite::Connection::open(&db).unwrap();
    let tx = conn.transaction().unwrap();
    {
        let mut insert = tx
            .prepare(
                "INSERT INTO relay_subscriptions (id, kind, endpoint, p256dh, auth, editions, sections, keywords)
                 VALUES (?1, 'webpush', ?2, 'key', 'auth', '[\"ru\",\"en\"]', '[\"культура\"]', '[\"нефть\"]')",
            )
            .unwrap();
        for i in 0..200_000 {
            insert.execute(rusqlite::params![format!("s{i}"), format!("https://push.example/{i}")]).unwrap();
        }
    }
    tx.commit().unwrap();
    drop(conn);

    let site = FixtureSite::start("normal");
    let relay = RelayProcess::start(&db, &site.url(), &[]);
    // The baseline, then idle polls: the site is unchanged (conditional GET, 304).
    relay.wait_polls(2);
    let (cpu, polls) = (relay.cpu_seconds(), relay.polls());
    relay.wait_polls(5);
    let per_poll = (relay.cpu_seconds() - cpu) / (relay.polls() - polls) as f64;
    eprintln!("an idle poll with 200,000 subscriptions: {:.0} ms of CPU", per_poll * 1000.0);
    assert!(per_poll < 0.15, "an idle poll took {:.0} ms of CPU with 200,000 subscriptions:\n{}", per_poll * 1000.0, relay.log_text());
}
