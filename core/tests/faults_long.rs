//! The long fault variants, at the defaults the app and CLI use (30 s a request, 2 retries,
//! a 60 s deadline per source): a 1 byte/s drip and a server that never answers. Each
//! would hold a source about 90 s without the deadline (3 attempts × 30 s); the deadline
//! cuts it at 60 s. About two minutes, so not part of `cargo test`: the target is
//! `test = false` in core/Cargo.toml and `tests/proof/faults.sh` runs it.

mod common;
mod measure;

use std::time::Duration;

use common::faults::*;
use common::*;
use measure::{CliCase, measure_cli_cases};

#[test]
fn default_deadline_holds_against_a_drip_and_a_silent_server() {
    let server = TestServer::start_on_thread();
    let silent = RawServer::start_on_thread(RawFault::NeverAnswers);
    server.route("/healthy.xml", Route::body(small_feed("healthy", 3, &server.url("")), RSS));
    server.route("/drip.xml", Route::drip(small_feed("drip", 1, &server.url("")), Duration::from_secs(1)));
    let bound = Duration::from_secs(65);
    let cases = [
        CliCase { fault: "1 byte/s drip (default options)", url: server.url("/drip.xml"), expect: Some("deadline"), wall: bound, rss_mib: 64 },
        CliCase { fault: "accepts, never answers (default options)", url: silent.url("/feed.xml"), expect: Some("deadline"), wall: bound, rss_mib: 64 },
    ];
    let table = measure_cli_cases(&cases, &server.url("/healthy.xml"));
    println!("{table}");
}
