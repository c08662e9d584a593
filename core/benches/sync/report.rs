//! Statistics, the table (text and markdown), the machine and its load.

use super::*;

// ---------------------------------------------------------------------------------------

#[derive(Clone, Copy)]
pub(crate) struct Stats {
    pub(crate) median: f64,
    pub(crate) min: f64,
    pub(crate) max: f64,
}

pub(crate) fn stats(values: &[f64]) -> Stats {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 };
    Stats { median, min: v[0], max: v[n - 1] }
}

/// Nearest-rank percentile of sorted values.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub(crate) fn fmt_ms(v: f64) -> String {
    if v >= 10_000.0 {
        format!("{:.1} s", v / 1000.0)
    } else if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

pub(crate) fn fmt_pct(p: f64) -> String {
    if p >= 1.0 { format!("{p:.0}") } else { format!("{p:.3}") }
}

pub(crate) fn fmt_mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

pub(crate) struct Table {
    pub(crate) header: Vec<String>,
    pub(crate) rows: Vec<Vec<String>>,
}

impl Table {
    pub(crate) fn new(header: &[&str]) -> Self {
        Table { header: header.iter().map(|s| s.to_string()).collect(), rows: Vec::new() }
    }
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }
    pub(crate) fn text(&self) -> String {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|i| self.rows.iter().map(|r| r[i].chars().count()).chain([self.header[i].chars().count()]).max().unwrap_or(0))
            .collect();
        let line = |cells: &[String]| {
            cells.iter().enumerate().map(|(i, c)| format!("{c:<w$}", w = widths[i])).collect::<Vec<_>>().join("  ").trim_end().to_owned()
        };
        let mut out = line(&self.header) + "\n";
        out += &widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  ");
        out.push('\n');
        for r in &self.rows {
            out += &line(r);
            out.push('\n');
        }
        out
    }
    pub(crate) fn markdown(&self) -> String {
        let mut out = format!("| {} |\n", self.header.join(" | "));
        out += &format!("|{}\n", self.header.iter().map(|_| "---|").collect::<String>());
        for r in &self.rows {
            out += &format!("| {} |\n", r.iter().map(|c| c.replace('|', "\\|")).collect::<Vec<_>>().join(" | "));
        }
        out
    }
}

pub(crate) fn verdict(pass: bool) -> String {
    if pass { "PASS".into() } else { "FAIL".into() }
}

pub(crate) fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    // target/<profile>/deps/sync-<hash>
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .filter(|p| p.join("CACHEDIR.TAG").exists())
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// The `caliber` measured: `CALIBER_BENCH_CALIBER` (`./dev bench` sets it to the CLI as
/// `./dev cli` builds it), else the one cargo built with this bench. That one has the
/// features the tests turn on (the reference sanitiser linked in), so a profile made from
/// the shipped CLI does not fit its code: measured so, profile-guided builds gained nothing
/// (BENCHMARKS.md, "profile-guided optimisation").
pub(crate) fn caliber_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("CALIBER_BENCH_CALIBER") {
        return PathBuf::from(path);
    }
    match option_env!("CARGO_BIN_EXE_caliber") {
        Some(path) => PathBuf::from(path),
        None => target_dir().join("release/caliber"),
    }
}

pub(crate) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| c.lines().find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| m.lines().next().and_then(|l| l.split_whitespace().nth(1)).and_then(|k| k.parse::<u64>().ok()))
        .map_or(String::new(), |kib| format!(", {:.0} GiB RAM", kib as f64 / 1024.0 / 1024.0));
    format!("{cores} cores, {cpu}{mem}, scratch files on {}; {}", scratch_file_system(), release_profile())
}

/// Which `caliber` was measured, and whether it was built with a profile. A CLI given by
/// `CALIBER_BENCH_CALIBER` was built apart from this bench, so only whoever built it can say
/// (`./dev bench` sets `CALIBER_BENCH_CALIBER_PROFILE` to the profile, or `none`); the one
/// cargo built here had this bench's `RUSTFLAGS`.
fn release_profile() -> String {
    let file_name = |path: &str| Path::new(path).file_name().map_or(path.to_owned(), |n| n.to_string_lossy().into_owned());
    if std::env::var_os("CALIBER_BENCH_CALIBER").is_some() {
        return match std::env::var("CALIBER_BENCH_CALIBER_PROFILE").ok().filter(|p| !p.is_empty()) {
            Some(p) if p == "none" => "the CLI as shipped, built without a profile".into(),
            Some(p) => format!("the CLI as shipped, profile-guided ({})", file_name(&p)),
            None => "a CLI built apart from the bench (CALIBER_BENCH_CALIBER), its profile not named (CALIBER_BENCH_CALIBER_PROFILE)".into(),
        };
    }
    let flags = std::env::var("RUSTFLAGS").unwrap_or_default();
    match flags.split_whitespace().find_map(|f| f.strip_prefix("-Cprofile-use=")) {
        Some(path) => format!("the CLI cargo built for this bench, profile-guided ({})", file_name(path)),
        None => "the CLI cargo built for this bench, built without a profile (./dev bench builds with one)".into(),
    }
}

/// The file system the databases and newsboat's caches are written to (`TMPDIR`): newsboat
/// syncs its cache to disk after each feed, so on ext4 its cold runs took up to twice as
/// long as on tmpfs, and the ratios moved with them (BENCHMARKS.md, 2026-12-04 afternoon).
fn scratch_file_system() -> String {
    let dir = std::env::temp_dir();
    let dir = dir.canonicalize().unwrap_or(dir);
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    mounts
        .lines()
        .filter_map(|line| {
            let mut fields = line.split_whitespace().skip(1);
            Some((fields.next()?, fields.next()?))
        })
        .filter(|(mount_point, _)| dir.starts_with(mount_point))
        .max_by_key(|(mount_point, _)| mount_point.len())
        .map_or_else(|| "an unknown file system".to_owned(), |(mount_point, fs)| format!("{fs} ({} under {mount_point})", dir.display()))
}

pub(crate) fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg").unwrap_or_default().split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

pub(crate) fn log(t0: Instant, msg: impl AsRef<str>) {
    eprintln!("[{:>6.1}s] {}", t0.elapsed().as_secs_f64(), msg.as_ref());
}

