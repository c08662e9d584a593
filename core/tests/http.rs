//! HTTP behaviour of a sync against a real local server: conditional GET, redirects,
//! error statuses, retries, size and time limits. One failing source never affects another.

mod common;

use std::time::{Duration, Instant};

use caliber_core::{FetchOptions, SyncStatus};
use common::*;

const DATE_1: &str = "Tue, 10 Jun 2025 08:00:00 GMT";
const DATE_2: &str = "Tue, 10 Jun 2025 09:00:00 GMT";
const DATE_3: &str = "Tue, 10 Jun 2025 10:00:00 GMT";

/// A small feed whose guids (and so links) start with `prefix`, so that sources in one
/// database never share a story.
fn feed(prefix: &str, n: usize) -> String {
    let items: Vec<(String, String)> =
        (1..=n).map(|i| (format!("{prefix}-{i}"), format!("{prefix} story number {i}"))).collect();
    let dates = [DATE_1, DATE_2, DATE_3];
    let refs: Vec<(&str, &str, &str, &str)> =
        items.iter().enumerate().map(|(i, (g, t))| (g.as_str(), t.as_str(), "<p>Body text.</p>", dates[i % 3])).collect();
    rss(prefix, &refs)
}

#[tokio::test(flavor = "multi_thread")]
async fn etag_second_sync_is_not_modified_and_stores_nothing_new() {
    let server = TestServer::start().await;
    server.route("/etag.xml", Route::body(feed("etag", 2), RSS).with_etag("\"v1\""));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/etag.xml");
    add(&core, std::slice::from_ref(&url));

    let first = sync(&core).await;
    assert_eq!((report_for(&first, &url).status, report_for(&first, &url).new), (SyncStatus::Ok, 2));
    assert_eq!(core.sources().unwrap()[0].etag.as_deref(), Some("\"v1\""));

    let second = sync(&core).await;
    let r = report_for(&second, &url);
    assert_eq!((r.status, r.new, r.updated, r.error.as_deref()), (SyncStatus::NotModified, 0, 0, None), "{r:?}");
    let requests = server.requests("/etag.xml");
    assert_eq!(requests.len(), 2);
    assert!(requests[0].get("if-none-match").is_none(), "first fetch is unconditional");
    assert_eq!(requests[1].get("if-none-match").map(|v| v.to_str().unwrap()), Some("\"v1\""));
    assert_eq!(articles_of(&core, &url).len(), 2);
    let source = &core.sources().unwrap()[0];
    assert_eq!((source.last_status, source.last_error.as_deref()), (Some(SyncStatus::NotModified), None));

    // The feed changes: new validator, new item.
    server.route("/etag.xml", Route::body(feed("etag", 3), RSS).with_etag("\"v2\""));
    let third = sync(&core).await;
    let r = report_for(&third, &url);
    assert_eq!((r.status, r.new, r.updated), (SyncStatus::Ok, 1, 0), "{r:?}");
    assert_eq!(core.sources().unwrap()[0].etag.as_deref(), Some("\"v2\""));
    assert_eq!(articles_of(&core, &url).len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn last_modified_second_sync_is_not_modified_and_stores_nothing_new() {
    let server = TestServer::start().await;
    let stamp = "Wed, 11 Jun 2025 07:28:00 GMT";
    server.route("/lm.xml", Route::body(feed("lm", 2), RSS).with_last_modified(stamp));
    let (_dir, core) = temp_core(fast_options());
    let url = server.url("/lm.xml");
    add(&core, std::slice::from_ref(&url));

    assert_eq!(report_for(&sync(&core).await, &url).new, 2);
    assert_eq!(core.sources().unwrap()[0].last_modified.as_deref(), Some(stamp));

    let second = sync(&core).await;
    let r = report_for(&second, &url);
    assert_eq!((r.status, r.new, r.updated, r.error.as_deref()), (SyncStatus::NotModified, 0, 0, None), "{r:?}");
    let requests = server.requests("/lm.xml");
    assert_eq!(requests.len(), 2);
    assert!(requests[0].get("if-modified-since").is_none());
    assert_eq!(requests[1].get("if-modified-since").map(|v| v.to_str().unwrap()), Some(stamp));
    assert_eq!(articles_of(&core, &url).len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn permanent_redirect_moves_the_source_to_the_new_url() {
    let server = TestServer::start().await;
    server.route("/old-301.xml", Route::redirect(301, "/new-301.xml"));
    server.route("/new-301.xml", Route::body(feed("moved301", 2), RSS));
    server.route("/old-308.xml", Route::redirect(308, &server.url("/new-308.xml")));
    server.route("/new-308.xml", Route::body(feed("moved308", 1), RSS));
    let (_dir, core) = temp_core(fast_options());
    let old = [server.url("/old-301.xml"), server.url("/old-308.xml")];
    let new = [server.url("/new-301.xml"), server.url("/new-308.xml")];
    add(&core, &old);

    let report = sync(&core).await;
    for (new_url, count) in new.iter().zip([2, 1]) {
        let r = report_for(&report, new_url);
        assert_eq!((r.status, r.new, r.error.as_deref()), (SyncStatus::Ok, count, None), "{r:?}");
        assert_eq!(articles_of(&core, new_url).len(), count as usize, "articles belong to the moved source");
    }
    let urls: Vec<String> = core.sources().unwrap().into_iter().map(|s| s.url).collect();
    assert_eq!(urls, new);

    // The next sync goes straight to the new URL.
    sync(&core).await;
    assert_eq!((server.hits("/old-301.xml"), server.hits("/new-301.xml")), (1, 2));
    assert_eq!((server.hits("/old-308.xml"), server.hits("/new-308.xml")), (1, 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn temporary_redirect_keeps_the_source_url() {
    let server = TestServer::start().await;
    server.route("/tmp-302.xml", Route::redirect(302, "/target-302.xml"));
    server.route("/target-302.xml", Route::body(feed("tmp302", 2), RSS));
    server.route("/tmp-307.xml", Route::redirect(307, "/target-307.xml"));
    server.route("/target-307.xml", Route::body(feed("tmp307", 1), RSS));
    // Permanent then temporary: the chain as a whole is not permanent.
    server.route("/chain.xml", Route::redirect(301, "/chain-hop.xml"));
    server.route("/chain-hop.xml", Route::redirect(302, "/chain-end.xml"));
    server.route("/chain-end.xml", Route::body(feed("chain", 1), RSS));
    let (_dir, core) = temp_core(fast_options());
    let urls = [server.url("/tmp-302.xml"), server.url("/tmp-307.xml"), server.url("/chain.xml")];
    add(&core, &urls);

    let report = sync(&core).await;
    for (url, count) in urls.iter().zip([2, 1, 1]) {
        let r = report_for(&report, url);
        assert_eq!((r.status, r.new, r.error.as_deref()), (SyncStatus::Ok, count, None), "{r:?}");
        assert_eq!(articles_of(&core, url).len(), count as usize);
    }
    let stored: Vec<String> = core.sources().unwrap().into_iter().map(|s| s.url).collect();
    assert_eq!(stored, urls);

    sync(&core).await;
    assert_eq!(server.hits("/tmp-302.xml"), 2, "still fetched at the original URL");
    assert_eq!(server.hits("/chain.xml"), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn redirect_loop_is_an_error_naming_too_many_redirects() {
    let server = TestServer::start().await;
    server.route("/loop-a.xml", Route::redirect(302, "/loop-b.xml"));
    server.route("/loop-b.xml", Route::redirect(302, "/loop-a.xml"));
    server.route("/fine.xml", Route::body(feed("fine", 1), RSS));
    let (_dir, core) = temp_core(fast_options());
    let (looping, fine) = (server.url("/loop-a.xml"), server.url("/fine.xml"));
    add(&core, &[looping.clone(), fine.clone()]);

    let report = sync(&core).await;
    let r = report_for(&report, &looping);
    assert_eq!(r.status, SyncStatus::Error);
    assert!(r.error.as_deref().unwrap().contains("too many redirects"), "{r:?}");
    assert_eq!(report_for(&report, &fine).status, SyncStatus::Ok);
    assert!(server.hits("/loop-a.xml") + server.hits("/loop-b.xml") <= 2 * (fast_options().max_redirects + 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn http_error_statuses_are_recorded_on_the_source_and_do_not_affect_others() {
    let server = TestServer::start().await;
    server.route("/gone.xml", Route::Status(410));
    server.route("/broken.xml", Route::Status(500));
    server.route("/good.xml", Route::body(feed("good", 2), RSS));
    // "/missing.xml" has no route: the server answers 404.
    let (_dir, core) = temp_core(fast_options());
    let failing = [(server.url("/missing.xml"), "404"), (server.url("/gone.xml"), "410"), (server.url("/broken.xml"), "500")];
    let good = server.url("/good.xml");
    let mut urls: Vec<String> = failing.iter().map(|(u, _)| u.clone()).collect();
    urls.insert(1, good.clone());
    add(&core, &urls);

    for round in 1..=2u32 {
        let report = sync(&core).await;
        assert_eq!(report.sources.len(), 4);
        for (url, code) in &failing {
            let r = report_for(&report, url);
            assert_eq!((r.status, r.new, r.updated), (SyncStatus::Error, 0, 0), "{r:?}");
            let error = r.error.as_deref().unwrap();
            assert!(error.contains(code), "error for {url} names HTTP {code}: {error}");
            let source = core.sources().unwrap().into_iter().find(|s| &s.url == url).unwrap();
            assert_eq!(source.last_status, Some(SyncStatus::Error));
            assert_eq!(source.last_error.as_deref(), Some(error));
            assert_eq!(source.consecutive_failures, round, "{url}");
            assert!(source.last_sync_at.is_some());
        }
        let r = report_for(&report, &good);
        assert_eq!((r.status, r.error.as_deref()), (SyncStatus::Ok, None), "{r:?}");
        assert_eq!(r.new, if round == 1 { 2 } else { 0 });
        let source = core.sources().unwrap().into_iter().find(|s| s.url == good).unwrap();
        assert_eq!((source.consecutive_failures, source.last_error), (0, None));
    }
    assert_eq!(articles_of(&core, &good).len(), 2);
    // 404 and 410 are final; 500 is retried (fast_options: 1 retry).
    assert_eq!(server.hits("/missing.xml"), 2);
    assert_eq!(server.hits("/gone.xml"), 2);
    assert_eq!(server.hits("/broken.xml"), 4);

    // A success clears the failure count and the error.
    server.route("/broken.xml", Route::body(feed("repaired", 1), RSS));
    sync(&core).await;
    let source = core.sources().unwrap().into_iter().find(|s| s.url == failing[2].0).unwrap();
    assert_eq!((source.last_status, source.consecutive_failures, source.last_error), (Some(SyncStatus::Ok), 0, None));
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_503_is_honoured_and_the_sync_succeeds() {
    let server = TestServer::start().await;
    server.route("/busy.xml", Route::unavailable(1, "1", Route::body(feed("busy", 2), RSS)));
    let (_dir, core) = temp_core(FetchOptions { retries: 2, ..fast_options() });
    let url = server.url("/busy.xml");
    add(&core, std::slice::from_ref(&url));

    let started = Instant::now();
    let report = sync(&core).await;
    let elapsed = started.elapsed();
    let r = report_for(&report, &url);
    assert_eq!((r.status, r.new, r.error.as_deref()), (SyncStatus::Ok, 2, None), "{r:?}");
    assert_eq!(server.hits("/busy.xml"), 2, "one 503, then the retry");
    assert!(elapsed >= Duration::from_millis(900), "waited for Retry-After: 1 (took {elapsed:?})");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(core.sources().unwrap()[0].consecutive_failures, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn retry_after_beyond_the_limit_fails_the_source_without_waiting() {
    let server = TestServer::start().await;
    server.route("/later.xml", Route::unavailable(usize::MAX, "3600", Route::Status(200)));
    server.route("/fine.xml", Route::body(feed("fine", 1), RSS));
    let (_dir, core) = temp_core(FetchOptions { retries: 3, ..fast_options() });
    let (later, fine) = (server.url("/later.xml"), server.url("/fine.xml"));
    add(&core, &[later.clone(), fine.clone()]);

    let started = Instant::now();
    let report = sync(&core).await;
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    let r = report_for(&report, &later);
    assert_eq!(r.status, SyncStatus::Error);
    assert!(r.error.as_deref().unwrap().contains("3600"), "{r:?}");
    assert_eq!(server.hits("/later.xml"), 1);
    assert_eq!(report_for(&report, &fine).status, SyncStatus::Ok);
}

#[tokio::test(flavor = "multi_thread")]
async fn endless_response_stops_at_the_body_limit() {
    let server = TestServer::start().await;
    server.route("/endless.xml", Route::Endless);
    server.route("/fine.xml", Route::body(feed("fine", 1), RSS));
    let limit = 256 * 1024;
    let (_dir, core) = temp_core(FetchOptions { max_body_bytes: limit, ..fast_options() });
    let (endless, fine) = (server.url("/endless.xml"), server.url("/fine.xml"));
    add(&core, &[endless.clone(), fine.clone()]);

    let started = Instant::now();
    let report = sync(&core).await;
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    let r = report_for(&report, &endless);
    assert_eq!((r.status, r.new), (SyncStatus::Error, 0), "{r:?}");
    let error = r.error.as_deref().unwrap();
    assert!(error.contains("limit") && error.contains(&limit.to_string()), "{error}");
    assert!(articles_of(&core, &endless).is_empty());
    assert_eq!(server.hits("/endless.xml"), 1, "a body over the limit is not retried");
    assert_eq!(report_for(&report, &fine).status, SyncStatus::Ok);
}

#[tokio::test(flavor = "multi_thread")]
async fn declared_length_over_the_limit_is_refused() {
    let server = TestServer::start().await;
    let limit = 64 * 1024;
    server.route("/big.xml", Route::body(format!("{}{}", feed("big", 1), " ".repeat(limit as usize)), RSS));
    let (_dir, core) = temp_core(FetchOptions { max_body_bytes: limit, ..fast_options() });
    let url = server.url("/big.xml");
    add(&core, std::slice::from_ref(&url));

    let r = sync(&core).await.sources.remove(0);
    assert_eq!(r.status, SyncStatus::Error);
    assert!(r.error.as_deref().unwrap().contains(&limit.to_string()), "{r:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn gzip_bomb_stops_at_the_body_limit() {
    let server = TestServer::start().await;
    // ~8 MiB of XML that compresses to a few KiB; the limit is on the decoded body.
    let padding = format!("<!-- {} -->", "x".repeat(8 * 1024 * 1024));
    let body = feed("bomb", 1).replace("<channel>", &format!("<channel>{padding}"));
    server.route("/bomb.xml", Route::body(body, RSS).gzipped());
    let limit = 256 * 1024;
    let (_dir, core) = temp_core(FetchOptions { max_body_bytes: limit, ..fast_options() });
    let url = server.url("/bomb.xml");
    add(&core, std::slice::from_ref(&url));

    let r = sync(&core).await.sources.remove(0);
    assert_eq!(r.status, SyncStatus::Error);
    assert!(r.error.as_deref().unwrap().contains(&limit.to_string()), "{r:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_server_times_out_and_others_still_sync() {
    let server = TestServer::start().await;
    server.route("/slow.xml", Route::slow(Duration::from_secs(5), Route::body(feed("slow", 1), RSS)));
    server.route("/trickle.xml", Route::Trickle);
    server.route("/fine.xml", Route::body(feed("fine", 2), RSS));
    let options = FetchOptions { total_timeout: Duration::from_secs(1), retries: 0, ..fast_options() };
    let (_dir, core) = temp_core(options);
    let (slow, trickle, fine) = (server.url("/slow.xml"), server.url("/trickle.xml"), server.url("/fine.xml"));
    add(&core, &[slow.clone(), trickle.clone(), fine.clone()]);

    let started = Instant::now();
    let report = sync(&core).await;
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(4), "did not wait for the slow server: {elapsed:?}");
    for url in [&slow, &trickle] {
        let r = report_for(&report, url);
        assert_eq!(r.status, SyncStatus::Error, "{r:?}");
        let error = r.error.as_deref().unwrap();
        assert!(error.contains("timed out"), "{url}: {error}");
        let source = core.sources().unwrap().into_iter().find(|s| &s.url == url).unwrap();
        assert_eq!(source.consecutive_failures, 1);
    }
    let r = report_for(&report, &fine);
    assert_eq!((r.status, r.new), (SyncStatus::Ok, 2), "{r:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_host_is_a_connection_error_and_others_still_sync() {
    let server = TestServer::start().await;
    server.route("/fine.xml", Route::body(feed("fine", 1), RSS));
    // A port nobody listens on: bind one, note it, close it.
    let dead = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let (_dir, core) = temp_core(FetchOptions { retries: 0, ..fast_options() });
    let (down, fine) = (format!("http://127.0.0.1:{dead}/feed.xml"), server.url("/fine.xml"));
    add(&core, &[down.clone(), fine.clone()]);

    let report = sync(&core).await;
    let r = report_for(&report, &down);
    assert_eq!(r.status, SyncStatus::Error);
    assert!(r.error.as_deref().unwrap().contains("could not connect"), "{r:?}");
    assert_eq!(report_for(&report, &fine).status, SyncStatus::Ok);
}
