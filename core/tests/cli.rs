//! The `caliber` CLI's contract (flags, exit codes, JSON shapes), exercised by running the
//! real binary against a local HTTP server (on its own thread: the CLI is a child process).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};

use common::*;
use serde_json::Value;

fn caliber(db: &Path, args: &[&str]) -> Output {
    caliber_command(db, args).output().expect("run caliber")
}

/// The CLI on `db`, isolated from the real data dir; more environment may be added.
fn caliber_command(db: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_caliber"));
    command.arg("--db").arg(db).args(args);
    isolate(&mut command);
    command
}

/// Never let a test touch the real data dir, whatever the CLI does with the environment.
fn isolate(command: &mut Command) {
    let scratch = std::env::temp_dir().join("caliber-cli-test-home");
    command.env("HOME", &scratch).env("XDG_DATA_HOME", scratch.join("data")).env_remove("CALIBER_DATA_DIR");
}

fn ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "caliber failed ({}):\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).expect("UTF-8 stdout")
}

/// The whole of stdout must be one JSON document.
fn json(output: &Output) -> Value {
    let stdout = ok(output);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("stdout is not exactly one JSON document ({e}):\n{stdout}"))
}

fn keys(v: &Value) -> BTreeSet<&str> {
    v.as_object().unwrap_or_else(|| panic!("not an object: {v}")).keys().map(String::as_str).collect()
}

fn set<'a>(items: &[&'a str]) -> BTreeSet<&'a str> {
    items.iter().copied().collect()
}

const ARTICLE_KEYS: &[&str] = &[
    "id", "source_url", "url", "title", "summary", "content_html", "author", "categories", "published_at", "image_url",
    "views", "is_breaking", "read", "saved", "guid", "updated_at", "language",
];

/// A server with the RSS 2.0 fixture rewritten so every URL in it (links, images) points
/// at the server itself: the CLI's defaults (full text, pictures) stay on this machine.
fn server() -> TestServer {
    let server = TestServer::start_on_thread();
    let feed = fixture_text("rss2.xml")
        .replace("https://cdn.caliber.example", &server.url(""))
        .replace("https://caliber.example", &server.url(""));
    server.route("/politics.xml", Route::body(feed, RSS));
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    for image in ["/img/forum.jpg", "/img/geneva.jpg", "/img/parliament.jpg"] {
        server.route(image, Route::body(gif.to_vec(), "image/gif"));
    }
    server
}

/// A database with the politics feed and a source that answers 404, synced once.
fn synced(server: &TestServer, dir: &Path) -> (std::path::PathBuf, String) {
    let db = dir.join("caliber.db");
    let feed = server.url("/politics.xml");
    ok(&caliber(&db, &["sources", "add", &feed, &server.url("/missing.xml"), "--kind", "feed"]));
    json(&caliber(&db, &["sync", "--json"]));
    (db, feed)
}

#[test]
fn sources_add_needs_no_network_and_sources_list_json_shows_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("nested/dir/caliber.db");
    // Nothing listens on port 9 of this machine: adding must not try to connect.
    let url = "http://127.0.0.1:9/feed.xml";
    let started = std::time::Instant::now();
    let stdout = ok(&caliber(&db, &["sources", "add", url, "--kind", "feed"]));
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(stdout.trim(), format!("added {url}"));
    assert!(db.exists(), "the database and its directories are created");
    assert_eq!(ok(&caliber(&db, &["sources", "add", url])).trim(), format!("exists {url}"));

    let list = json(&caliber(&db, &["sources", "list", "--json"]));
    let list = list.as_array().expect("an array of sources");
    assert_eq!(list.len(), 1);
    let source = &list[0];
    for key in ["url", "kind", "last_status", "last_error", "consecutive_failures"] {
        assert!(source.get(key).is_some(), "sources list --json has {key:?}: {source}");
    }
    assert_eq!(source["url"], url);
    assert_eq!(source["kind"], "feed");
    assert_eq!(source["last_status"], Value::Null);
    assert_eq!(source["consecutive_failures"], 0);

    let bad = caliber(&db, &["sources", "add", "ftp://example.org/feed.xml"]);
    assert!(!bad.status.success(), "non-http URL refused");
    assert!(String::from_utf8_lossy(&bad.stderr).contains("ftp://example.org/feed.xml"));
}

#[test]
fn sync_json_prints_one_object_and_exits_0_with_a_failing_source() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("caliber.db");
    let (feed, missing) = (server.url("/politics.xml"), server.url("/missing.xml"));
    ok(&caliber(&db, &["sources", "add", &feed, &missing, "--kind", "feed"]));

    let report = json(&caliber(&db, &["sync", "--json"]));
    assert_eq!(keys(&report), set(&["sources"]), "{report}");
    let sources = report["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2);
    for s in sources {
        assert_eq!(keys(s), set(&["url", "status", "new", "updated", "error"]), "{s}");
    }
    let good = sources.iter().find(|s| s["url"] == feed.as_str()).expect("feed reported");
    assert_eq!(*good, serde_json::json!({"url": feed, "status": "ok", "new": 3, "updated": 0, "error": null}));
    let bad = sources.iter().find(|s| s["url"] == missing.as_str()).expect("failing source reported");
    assert_eq!((&bad["status"], &bad["new"], &bad["updated"]), (&Value::from("error"), &Value::from(0), &Value::from(0)));
    assert!(bad["error"].as_str().unwrap().contains("404"), "{bad}");

    let list = json(&caliber(&db, &["sources", "list", "--json"]));
    let failing = list.as_array().unwrap().iter().find(|s| s["url"] == missing.as_str()).unwrap();
    assert_eq!(failing["last_status"], "error");
    assert_eq!(failing["consecutive_failures"], 1);
    assert!(failing["last_error"].as_str().unwrap().contains("404"));

    // A second sync: nothing new, still one JSON object.
    let again = json(&caliber(&db, &["sync", "--json"]));
    let good = again["sources"].as_array().unwrap().iter().find(|s| s["url"] == feed.as_str()).unwrap();
    assert_eq!(good["new"], 0);
}

#[test]
fn articles_json_has_the_contract_keys_and_filters() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let (db, feed) = synced(&server, dir.path());

    let all = json(&caliber(&db, &["articles", "--json"]));
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 3);
    for a in all {
        assert_eq!(keys(a), set(ARTICLE_KEYS), "{a}");
    }
    let forum = &all[0];
    assert_eq!(forum["title"], "Baku hosts regional energy forum", "newest first");
    assert_eq!(forum["source_url"], feed.as_str());
    assert_eq!(forum["url"], server.url("/politics/baku-energy-forum").as_str());
    assert_eq!(forum["published_at"], "2025-06-10T10:30:00Z", "RFC 3339, UTC");
    assert_eq!(forum["categories"], serde_json::json!(["Politics", "Energy"]));
    assert_eq!(forum["author"], "Leyla Mammadova");
    assert_eq!(forum["image_url"], server.url("/img/forum.jpg").as_str());
    assert_eq!((&forum["is_breaking"], &forum["read"], &forum["saved"]), (&Value::Bool(false), &Value::Bool(false), &Value::Bool(false)));
    assert!(forum["id"].is_i64() && forum["content_html"].is_string() && forum["summary"].is_string());

    let limited = json(&caliber(&db, &["articles", "--json", "--limit", "2"]));
    assert_eq!(limited.as_array().unwrap().len(), 2);

    let by_source = json(&caliber(&db, &["articles", "--json", "--source", &feed, "--limit", "10"]));
    assert_eq!(by_source.as_array().unwrap().len(), 3);
    let other = json(&caliber(&db, &["articles", "--json", "--source", &server.url("/missing.xml")]));
    assert_eq!(other, serde_json::json!([]));

    let breaking = json(&caliber(&db, &["articles", "--json", "--breaking", "--source", &feed, "--limit", "5"]));
    let breaking = breaking.as_array().unwrap();
    assert_eq!(breaking.len(), 1);
    assert_eq!(breaking[0]["title"], "BREAKING: Ceasefire talks resume in Geneva");
    assert_eq!(breaking[0]["is_breaking"], true);
    assert_eq!(breaking[0]["published_at"], "2025-06-10T04:15:00Z");
}

/// `articles` reads and prints a page at a time (200 articles), so an export of a whole
/// database holds one page in memory. A list longer than two pages must still come out
/// whole: newest first, every article once, where articles published in the same second
/// straddle a page's end, and `--limit` must stop it at exactly that many.
#[test]
fn articles_longer_than_a_page_come_out_whole_in_order_and_limited() {
    let server = server();
    let start = utc("2025-11-01T08:00:00Z");
    // Three items a minute: ties on the time at every page's end.
    let items: Vec<(String, String, String, String)> = (0..450)
        .map(|i| (format!("long-{i}"), format!("Long item {i}"), format!("<p>Body of item {i}.</p>"), (start + chrono::Duration::minutes(i / 3)).to_rfc2822()))
        .collect();
    let items: Vec<(&str, &str, &str, &str)> = items.iter().map(|(g, t, b, d)| (g.as_str(), t.as_str(), b.as_str(), d.as_str())).collect();
    server.route("/long.xml", Route::body(rss("Long", &items).replace("https://gen.example", &server.url("")), RSS));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("caliber.db");
    ok(&caliber(&db, &["sources", "add", &server.url("/long.xml"), "--kind", "feed"]));
    json(&caliber(&db, &["sync", "--json", "--no-images"]));

    let all = json(&caliber(&db, &["articles", "--json", "--limit", "1000"]));
    let all = all.as_array().unwrap();
    let order: Vec<(String, i64)> = all.iter().map(|a| (a["published_at"].as_str().unwrap().to_owned(), a["id"].as_i64().unwrap())).collect();
    assert_eq!(order.len(), 450, "every article once");
    assert!(order.windows(2).all(|w| w[0] > w[1]), "newest first, ties by id, none repeated: {order:?}");

    let limited = json(&caliber(&db, &["articles", "--json", "--limit", "401"]));
    assert_eq!(limited.as_array().unwrap()[..], all[..401], "--limit 401 is the list's first 401");

    let table = ok(&caliber(&db, &["articles", "--limit", "1000"]));
    let ids: Vec<i64> = table.lines().skip(1).map(|l| l.split_whitespace().next().unwrap().parse().unwrap()).collect();
    assert_eq!(ids, order.iter().map(|(_, id)| *id).collect::<Vec<_>>(), "the table lists the same articles in the same order");
}

/// A full disk under the output (here `/dev/full`, which refuses every write) ends each
/// command with that error and exit status 1, as any other error, not with a panic and its
/// backtrace (exit 101); and what the command did stays done: a sync whose report could not
/// be written still stored its articles.
#[cfg(target_os = "linux")]
#[test]
fn output_to_a_full_disk_is_a_clear_error_and_the_work_stays_done() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("caliber.db");
    let feed = server.url("/politics.xml");
    ok(&caliber(&db, &["sources", "add", &feed, "--kind", "feed"]));
    let to_full_disk = |args: &[&str]| {
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        let output = caliber_command(&db, args).stdout(full).output().expect("run caliber");
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains("No space left on device") && !stderr.contains("panicked"), "{args:?}: {stderr}");
    };
    to_full_disk(&["sync", "--no-images"]);
    let stored = json(&caliber(&db, &["articles", "--json"]));
    assert_eq!(stored.as_array().unwrap().len(), 3, "the sync stored its articles though its report was lost");
    to_full_disk(&["sync", "--json", "--no-images"]);
    let id = stored[0]["id"].as_i64().unwrap().to_string();
    for args in [
        &["articles"][..], &["articles", "--json"], &["search", "geneva"], &["search", "geneva", "--json"], &["show", &id],
        &["show", &id, "--json"], &["sources", "list"], &["sources", "list", "--json"], &["sources", "export"],
        &["editions", "list"], &["images", "stats"], &["mark", &id, "--read"],
    ] {
        to_full_disk(args);
    }
    let marked = json(&caliber(&db, &["show", &id, "--json"]));
    assert_eq!(marked["read"], true, "the mark was set though its confirmation was lost");
}

#[test]
fn search_json_and_mark_read_saved() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let (db, _feed) = synced(&server, dir.path());

    let hits = json(&caliber(&db, &["search", "geneva", "--json"]));
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 1);
    let mut expected = set(ARTICLE_KEYS);
    expected.insert("snippet");
    assert_eq!(keys(&hits[0]), expected, "{}", hits[0]);
    assert_eq!(hits[0]["title"], "BREAKING: Ceasefire talks resume in Geneva");
    assert!(hits[0]["snippet"].as_str().unwrap().contains("[Geneva]"), "{}", hits[0]["snippet"]);

    for query in ["\"Baku AND (", "-*", "NEAR("] {
        let output = caliber(&db, &["search", query, "--json"]);
        assert!(json(&output).is_array(), "{query}");
    }

    let id = hits[0]["id"].as_i64().unwrap().to_string();
    ok(&caliber(&db, &["mark", &id, "--read", "--save"]));
    let all = json(&caliber(&db, &["articles", "--json"]));
    let marked = all.as_array().unwrap().iter().find(|a| a["id"].as_i64().unwrap().to_string() == id).unwrap();
    assert_eq!((&marked["read"], &marked["saved"]), (&Value::Bool(true), &Value::Bool(true)));
    let others = all.as_array().unwrap().iter().filter(|a| a["id"].as_i64().unwrap().to_string() != id);
    assert!(others.into_iter().all(|a| a["read"] == false && a["saved"] == false));

    let saved = json(&caliber(&db, &["articles", "--json", "--saved"]));
    assert_eq!(saved.as_array().unwrap().len(), 1);

    let missing = caliber(&db, &["mark", "999999", "--read"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("999999"));
}

#[test]
fn caliber_data_dir_holds_the_database_when_db_is_absent() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data dir");
    let url = "http://127.0.0.1:9/feed.xml";
    let run = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_caliber"));
        isolate(&mut command);
        command.env("CALIBER_DATA_DIR", &data_dir).args(args);
        command.output().expect("run caliber")
    };

    assert_eq!(ok(&run(&["sources", "add", url, "--kind", "feed"])).trim(), format!("added {url}"));
    assert!(data_dir.join("caliber.db").is_file(), "CALIBER_DATA_DIR/caliber.db created");
    let list = json(&run(&["sources", "list", "--json"]));
    assert_eq!(list[0]["url"], url);
    // --db wins over the variable.
    let elsewhere = dir.path().join("other.db");
    let mut command = Command::new(env!("CARGO_BIN_EXE_caliber"));
    isolate(&mut command);
    let output = command.env("CALIBER_DATA_DIR", &data_dir).arg("--db").arg(&elsewhere).args(["sources", "list", "--json"]).output().unwrap();
    assert_eq!(json(&output), serde_json::json!([]));
}

/// `caliber search x | head`: the CLI's output closed under it ends it without a panic.
#[test]
fn a_reader_that_stops_reading_ends_the_cli_quietly() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = synced(&server, dir.path());
    for args in [&["articles"][..], &["search", "geneva"], &["sources", "list"]] {
        // The reading end is closed before the CLI starts: its first line meets a closed pipe.
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let output = caliber_command(&db, args).stdout(writer).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{args:?} panicked on a closed stdout: {stderr}");
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            // 13: SIGPIPE, the signal a Unix tool ends by when its reader is gone.
            assert!(output.status.success() || output.status.signal() == Some(13), "{args:?}: {:?}", output.status);
        }
    }
}

/// What a feed (or an older build) left in the database never reaches the terminal as
/// control characters: the tables print titles, snippets and errors without them.
#[test]
fn table_output_never_prints_control_characters() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let (db, _) = synced(&server, dir.path());
    let hostile = "Geneva\u{1b}]52;c;ZXZpbA==\u{7} talks\u{1b}[2J\u{2}x\u{3}\nnext";
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute("UPDATE articles SET title = ?1, author = ?1, categories = json_array(?1)", [hostile]).unwrap();
    conn.execute("UPDATE sources SET last_error = ?1", [hostile]).unwrap();
    let id: i64 = conn.query_row("SELECT min(id) FROM articles", [], |r| r.get(0)).unwrap();
    drop(conn);

    for args in [&["articles"][..], &["search", "geneva"], &["show", &id.to_string()], &["sources", "list"]] {
        let stdout = ok(&caliber(&db, args));
        assert!(stdout.contains("Geneva]52;c;ZXZpbA== talks[2Jx next"), "{args:?}: {stdout:?}");
        let controls: Vec<char> = stdout.chars().filter(|c| c.is_control() && *c != '\n').collect();
        assert!(controls.is_empty(), "{args:?} printed {controls:?}: {stdout:?}");
    }
}

/// One bad outline no longer costs the whole file: the good ones are added, the others
/// named on stderr. A file that is not OPML at all is still refused.
#[test]
fn sources_import_adds_the_good_outlines_and_names_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("caliber.db");
    let opml = dir.path().join("mixed.opml");
    std::fs::write(
        &opml,
        r#"<?xml version="1.0"?><opml version="2.0"><body><outline text="Folder">
            <outline text="Good" xmlUrl="https://good.example/rss.xml"/>
            <outline text="Script" xmlUrl="javascript:alert(1)"/>
            <outline text="Garbled" xmlUrl="not a url"/>
            <outline text="Empty one" xmlUrl=""/></outline>
            <outline text="Also good" xmlUrl="http://also.example/atom"/></body></opml>"#,
    )
    .unwrap();
    let output = caliber(&db, &["sources", "import", opml.to_str().unwrap()]);
    let stdout = ok(&output);
    assert_eq!(stdout.lines().collect::<Vec<_>>(), ["added https://good.example/rss.xml", "added http://also.example/atom"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    for named in ["javascript:alert(1)", "not a url", "Empty one"] {
        assert!(stderr.lines().any(|l| l.starts_with("skipped ") && l.contains(named)), "{named} not reported: {stderr}");
    }
    assert_eq!(json(&caliber(&db, &["sources", "list", "--json"])).as_array().unwrap().len(), 2);

    let html = dir.path().join("page.html");
    std::fs::write(&html, "<html><body>hello</body></html>").unwrap();
    let refused = caliber(&db, &["sources", "import", html.to_str().unwrap()]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("not an OPML file"), "{refused:?}");
}

/// The CLI shows an edition followed by the same rule as the app: any of its sources (feed
/// or listing page) is followed. It used to look only at the listing page, so the Russian
/// edition followed through its feed alone was listed as not followed.
#[test]
fn editions_list_shows_an_edition_followed_through_its_feed_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("caliber.db");
    ok(&caliber(&db, &["sources", "add", "https://caliber.az/rss.xml"]));
    let rows = json(&caliber(&db, &["editions", "list", "--json"]));
    let followed: Vec<&str> =
        rows.as_array().unwrap().iter().filter(|r| r["followed"] == true).map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(followed, ["ru"]);
}

#[test]
fn without_the_systems_certificates_the_cli_still_reads_and_syncs_http_and_says_why_https_fails() {
    // An empty certificate store (a minimal container, a broken ca-certificates): building
    // the HTTP client failed, so every command failed, even those that need no network.
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("no-certs");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::write(empty.join("none.pem"), "").unwrap();
    let db = dir.path().join("caliber.db");
    let run = |args: &[&str]| {
        let mut command = caliber_command(&db, args);
        command.env("SSL_CERT_FILE", empty.join("none.pem")).env("SSL_CERT_DIR", &empty);
        command.output().expect("run caliber")
    };
    let feed = server.url("/politics.xml");
    let secure = "https://127.0.0.1:9/feed.xml";
    ok(&run(&["sources", "add", &feed, secure, "--kind", "feed"]));
    assert_eq!(json(&run(&["sources", "list", "--json"])).as_array().unwrap().len(), 2);

    let report = json(&run(&["sync", "--json"]));
    let sources = report["sources"].as_array().unwrap();
    let plain = sources.iter().find(|s| s["url"] == feed.as_str()).unwrap();
    assert_eq!((&plain["status"], &plain["new"]), (&Value::from("ok"), &Value::from(3)), "{plain}");
    let https = sources.iter().find(|s| s["url"] == secure).unwrap();
    assert_eq!(https["status"], "error");
    let error = https["error"].as_str().unwrap();
    assert!(error.contains("no trusted certificates") && error.contains("ca-certificates"), "{error}");
    assert_eq!(json(&run(&["articles", "--json"])).as_array().unwrap().len(), 3);
}

/// The certificate store is read by the first https request, not by every start nor by
/// every sync: the app's launch spent 24 ms loading it on its main thread before the window
/// existed, commands that need no network paid it too, and a sync of http sources read it
/// twice (about 4.5 ms of a one-feed sync's 10.5 on one CPU). A FIFO as the store blocks
/// whoever opens it, so a command that still loaded it would never finish.
#[cfg(unix)]
#[test]
fn commands_without_the_network_and_syncs_of_http_sources_never_read_the_certificate_store() {
    let server = server();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("caliber.db");
    let fifo = dir.path().join("certs.pem");
    assert!(Command::new("mkfifo").arg(&fifo).status().expect("mkfifo").success());
    ok(&caliber(&db, &["sources", "add", &server.url("/politics.xml"), "--kind", "feed"]));
    let finished = |args: &[&str]| {
        let mut child = caliber_command(&db, args)
            .env("SSL_CERT_FILE", &fifo)
            .env("SSL_CERT_DIR", dir.path().join("none"))
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("run caliber");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while child.try_wait().unwrap().is_none() {
            if std::time::Instant::now() > deadline {
                child.kill().unwrap();
                panic!("`caliber {}` blocked reading the certificate store", args.join(" "));
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{out:?}");
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    assert_eq!(finished(&["sources", "list", "--json"]).as_array().unwrap().len(), 1);
    let report = finished(&["sync", "--json"]);
    let source = &report["sources"][0];
    assert_eq!((&source["status"], &source["new"]), (&Value::from("ok"), &Value::from(3)), "{report}");
    assert_eq!(finished(&["articles", "--json"]).as_array().unwrap().len(), 3);
}

/// A feed over TLS on 127.0.0.1 with the test certificate (`fixtures/tls`, signed by its
/// `ca.pem`), the same document at every path; returns the server's origin.
fn tls_server() -> String {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use std::io::{Read, Write};

    let certs = CertificateDer::pem_file_iter(fixture_path("tls/server.pem")).unwrap().collect::<Result<Vec<_>, _>>().unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture_path("tls/server.key")).unwrap();
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let config = std::sync::Arc::new(config);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("https://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let feed = fixture_text("rss2.xml").replace("https://cdn.caliber.example", &origin).replace("https://caliber.example", &origin);
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (config, feed) = (config.clone(), feed.clone());
            std::thread::spawn(move || {
                let mut tls = rustls::StreamOwned::new(rustls::ServerConnection::new(config).unwrap(), stream);
                let mut request = Vec::new();
                let mut chunk = [0u8; 4096];
                // A client that refuses the certificate ends the handshake: the read fails.
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut chunk) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&chunk[..n]),
                    }
                }
                let head = format!("HTTP/1.1 200 OK\r\nContent-Type: {RSS}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", feed.len());
                let _ = tls.write_all(head.as_bytes()).and_then(|()| tls.write_all(feed.as_bytes()));
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    origin
}

#[test]
fn an_https_source_syncs_when_the_systems_certificates_trust_its_server_and_fails_when_they_do_not() {
    let origin = tls_server();
    let feed = format!("{origin}/politics.xml");
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("no-certs");
    std::fs::create_dir_all(&empty).unwrap();
    let sync_trusting = |ca: &str, db: &Path| {
        ok(&caliber(db, &["sources", "add", &feed, "--kind", "feed"]));
        let mut command = caliber_command(db, &["sync", "--json", "--no-images"]);
        command.env("SSL_CERT_FILE", fixture_path(&format!("tls/{ca}"))).env("SSL_CERT_DIR", &empty);
        json(&command.output().expect("run caliber"))
    };

    let trusted = dir.path().join("trusted.db");
    let report = sync_trusting("ca.pem", &trusted);
    let source = &report["sources"][0];
    assert_eq!((&source["status"], &source["new"]), (&Value::from("ok"), &Value::from(3)), "{report}");
    assert_eq!(json(&caliber(&trusted, &["articles", "--json"])).as_array().unwrap().len(), 3);

    // Signed by a CA the system does not trust: refused, with the reason, and nothing stored.
    let untrusted = dir.path().join("untrusted.db");
    let report = sync_trusting("other-ca.pem", &untrusted);
    let source = &report["sources"][0];
    assert_eq!(source["status"], "error", "{report}");
    let error = source["error"].as_str().unwrap();
    assert!(error.contains("certificate") && error.contains("UnknownIssuer"), "{error}");
    assert_eq!(json(&caliber(&untrusted, &["articles", "--json"])).as_array().unwrap().len(), 0);
}
