//! CPU time by sync phase (parse, sanitise, store, index), for the benchmark's "CPU ms per
//! article by phase". Off unless `enable` was called (the CLI does when
//! `CALIBER_PHASE_CPU` is set): then each measured step reads its thread's CPU time before
//! and after (`thread_cpu_nanos`; Linux, elsewhere nothing is counted).
//! Steps are measured per source or per batch, not per article, so the reads stay cheap.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

static ENABLED: AtomicBool = AtomicBool::new(false);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Feed documents to items: decoding, XML/JSON parsing, the listing fields.
    Parse,
    /// `sanitize_html` over every body.
    Sanitize,
    /// The writer's transactions: listing rows, pending bodies, sanitised bodies.
    Store,
    /// Text extraction and FTS5 inserts.
    Index,
}

impl Phase {
    pub const ALL: [Phase; 4] = [Phase::Parse, Phase::Sanitize, Phase::Store, Phase::Index];

    pub fn name(self) -> &'static str {
        match self {
            Phase::Parse => "parse",
            Phase::Sanitize => "sanitize",
            Phase::Store => "store",
            Phase::Index => "index",
        }
    }
}

static NANOS: [AtomicU64; 4] = [AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)];

/// Start counting (for the whole process).
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// CPU nanoseconds counted so far, by phase.
pub fn totals() -> [(Phase, u64); 4] {
    Phase::ALL.map(|p| (p, NANOS[p as usize].load(Ordering::Relaxed)))
}

/// Run `work`, counting this thread's CPU time during it under `phase` when enabled.
pub(crate) fn measure<T>(phase: Phase, work: impl FnOnce() -> T) -> T {
    if !ENABLED.load(Ordering::Relaxed) {
        return work();
    }
    let before = thread_cpu_nanos();
    let out = work();
    if let (Some(before), Some(after)) = (before, thread_cpu_nanos()) {
        NANOS[phase as usize].fetch_add(after.saturating_sub(before), Ordering::Relaxed);
    }
    out
}

/// This thread's time on CPU. `CLOCK_THREAD_CPUTIME_ID` brings a running thread's count up
/// to date when asked; its schedstat does not: 200 steps of 2 ms read as 158 ms of the 393
/// they took (2026-12-04), and the sanitising stage's steps are that short.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn thread_cpu_nanos() -> Option<u64> {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: clock_gettime writes one timespec, and `now` is one.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    (status == 0).then(|| now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64)
}

/// This thread's time on CPU, from its schedstat (elsewhere on Linux; coarser, see above).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn thread_cpu_nanos() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}
