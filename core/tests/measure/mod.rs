//! Runs the real `caliber` CLI against fault routes in child processes and measures each
//! run: wall time, and peak resident set from the rusage wait4(2) returns for it.

use std::time::{Duration, Instant};

/// A fault as the CLI meets it: which source URL, the outcome expected in its error (or
/// `None` for a source that syncs), and the bounds.
pub struct CliCase {
    pub fault: &'static str,
    pub url: String,
    pub expect: Option<&'static str>,
    pub wall: Duration,
    pub rss_mib: u64,
}

/// Run each case (fault + healthy source, one `sync`), check it, and return the table.
pub fn measure_cli_cases(cases: &[CliCase], healthy: &str) -> String {
    let mut table = String::from("| fault | outcome | wall | peak RSS |\n|---|---|---|---|\n");
    let mut failures = Vec::new();
    for case in cases {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("caliber.db");
        let mut urls = vec![case.url.clone()];
        if case.url != healthy {
            urls.push(healthy.to_owned());
        }
        let mut add = cli(&db);
        add.args(["sources", "add"]).args(&urls);
        let added = add.output().expect("caliber sources add");
        assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));

        let mut sync = cli(&db);
        sync.args(["sync", "--json", "--no-images"]);
        let (stdout, wall, peak_kib) = run_measured(sync);
        let json: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{}: not JSON ({e}): {stdout}", case.fault));
        let sources = json["sources"].as_array().expect("sources");
        let find = |url: &str| sources.iter().find(|s| s["url"] == url).unwrap_or_else(|| panic!("{url} not in {json}"));
        let fault = find(&case.url);
        let outcome = match fault["error"].as_str() {
            Some(e) if fault["status"] == "error" => format!("error: {}", e.replace(&case.url, "URL")),
            Some(note) => format!("{} new; note: {}", fault["new"], note.replace(&case.url, "URL")),
            None => format!("{}, {} new", fault["status"].as_str().unwrap_or("?"), fault["new"]),
        };
        let peak_mib = peak_kib as f64 / 1024.0;
        table.push_str(&format!("| {} | {} | {:.2} s | {:.1} MiB |\n", case.fault, outcome.replace('|', "\\|"), wall.as_secs_f64(), peak_mib));
        match case.expect {
            Some(text) if !(fault["status"] == "error" && outcome.contains(text)) => {
                failures.push(format!("{}: expected an error with {text:?}, got {outcome}", case.fault))
            }
            None if fault["status"] != "ok" => failures.push(format!("{}: expected ok, got {outcome}", case.fault)),
            _ => {}
        }
        if case.url != healthy {
            let h = find(healthy);
            if h["status"] != "ok" || h["new"] != 3 {
                failures.push(format!("{}: the healthy source did not sync: {h}", case.fault));
            }
        }
        if wall >= case.wall {
            failures.push(format!("{}: {:.2} s, over its bound of {:?}", case.fault, wall.as_secs_f64(), case.wall));
        }
        if peak_mib >= case.rss_mib as f64 {
            failures.push(format!("{}: peak RSS {peak_mib:.1} MiB, over its bound of {} MiB", case.fault, case.rss_mib));
        }
    }
    assert!(failures.is_empty(), "{}\n{table}", failures.join("\n"));
    table
}

fn cli(db: &std::path::Path) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_caliber"));
    let scratch = std::env::temp_dir().join("caliber-faults-test-home");
    command.arg("--db").arg(db).env("HOME", &scratch).env("XDG_DATA_HOME", scratch.join("data")).env_remove("CALIBER_DATA_DIR");
    command
}

/// Run `caliber` to completion: its stdout, wall time and peak resident set in KiB.
///
/// The peak is `ru_maxrss` from wait4(2), but not for a child of this process: Linux keeps
/// the high-water mark of the memory a process had before `execve`, and a child of the
/// test process starts from the test process's own (hundreds of MiB, the fault bodies it
/// serves). So a small Python process (python3 is already a test dependency, see ./dev)
/// forks and execs `caliber` and reports that grandchild's rusage; the floor is Python's
/// RSS at fork, ~10 MiB, below what the CLI itself uses.
fn run_measured(command: std::process::Command) -> (String, Duration, i64) {
    const WAITER: &str = "import os, sys\n\
pid = os.fork()\n\
if pid == 0:\n    os.execv(sys.argv[1], sys.argv[1:])\n\
_, status, usage = os.wait4(pid, 0)\n\
sys.stderr.write('\\ncaliber-maxrss-kib=%d\\n' % usage.ru_maxrss)\n\
sys.exit(os.waitstatus_to_exitcode(status))\n";
    let mut waiter = std::process::Command::new("python3");
    waiter.arg("-c").arg(WAITER).arg(command.get_program()).args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => waiter.env(key, value),
            None => waiter.env_remove(key),
        };
    }
    let started = Instant::now();
    let output = waiter.output().expect("run python3 (the waiter that measures caliber)");
    let wall = started.elapsed();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "caliber sync failed ({}): {stderr}\n{stdout}", output.status);
    let peak_kib = stderr
        .lines()
        .find_map(|l| l.strip_prefix("caliber-maxrss-kib="))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no rusage from the waiter: {stderr}"));
    (stdout, wall, peak_kib)
}
