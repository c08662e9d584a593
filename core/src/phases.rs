//! CPU time by sync phase (parse, sanitise, store, index), for the benchmark's "CPU ms per
//! article by phase". Off unless `enable` was called (the CLI does when
//! `CALIBER_PHASE_CPU` is set): then each measured step reads its thread's CPU time from
//! `/proc/thread-self/schedstat` before and after (Linux; elsewhere nothing is counted).
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

/// This thread's time on CPU (the first field of its schedstat).
fn thread_cpu_nanos() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}
