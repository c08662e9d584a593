//! Full-text search over the FTS5 index. A reader's words are turned into quoted terms, so
//! quotes, `-`, `*`, `AND`, `NEAR(` and the like are searched for, never parsed as syntax.

use rusqlite::{Connection, params};

use super::{ARTICLE_COLUMNS, ARTICLE_FROM, article_from_row};
use crate::error::Result;
use crate::model::SearchHit;

/// How many of the newest matches are ranked. Bounds the cost of common words: bm25 over
/// 80% of a large corpus is slow, and in news the newest matches are the ones wanted.
const CANDIDATES: u32 = 1000;

pub const MARK_START: &str = "\u{2}";
pub const MARK_END: &str = "\u{3}";

/// Letters unicode61 keeps apart from their plain forms, and what readers type instead.
fn needs_folding(word: &str) -> bool {
    word.contains(['ı', 'İ', 'ё', 'Ё'])
}

fn fold(word: &str) -> String {
    word.to_lowercase().replace('\u{307}', "").replace('ı', "i").replace('ё', "е")
}

/// The words of `texts` that need folding, folded, for the index's `folded` column.
pub fn folded_words(texts: &[&str]) -> String {
    let mut out = String::new();
    // Most texts hold none of these letters: one pass over them settles it.
    for text in texts.iter().filter(|t| needs_folding(t)) {
        for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| needs_folding(w)) {
            out.push_str(&fold(word));
            out.push(' ');
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
    let words: Vec<&str> = input.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let last = words.len().checked_sub(1)?;
    let ends_in_word = prefix
        && input.chars().last().is_some_and(char::is_alphanumeric)
        && words[last].chars().count() >= MIN_PREFIX_CHARS;
    Some(
        words
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let star = if i == last && ends_in_word { "*" } else { "" };
                if needs_folding(w) {
                    format!("(\"{w}\"{star} OR \"{}\"{star})", fold(w))
                } else {
                    format!("\"{w}\"{star}")
                }
            })
            .collect::<Vec<_>>()
            .join(" "),
    )
}

fn ranked_ids(conn: &Connection, query: &str, limit: u32) -> Result<Vec<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT rowid FROM (SELECT rowid, rank FROM articles_fts WHERE articles_fts MATCH ?1
             ORDER BY rowid DESC LIMIT ?2) ORDER BY rank LIMIT ?3",
    )?;
    Ok(stmt.query_map(params![query, CANDIDATES, limit], |r| r.get(0))?.collect::<rusqlite::Result<_>>()?)
}

pub fn search(conn: &Connection, input: &str, limit: u32) -> Result<Vec<SearchHit>> {
    let Some(exact) = fts_query_with(input, false) else { return Ok(Vec::new()) };
    // Whole words first; the last word as a prefix only when that finds too little (the
    // reader is still typing it). A prefix of a common word costs a merge of many terms.
    let mut query = exact;
    let mut ranked = ranked_ids(conn, &query, limit)?;
    if (ranked.len() as u32) < limit
        && let Some(prefixed) = fts_query_with(input, true).filter(|p| *p != query)
    {
        ranked = ranked_ids(conn, &prefixed, limit)?;
        query = prefixed;
    }
    let mut article = conn.prepare_cached(&format!("SELECT {ARTICLE_COLUMNS} FROM {ARTICLE_FROM} WHERE a.id = ?1"))?;
    let mut snippet = conn.prepare_cached(
        "SELECT snippet(articles_fts, 2, ?3, ?4, '…', 16), snippet(articles_fts, 1, ?3, ?4, '…', 16),
                snippet(articles_fts, 0, ?3, ?4, '…', 16)
         FROM articles_fts WHERE articles_fts MATCH ?1 AND rowid = ?2",
    )?;
    let mut hits = Vec::with_capacity(ranked.len());
    for id in ranked {
        let article = article.query_row([id], article_from_row)?;
        // Body, then summary, then title: the first with a highlighted match (the `folded`
        // column is a word list, never shown).
        let (body, summary, title): (String, String, String) =
            snippet.query_row(params![query, id, MARK_START, MARK_END], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        let snippet = [&body, &summary, &title].into_iter().find(|s| s.contains(MARK_START)).unwrap_or(&body).clone();
        hits.push(SearchHit { article, snippet });
    }
    Ok(hits)
}

#[cfg(test)]
mod tests {
    use super::fts_query;

    #[test]
    fn operators_and_quotes_become_plain_terms() {
        assert_eq!(fts_query(r#"Баку "нефть" AND -газ*"#).as_deref(), Some(r#""Баку" "нефть" "AND" "газ""#));
        assert_eq!(fts_query("NEAR(a b").as_deref(), Some(r#""NEAR" "a" "b""#), "too short for a prefix");
        assert_eq!(fts_query("Баку нефт").as_deref(), Some(r#""Баку" "нефт"*"#));
        assert_eq!(fts_query(" \"*- ").as_deref(), None);
        assert_eq!(fts_query("Bakı").as_deref(), Some(r#"("Bakı"* OR "baki"*)"#));
        assert_eq!(fts_query("ёлки ").as_deref(), Some(r#"("ёлки" OR "елки")"#));
    }
}
