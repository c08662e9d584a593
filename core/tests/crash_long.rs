//! Crash safety, the long runs: 100 SIGKILLs of `caliber sync` over the benchmark corpus,
//! and SIGKILLs of the real app while it syncs. `test = false` (Cargo.toml): run only when
//! named, by `tests/proof/crash.sh` (the 3 app kills of `./dev test` are `crash.rs`).

mod crash_harness;

use crash_harness::*;

/// The proof run: 100 kills over the benchmark corpus (tests/proof/crash.sh).
#[test]
fn cli_kills_full() {
    let shape = Shape {
        feeds: env_usize("CALIBER_CRASH_FEEDS", BENCH_FEEDS),
        window: env_usize("CALIBER_CRASH_WINDOW", 40),
        new_per_gen: env_usize("CALIBER_CRASH_NEW", 3),
        revise_every: 25,
    };
    let figures = run_cli_kills(env_usize("CALIBER_CRASH_KILLS", 100), shape);
    figures.report();
    assert!(figures.failures.is_empty(), "{:#?}", figures.failures);
}

/// SIGKILLs while the real app syncs (tests/proof/crash.sh; `CALIBER_CRASH_KILLS`).
#[test]
fn app_kills() {
    let shape = Shape {
        feeds: env_usize("CALIBER_CRASH_FEEDS", 20),
        window: env_usize("CALIBER_CRASH_WINDOW", 60),
        new_per_gen: env_usize("CALIBER_CRASH_NEW", 3),
        revise_every: 25,
    };
    let figures = run_app_kills(env_usize("CALIBER_CRASH_KILLS", 20), shape);
    figures.report();
    assert!(figures.failures.is_empty(), "{:#?}", figures.failures);
}
