//! A throw-away PostgreSQL server for one test: Debian's `postgresql` binaries, a fresh
//! cluster in a temp dir listening on 127.0.0.1 at a free port, stopped and deleted on drop
//! (also when the test panics). The server refuses to run as root, so as root the cluster
//! belongs to the `postgres` user and its commands run through `runuser -u postgres --`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use super::free_port;

pub struct TestPostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_root: bool,
    pub port: u16,
}

/// The newest /usr/lib/postgresql/N/bin (or $PG_BIN).
fn bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return dir.into();
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (apt-get install postgresql; ./dev test does it)")
        .filter_map(|e| e.ok())
        .filter_map(|e| Some((e.file_name().to_str()?.parse().ok()?, e.path().join("bin"))))
        .filter(|(_, bin): &(u32, PathBuf)| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop().expect("a PostgreSQL server under /usr/lib/postgresql/N/bin").1
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("id runs");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

impl TestPostgres {
    pub fn start() -> Self {
        let started = Instant::now();
        let bin = bin_dir();
        let as_root = is_root();
        let dir = tempfile::Builder::new().prefix("caliber-pg-").tempdir().unwrap();
        if as_root {
            let status = Command::new("chown").args(["postgres:postgres", dir.path().to_str().unwrap()]).status().unwrap();
            assert!(status.success(), "chown the cluster's dir to postgres");
        }
        let pg = Self { dir, bin, as_root, port: free_port() };
        let data = pg.data();
        pg.run("initdb", &["-D", data.to_str().unwrap(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"]);
        let options = format!(
            "-k {} -p {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB",
            pg.dir.path().display(),
            pg.port
        );
        let log = pg.dir.path().join("server.log");
        pg.run("pg_ctl", &["start", "-w", "-t", "60", "-D", data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-o", &options]);
        eprintln!("test PostgreSQL on 127.0.0.1:{} ready in {:?}", pg.port, started.elapsed());
        pg
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        if self.as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(path);
            c
        } else {
            Command::new(path)
        }
    }

    fn run(&self, program: &str, args: &[&str]) {
        let out = self.command(program).args(args).stdin(Stdio::null()).output().unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?} failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
        );
    }

    /// A new, empty database on this server; its URL.
    pub fn database(&self, name: &str) -> String {
        let port = self.port.to_string();
        self.run("psql", &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-d", "postgres", "-q", "-c", &format!("CREATE DATABASE {name}")]);
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Run SQL (as the superuser) in `database`; the output, unaligned.
    pub fn sql(&self, database: &str, sql: &str) -> String {
        let port = self.port.to_string();
        let out = self
            .command("psql")
            .args(["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-d", database, "-At", "-c", sql])
            .output()
            .unwrap();
        assert!(out.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self
            .command("pg_ctl")
            .args(["stop", "-m", "immediate", "-w", "-D", data.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        // The TempDir removes the cluster (root may; as a user, it is ours).
    }
}
