//! `CALIBER_BENCH_ONLY=text`: what sanitising and the index's text cost per article, on
//! one thread, without a sync around them (for work on `sanitize.rs` and the index's
//! text; a whole sync's spread on this machine hides a few per cent).

use std::time::Instant;

use super::*;

/// Articles of each shape measured, and passes over them (the median is reported).
const ARTICLES: usize = 2000;
const PASSES: usize = 7;

pub(crate) fn text_bench(t0: Instant) {
    let vocab = Vocab::new();
    let mut table = Table::new(&["shape", "articles (body MiB)", "sanitise, ms per 1,000", "index text, ms per 1,000", "folded words, ms per 1,000", "index tokens, builtin / table, ms per 1,000"]);
    for shape in [CorpusShape::Today, CorpusShape::Mixed] {
        let corpus = generate_shape(&vocab, "http://127.0.0.1:9", shape, ARTICLES);
        let items: Vec<(String, String, String)> = corpus
            .docs
            .iter()
            .flat_map(|doc| caliber_core::fuzzing::feed_bodies(&doc.body, &format!("http://127.0.0.1:9/{}", doc.name)).expect("generated feeds parse"))
            .collect();
        let bytes: usize = items.iter().map(|(_, _, body)| body.len()).sum();
        let clean: Vec<String> = items.iter().map(|(_, _, body)| caliber_core::fuzzing::sanitize(body)).collect();
        let texts: Vec<(String, String)> = items
            .iter()
            .zip(&clean)
            .map(|((_, summary, _), body)| (caliber_core::fuzzing::index_text(summary), caliber_core::fuzzing::index_text(body)))
            .collect();
        let per_thousand = |ms: f64| ms * 1000.0 / items.len() as f64;
        let sanitise = median_ms(|| clean_all(&items));
        let text = median_ms(|| clean.iter().map(|html| caliber_core::fuzzing::index_text(html).len()).sum());
        let folded = median_ms(|| {
            items.iter().zip(&texts).map(|((title, _, _), (summary, body))| caliber_core::fuzzing::folded_words(&[title, summary, body]).len()).sum()
        });
        // What FTS5's tokenizer gets of each article: title, summary and body text.
        let columns: Vec<&str> = items.iter().zip(&texts).flat_map(|((title, _, _), (summary, body))| [title.as_str(), summary, body]).collect();
        let tokens = caliber_core::fuzzing::index_token_count(false, &columns);
        assert_eq!(caliber_core::fuzzing::index_token_count(true, &columns), tokens, "the table tokenizer makes the builtin's tokens");
        let builtin_tokens = median_ms(|| caliber_core::fuzzing::index_token_count(false, &columns));
        let table_tokens = median_ms(|| caliber_core::fuzzing::index_token_count(true, &columns));
        log(
            t0,
            format!(
                "text {}: {} articles, sanitise {sanitise:.1} ms, index text {text:.1} ms, folded {folded:.1} ms, tokens {tokens} builtin {builtin_tokens:.1} ms table {table_tokens:.1} ms",
                shape.name(),
                items.len()
            ),
        );
        table.row(vec![
            shape.name().into(),
            format!("{} ({:.1} MiB)", items.len(), bytes as f64 / 1048576.0),
            format!("{:.1}", per_thousand(sanitise)),
            format!("{:.1}", per_thousand(text)),
            format!("{:.1}", per_thousand(folded)),
            format!("{:.1} / {:.1}", per_thousand(builtin_tokens), per_thousand(table_tokens)),
        ]);
    }
    let note = format!("Medians of {PASSES} passes on one thread. Machine: {}. Load average at the end: {}.", machine(), load_average());
    println!("\n{}\n- {note}", table.text());
    let path = target_dir().join("bench-text.md");
    std::fs::write(&path, format!("# caliber text bench\n\n{}\n- {note}\n", table.markdown())).expect("write bench-text.md");
    log(t0, format!("written to {}", path.display()));
}

fn clean_all(items: &[(String, String, String)]) -> usize {
    items.iter().map(|(_, _, body)| caliber_core::fuzzing::sanitize(body).len()).sum()
}

/// Median wall time of `PASSES` runs of `work` (its result is kept from the optimiser).
fn median_ms(mut work: impl FnMut() -> usize) -> f64 {
    let mut times: Vec<f64> = (0..PASSES)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(work());
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[PASSES / 2]
}
