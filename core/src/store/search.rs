//! Full-text search over the FTS5 index. A reader's words are turned into quoted terms, so
//! quotes, `-`, `*`, `AND`, `NEAR(` and the like are searched for, never parsed as syntax.

use std::collections::HashMap;

use rusqlite::{Connection, params};

use super::fts_rank::{self, Tokenizer};
use super::index::IndexRow;
use super::snippet::{self, Phrase};
use super::rows::{ARTICLE_COLUMNS, ARTICLE_FROM, article_from_row};
use crate::error::Result;
use crate::model::SearchHit;

/// How many of the newest matches are ranked. Bounds the cost of common words: bm25 over
/// 80% of a large corpus is slow, and in news the newest matches are the ones wanted.
const CANDIDATES: u32 = 1000;

pub const MARK_START: &str = "\u{2}";
pub const MARK_END: &str = "\u{3}";

/// Letters unicode61 keeps apart from their plain forms, and what readers type instead.
/// Armenian "և" is one letter in lower case ("Երևան") and two in upper case ("ԵՐԵՎԱՆ").
fn needs_folding(word: &str) -> bool {
    first_folding_letter(word.as_bytes(), 0).is_some()
}

/// Bytes `first_folding_letter` checks at once (the check vectorizes).
const FOLD_BLOCK: usize = 32;

/// Byte offset of the first letter to fold at or after `from`, found in the bytes: a pair
/// of a lead byte and a continuation byte is only ever that one character. Checked a block
/// at a time without a branch per byte: this runs over every body, and pair by pair it was
/// 3 % of a cold sync's CPU on Azerbaijani and Russian text (BENCHMARKS.md, issue 15).
fn first_folding_letter(bytes: &[u8], from: usize) -> Option<usize> {
    let is_pair = |lead: u8, next: u8| {
        ((lead == 0xC4) & ((next | 1) == 0xB1)) // İ ı
            | ((lead == 0xD0) & (next == 0x81)) // Ё
            | ((lead == 0xD1) & (next == 0x91)) // ё
            | ((lead == 0xD6) & (next == 0x87)) // և
    };
    let pairs = bytes.len().saturating_sub(1);
    let mut at = from;
    while at < pairs {
        let end = (at + FOLD_BLOCK).min(pairs);
        let (leads, nexts) = (&bytes[at..end], &bytes[at + 1..=end]);
        if leads.iter().zip(nexts).fold(false, |any, (&lead, &next)| any | is_pair(lead, next)) {
            return (at..end).find(|&i| is_pair(bytes[i], bytes[i + 1]));
        }
        at = end;
    }
    None
}

/// Case folded, then the letters above as readers type them.
fn fold(word: &str) -> String {
    crate::fold::fold_case(word).replace('ı', "i").replace('ё', "е").replace('և', "եվ")
}

/// The words of `texts` that need folding, folded, for the index's `folded` column. A word
/// is a run of alphanumeric characters; only those around a letter to fold are looked at.
pub fn folded_words(texts: &[&str]) -> String {
    let mut out = String::new();
    for text in texts {
        let mut from = 0;
        while let Some(letter) = first_folding_letter(text.as_bytes(), from) {
            let start = text[..letter].char_indices().rev().take_while(|(_, c)| c.is_alphanumeric()).last().map_or(letter, |(i, _)| i);
            let end = text[letter..].char_indices().find(|(_, c)| !c.is_alphanumeric()).map_or(text.len(), |(i, _)| letter + i);
            out.push_str(&fold(&text[start..end]));
            out.push(' ');
            from = end;
        }
    }
    out
}

/// A last word shorter than this is never searched as a prefix: "th"* would expand to
/// thousands of terms over most of the corpus.
const MIN_PREFIX_CHARS: usize = 4;

/// The FTS5 query for what a reader typed: every word must match, the last as a prefix
/// (search as you type). `None` when there is nothing searchable.
pub fn fts_query(input: &str) -> Option<String> {
    fts_query_with(input, true)
}

/// `prefix`: whether the last word may match as a prefix.
fn fts_query_with(input: &str, prefix: bool) -> Option<String> {
    query_terms(input, prefix, &HashMap::new()).map(|t| t.query())
}

/// The words of what a reader typed, as the query splits them.
fn words(input: &str) -> impl Iterator<Item = &str> {
    input.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// Words of `input` that are not one token to the index's tokenizer, with the pieces it
/// makes of them: none for symbols like Ⓐ that Rust counts as alphanumeric but unicode61
/// ignores, several where it splits a word. ASCII words are always one token.
fn split_words<'a>(tokenizer: &Tokenizer<'_>, input: &'a str) -> Result<HashMap<&'a str, Vec<&'a str>>> {
    let mut split = HashMap::new();
    for word in words(input).filter(|w| !w.is_ascii()) {
        let pieces = tokenizer.query_pieces(word)?;
        if pieces != [word] {
            split.insert(word, pieces);
        }
    }
    Ok(split)
}

/// A query as FTS5 sees it: groups that must all match, each group one phrase or
/// alternative phrases (a word and its folded spelling).
#[derive(Debug, Clone, PartialEq, Eq)]
struct QueryTerms(Vec<Vec<String>>);

impl QueryTerms {
    fn query(&self) -> String {
        // FTS5 has no implicit AND next to a parenthesised group: `"a" ("b" OR "c")` is a
        // syntax error, so with a group every word is joined by an explicit AND.
        let joiner = if self.0.iter().any(|g| g.len() > 1) { " AND " } else { " " };
        self.0
            .iter()
            .map(|group| match group.as_slice() {
                [one] => one.clone(),
                alternatives => format!("({})", alternatives.join(" OR ")),
            })
            .collect::<Vec<_>>()
            .join(joiner)
    }

    /// The phrases in the order FTS5 numbers them: as they appear in `query()`.
    fn phrases(&self) -> impl Iterator<Item = &str> {
        self.0.iter().flatten().map(String::as_str)
    }
}

/// `split`: words searched as the pieces given, or left out when there are none (see
/// `split_words`). Each piece is a word of its own: the index keeps no positions
/// (migration 0012), so FTS5 refuses a quoted phrase of two tokens.
fn query_terms(input: &str, prefix: bool, split: &HashMap<&str, Vec<&str>>) -> Option<QueryTerms> {
    let all: Vec<&str> = words(input).collect();
    let last_typed = all.len().checked_sub(1);
    // (which typed word, the piece of it searched)
    let pieces: Vec<(usize, &str)> = all
        .iter()
        .enumerate()
        .flat_map(|(i, &w)| split.get(w).map_or_else(|| vec![w], Clone::clone).into_iter().map(move |piece| (i, piece)))
        .collect();
    let words: Vec<&str> = pieces.iter().map(|&(_, piece)| piece).collect();
    let last = words.len().checked_sub(1)?;
    let ends_in_word = prefix
        && input.chars().last().is_some_and(char::is_alphanumeric)
        && Some(pieces[last].0) == last_typed
        && words[last].chars().count() >= MIN_PREFIX_CHARS;
    Some(QueryTerms(
        words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let star = if i == last && ends_in_word { "*" } else { "" };
                if needs_folding(w) {
                    vec![format!("\"{w}\"{star}"), format!("\"{}\"{star}", fold(w))]
                } else {
                    vec![format!("\"{w}\"{star}")]
                }
            })
            .collect(),
    ))
}

/// How many of a phrase's newest matches are read to estimate its document frequency.
const DF_SAMPLE: u32 = 1000;

/// How many documents match `phrase`: exact when it matches fewer than `DF_SAMPLE`,
/// otherwise estimated from the share of the rowid range its newest `DF_SAMPLE` matches
/// span. Reading a whole doclist to count it is what makes the builtin bm25 slow.
fn doc_freq(conn: &Connection, phrase: &str) -> Result<f64> {
    let mut sample = conn.prepare_cached(
        "SELECT count(*), min(rowid) FROM (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?1
             ORDER BY rowid DESC LIMIT ?2)",
    )?;
    let (n, oldest): (u32, Option<i64>) = sample.query_row(params![phrase, DF_SAMPLE], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let Some(oldest) = oldest.filter(|_| n >= DF_SAMPLE) else { return Ok(f64::from(n)) };
    let mut bounds = conn.prepare_cached(
        "SELECT (SELECT rowid FROM articles_fts ORDER BY rowid ASC LIMIT 1),
                (SELECT rowid FROM articles_fts ORDER BY rowid DESC LIMIT 1)",
    )?;
    let (first, last): (i64, i64) = bounds.query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    let spanned = (last - oldest + 1).max(1) as f64;
    Ok(f64::from(n) * ((last - first + 1).max(1) as f64 / spanned))
}

/// The newest `CANDIDATES` matches of `terms`, best `limit` first. `dfs`: document
/// frequencies already estimated by this search (the prefix retry repeats phrases).
fn ranked_ids(conn: &Connection, terms: &QueryTerms, limit: u32, dfs: &mut HashMap<String, f64>) -> Result<Vec<i64>> {
    let phrases: Vec<&str> = terms.phrases().collect();
    // One phrase: its IDF scales every score alike, so the order needs no estimate.
    let dfs: Vec<f64> = if phrases.len() == 1 {
        vec![1.0]
    } else {
        let mut out = Vec::with_capacity(phrases.len());
        for phrase in phrases {
            let df = match dfs.get(phrase) {
                Some(&df) => df,
                None => {
                    let df = doc_freq(conn, phrase)?;
                    dfs.insert(phrase.to_owned(), df);
                    df
                }
            };
            out.push(df);
        }
        out
    };
    let mut stmt = conn.prepare_cached(
        "SELECT rowid FROM (SELECT rowid, caliber_bm25(articles_fts, ?2) AS score FROM articles_fts
             WHERE articles_fts MATCH ?1 ORDER BY rowid DESC LIMIT ?3) ORDER BY score, rowid DESC LIMIT ?4",
    )?;
    let rows = stmt.query_map(params![terms.query(), fts_rank::dfs_blob(&dfs), CANDIDATES, limit], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn search(conn: &Connection, input: &str, limit: u32) -> Result<Vec<SearchHit>> {
    // One tokenizer for the reader's words and the snippets of the rows found.
    let tokenizer = Tokenizer::new(conn)?;
    let split = split_words(&tokenizer, input)?;
    let Some(exact) = query_terms(input, false, &split) else { return Ok(Vec::new()) };
    // Whole words first; the last word as a prefix only when that finds too little (the
    // reader is still typing it). A prefix of a common word costs a merge of many terms.
    let mut terms = exact;
    let mut dfs = HashMap::new();
    let mut ranked = ranked_ids(conn, &terms, limit, &mut dfs)?;
    if (ranked.len() as u32) < limit
        && let Some(prefixed) = query_terms(input, true, &split).filter(|p| *p != terms)
    {
        ranked = ranked_ids(conn, &prefixed, limit, &mut dfs)?;
        terms = prefixed;
    }
    // Each hit's snippet is of body, summary or title: the first the row matches in. The
    // index keeps no text (migration 0010): it is made from the article just read, from the
    // text the index was made of (`IndexRow`), as FTS5's `snippet()` makes it (`snippet.rs`).
    let phrases = terms.phrases().map(|p| Phrase::new(&tokenizer, p)).collect::<Result<Vec<_>>>()?;
    let mut article = conn.prepare_cached(&format!("SELECT {ARTICLE_COLUMNS} FROM {ARTICLE_FROM} WHERE a.id = ?1"))?;
    let mut hits = Vec::with_capacity(ranked.len());
    for id in ranked {
        let article = article.query_row([id], article_from_row)?;
        let row = IndexRow::new(id, article.title.clone(), article.summary.clone(), article.content_html.as_deref());
        let columns = [row.title.as_str(), row.summary.as_str(), row.body.as_str()];
        let snippet = snippet::excerpt(&tokenizer, &phrases, columns, MARK_START, MARK_END, "…")?;
        hits.push(SearchHit { article, snippet });
    }
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::{fold, folded_words, fts_query, needs_folding};

    #[test]
    fn the_letters_to_fold_are_found_in_the_bytes_and_nothing_else() {
        for c in (0..0x1_0000u32).filter_map(char::from_u32) {
            for text in [c.to_string(), format!("Баку{c}x")] {
                assert_eq!(needs_folding(&text), text.contains(['ı', 'İ', 'ё', 'Ё', 'և']), "U+{:04X}", c as u32);
            }
        }
    }

    /// The word-by-word pass it replaced, as the reference.
    fn folded_words_by_splitting(texts: &[&str]) -> String {
        let mut out = String::new();
        for text in texts {
            for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.contains(['ı', 'İ', 'ё', 'Ё', 'և'])) {
                out.push_str(&fold(word));
                out.push(' ');
            }
        }
        out
    }

    #[test]
    fn every_word_with_a_letter_to_fold_is_folded_once_in_order_wherever_it_falls() {
        // Texts of letters to fold, look-alike bytes (Б ч с я: the same lead or continuation
        // bytes), other letters, digits and separators, longer than a block of the scan.
        let pieces = ["ı", "İ", "ё", "Ё", "և", "Bak", "Бa", "ч", "с", "я", "ə", "ş", "1", " ", "-", "\u{a0}", "Ⓐ", "«", "x", "ԵՐԵՎ"];
        let mut pick = crate::test_support::picker(0x5eed_f01d);
        for case in 0..3000 {
            let texts: Vec<String> = (0..3)
                .map(|_| (0..pick(90)).map(|_| pieces[pick(pieces.len())]).collect::<String>())
                .collect();
            let texts: Vec<&str> = texts.iter().map(String::as_str).collect();
            assert_eq!(folded_words(&texts), folded_words_by_splitting(&texts), "case {case}: {texts:?}");
        }
        assert_eq!(folded_words(&["Bakı İçərişəhər", "ёлка-Ёж", "Երևան ok"]), "baki içərişəhər елка еж երեվան ");
    }

    #[test]
    fn operators_and_quotes_become_plain_terms() {
        assert_eq!(fts_query(r#"Баку "нефть" AND -газ*"#).as_deref(), Some(r#""Баку" "нефть" "AND" "газ""#));
        assert_eq!(fts_query("NEAR(a b").as_deref(), Some(r#""NEAR" "a" "b""#), "too short for a prefix");
        assert_eq!(fts_query("Баку нефт").as_deref(), Some(r#""Баку" "нефт"*"#));
        assert_eq!(fts_query(" \"*- ").as_deref(), None);
        assert_eq!(fts_query("Bakı").as_deref(), Some(r#"("Bakı"* OR "baki"*)"#));
        assert_eq!(fts_query("ёлки ").as_deref(), Some(r#"("ёлки" OR "елки")"#));
        assert_eq!(fts_query("Երևան ").as_deref(), Some(r#"("Երևան" OR "երեվան")"#));
        assert_eq!(fts_query("ԲԱՔՈՒ").as_deref(), Some(r#""ԲԱՔՈՒ"*"#), "case is the tokenizer's");
    }

    #[test]
    fn a_folded_word_next_to_others_is_valid_fts5_syntax() {
        assert_eq!(fts_query("в Bakı xəbər").as_deref(), Some(r#""в" AND ("Bakı" OR "baki") AND "xəbər"*"#));
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE VIRTUAL TABLE t USING fts5(a); INSERT INTO t VALUES ('в Bakı xəbərlər');").unwrap();
        for input in ["в Bakı xəbər", "в baki", "Bakı в", "ёлки Bakı"] {
            let q = fts_query(input).unwrap();
            conn.query_row("SELECT count(*) FROM t WHERE t MATCH ?1", [&q], |r| r.get::<_, i64>(0)).unwrap_or_else(|e| panic!("{q}: {e}"));
        }
    }
}
