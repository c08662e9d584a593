//! FTS5's `snippet()` (`fts5_aux.c` of the bundled SQLite), made from an article's text
//! without an index row. The index keeps no copy of the text (migration 0010), so the few
//! rows a search shows get their excerpts here: from the text the index was made of
//! (`IndexRow`), with the index's own tokenizer, the same choice of column and window and
//! the same marks. Tokenizing a body is cheap; indexing it again to ask FTS5 was 5 ms a
//! search. `excerpts_are_fts5s_own` holds this to FTS5's snippet() over generated texts.

use super::fts_rank::Tokenizer;
use crate::error::Result;

/// Tokens in an excerpt, as the search asks FTS5's snippet() for.
pub(super) const TOKENS: usize = 16;
/// The columns an excerpt may be of, in the order `caliber_match_column` prefers them.
const BODY: usize = 2;
const SUMMARY: usize = 1;
const TITLE: usize = 0;

/// A phrase of the query: its tokens, the last one a prefix when `prefix`.
pub(super) struct Phrase {
    tokens: Vec<String>,
    prefix: bool,
}

impl Phrase {
    /// A phrase as `QueryTerms` writes it: `"word"` or `"word"*`.
    pub(super) fn new(tokenizer: &Tokenizer<'_>, quoted: &str) -> Result<Self> {
        let prefix = quoted.ends_with('*');
        let word = quoted.trim_end_matches('*').trim_matches('"');
        Ok(Self { tokens: tokenizer.query_tokens(word)?, prefix })
    }

    fn len(&self) -> usize {
        self.tokens.len()
    }
}

/// The phrases' tokens in one row, each a bit of `DocToken::is`: a body of 10 MiB is 1.5
/// million tokens, so a token keeps what it matches, not its text. A query has one phrase
/// per word and alternative; tokens past the 64th are never marked.
struct Slots<'p> {
    /// (token, whether a prefix of the document's token is enough)
    wanted: Vec<(&'p str, bool)>,
    /// Each phrase's first slot.
    first: Vec<usize>,
}

impl<'p> Slots<'p> {
    fn new(phrases: &'p [Phrase]) -> Self {
        let mut wanted = Vec::new();
        let mut first = Vec::with_capacity(phrases.len());
        for phrase in phrases {
            first.push(wanted.len());
            let last = phrase.tokens.len().saturating_sub(1);
            wanted.extend(phrase.tokens.iter().enumerate().map(|(i, t)| (t.as_str(), phrase.prefix && i == last)));
        }
        Self { wanted, first }
    }

    fn of(&self, token: &[u8]) -> u64 {
        let mut is = 0u64;
        for (k, &(want, prefix)) in self.wanted.iter().enumerate().take(64) {
            if if prefix { token.starts_with(want.as_bytes()) } else { token == want.as_bytes() } {
                is |= 1 << k;
            }
        }
        is
    }
}

/// A token of a column: where its characters are (bytes), and which phrase tokens it is.
struct DocToken {
    start: usize,
    end: usize,
    is: u64,
}

fn doc_tokens(tokenizer: &Tokenizer<'_>, slots: &Slots<'_>, text: &str) -> Result<Vec<DocToken>> {
    let mut doc = Vec::new();
    tokenizer.document_tokens(text, &mut |token, start, end| doc.push(DocToken { start, end, is: slots.of(token) }))?;
    Ok(doc)
}

fn matches_at(slots: &Slots<'_>, phrases: &[Phrase], p: usize, doc: &[DocToken], at: usize) -> bool {
    let n = phrases[p].len();
    n > 0
        && at + n <= doc.len()
        && (0..n).all(|i| {
            let slot = slots.first[p] + i;
            slot < 64 && doc[at + i].is & (1 << slot) != 0
        })
}

/// Where the phrases occur in a column: (phrase, first token) in token order, and for one
/// token the lower phrase first, as FTS5's `xInst` lists them.
fn instances(slots: &Slots<'_>, doc: &[DocToken], phrases: &[Phrase]) -> Vec<(usize, usize)> {
    let mut found = Vec::new();
    for at in (0..doc.len()).filter(|&at| doc[at].is != 0) {
        for p in 0..phrases.len() {
            if matches_at(slots, phrases, p, doc, at) {
                found.push((p, at));
            }
        }
    }
    found
}

/// The excerpt of `columns` (title, summary, body) for `phrases`, marked with `open` and
/// `close`, `ellipsis` where text was left out: `snippet(t, caliber_match_column(t), open,
/// close, ellipsis, TOKENS)` as FTS5 would give it for a row of that text.
pub(super) fn excerpt(tokenizer: &Tokenizer<'_>, phrases: &[Phrase], columns: [&str; 3], open: &str, close: &str, ellipsis: &str) -> Result<String> {
    let slots = Slots::new(phrases);
    let body = doc_tokens(tokenizer, &slots, columns[BODY])?;
    let mut chosen = (BODY, instances(&slots, &body, phrases), body);
    for column in [SUMMARY, TITLE] {
        if !chosen.1.is_empty() {
            break;
        }
        let doc = doc_tokens(tokenizer, &slots, columns[column])?;
        let found = instances(&slots, &doc, phrases);
        if !found.is_empty() {
            chosen = (column, found, doc);
        }
    }
    // When no column matched (only `folded` did) this is still the body: its start, unmarked, as FTS5 gives it.
    let (column, found, doc) = chosen;
    let text = columns[column];
    let start = best_start(text, &doc, &found, phrases);
    Ok(highlight(text, &doc, &found, phrases, start, open, close, ellipsis))
}

/// Tokens that begin a sentence: the first, and any after white space that follows a `.`
/// or `:` (`fts5SentenceFinderCb`).
fn sentence_starts(text: &str, doc: &[DocToken]) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut starts = Vec::new();
    for (pos, token) in doc.iter().enumerate() {
        if pos == 0 {
            starts.push(0);
            continue;
        }
        let before = &bytes[..token.start.min(bytes.len())];
        let spaces = before.iter().rev().take_while(|&&c| matches!(c, b' ' | b'\t' | b'\n' | b'\r')).count();
        if spaces > 0 && matches!(before.len().checked_sub(spaces + 1).map(|i| before[i]), Some(b'.' | b':')) {
            starts.push(pos);
        }
    }
    starts
}

/// `fts5SnippetScore`: 1000 for each phrase's first instance in the window of `TOKENS`
/// tokens from `from`, 1 for each further one; and where the window would start with its
/// instances centred.
fn score(found: &[(usize, usize)], phrases: &[Phrase], doc_len: usize, from: usize) -> (u32, usize) {
    let mut seen = vec![false; phrases.len()];
    let (mut total, mut first, mut last) = (0, None, 0);
    for &(p, at) in found.iter().filter(|&&(_, at)| at >= from && at < from + TOKENS) {
        total += if seen[p] { 1 } else { 1000 };
        seen[p] = true;
        first.get_or_insert(at);
        last = at + phrases[p].len();
    }
    let first = first.map_or(-1, |f| f as i64);
    // As the C: integer division towards zero, then clamped to the text.
    let mut adjusted = first - (TOKENS as i64 - (last as i64 - first)) / 2;
    if adjusted + TOKENS as i64 > doc_len as i64 {
        adjusted = doc_len as i64 - TOKENS as i64;
    }
    (total, adjusted.max(0) as usize)
}

/// The first token of the best window (`fts5SnippetFunction`'s loop): each instance scored
/// centred, and from the start of its sentence with a bonus.
fn best_start(text: &str, doc: &[DocToken], found: &[(usize, usize)], phrases: &[Phrase]) -> usize {
    let sentences = sentence_starts(text, doc);
    let (mut best_score, mut best) = (0, 0);
    for &(_, at) in found {
        let (total, adjusted) = score(found, phrases, doc.len(), at);
        if total > best_score {
            (best_score, best) = (total, adjusted);
        }
        if !sentences.is_empty() && doc.len() > TOKENS {
            let mut j = 0;
            while j + 1 < sentences.len() && sentences[j + 1] <= at {
                j += 1;
            }
            if sentences[j] < at {
                let (total, _) = score(found, phrases, doc.len(), sentences[j]);
                let total = total + if sentences[j] == 0 { 120 } else { 100 };
                if total > best_score {
                    (best_score, best) = (total, sentences[j]);
                }
            }
        }
    }
    best
}

/// Instances that overlap merged into token ranges (`fts5CInstIterNext`), inclusive.
fn coalesced(found: &[(usize, usize)], phrases: &[Phrase]) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for &(p, at) in found {
        let end = (at + phrases[p].len()).saturating_sub(1);
        match out.last_mut() {
            Some((_, last_end)) if at <= *last_end => *last_end = (*last_end).max(end),
            _ => out.push((at, end)),
        }
    }
    out
}

/// `fts5HighlightCb` over the window `start .. start + TOKENS`, and the ellipses around it.
#[allow(clippy::too_many_arguments)]
fn highlight(
    text: &str,
    doc: &[DocToken],
    found: &[(usize, usize)],
    phrases: &[Phrase],
    start: usize,
    open: &str,
    close: &str,
    ellipsis: &str,
) -> String {
    let range_end = start + TOKENS - 1;
    let mut out = String::new();
    if start > 0 {
        out.push_str(ellipsis);
    }
    let ranges = coalesced(found, phrases);
    let mut next = ranges.iter().position(|&(s, _)| s >= start).unwrap_or(ranges.len());
    let current = |next: usize| ranges.get(next).copied();
    let (mut off, mut is_open) = (0usize, false);
    let slice = |from: usize, to: usize| text.get(from..to.max(from)).unwrap_or("");
    for (pos, token) in doc.iter().enumerate() {
        if pos < start || pos > range_end {
            continue;
        }
        if start > 0 && pos == start {
            off = token.start;
        }
        let range = current(next);
        if is_open && range.is_none_or(|(s, _)| pos <= s) && token.start > off {
            out.push_str(close);
            is_open = false;
        }
        if range.is_some_and(|(s, _)| s == pos) && !is_open {
            out.push_str(slice(off, token.start));
            out.push_str(open);
            off = token.start;
            is_open = true;
        }
        if range.is_some_and(|(_, e)| e == pos) {
            if !is_open {
                out.push_str(open);
                is_open = true;
            }
            out.push_str(slice(off, token.end));
            off = token.end;
            next += 1;
        }
        if pos == range_end {
            if is_open {
                if current(next).is_some_and(|(s, _)| pos >= s) {
                    out.push_str(slice(off, token.end));
                    off = token.end;
                }
                out.push_str(close);
                is_open = false;
            }
            out.push_str(slice(off, token.end));
            off = token.end;
        }
    }
    if is_open {
        out.push_str(close);
    }
    if range_end >= doc.len().saturating_sub(1) {
        out.push_str(slice(off, text.len()));
    } else {
        out.push_str(ellipsis);
    }
    out
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, params};

    use super::{Phrase, excerpt};
    use crate::store::fts_rank::{self, Tokenizer};

    const WORDS: &[&str] = &[
        "Baku", "oil", "gas", "the", "minister", "said", "Bakı", "xəbərlər", "İlham", "ilham", "Баку", "нефть", "ёлка", "елка",
        "президент", "economy", "economic", "markets", "market", "Caspian", "pipeline", "pipelines", "of", "and", "a", "Ganja",
    ];
    const GLUE: &[&str] = &[" ", " ", " ", " ", ", ", ". ", ": ", ".\n", " — ", "  ", "\t", " (", ") ", "... ", "'s "];

    fn text(pick: &mut impl FnMut(usize) -> usize, max_words: usize) -> String {
        let words = pick(max_words + 1);
        let mut out = String::new();
        if pick(4) == 0 {
            out.push_str(GLUE[pick(GLUE.len())]);
        }
        for i in 0..words {
            if i > 0 {
                out.push_str(GLUE[pick(GLUE.len())]);
            }
            out.push_str(WORDS[pick(WORDS.len())]);
        }
        if pick(3) == 0 {
            out.push('.');
        }
        out
    }

    /// A query of more words than a token has bits for still gets its excerpt, with the
    /// first 64 phrase tokens marked.
    #[test]
    fn a_query_of_seventy_words_gets_an_excerpt() {
        let conn = Connection::open_in_memory().unwrap();
        let tokenizer = Tokenizer::new(&conn).unwrap();
        let phrases: Vec<Phrase> = (0..70).map(|i| Phrase::new(&tokenizer, &format!("\"w{i}\"")).unwrap()).collect();
        let body = "w0 and w69 and w1.";
        let out = excerpt(&tokenizer, &phrases, ["", "", body], "[", "]", "…").unwrap();
        assert_eq!(out, "[w0] and w69 and [w1].");
    }

    /// The excerpts made here are FTS5's own: its snippet() over a table that keeps the
    /// text, for every matching row of random texts (sentences, white space, punctuation,
    /// Azerbaijani, Russian) and queries of one to three words, prefixes and alternatives.
    #[test]
    fn excerpts_are_fts5s_own() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE VIRTUAL TABLE t USING fts5(title, summary, body, folded, tokenize = 'unicode61 remove_diacritics 2');")
            .unwrap();
        fts_rank::register(&conn).unwrap();
        let mut pick = crate::test_support::picker(0x9e37_79b9_7f4a_7c15);
        let mut rows = Vec::new();
        for id in 1..=400i64 {
            let (title, summary, body) = (text(&mut pick, 8), text(&mut pick, 30), text(&mut pick, if id % 5 == 0 { 400 } else { 80 }));
            conn.execute("INSERT INTO t (rowid, title, summary, body, folded) VALUES (?1, ?2, ?3, ?4, '')", params![id, title, summary, body])
                .unwrap();
            rows.push((id, title, summary, body));
        }
        let tokenizer = Tokenizer::new(&conn).unwrap();
        let mut compared = 0;
        for _ in 0..60 {
            let mut phrases: Vec<String> = Vec::new();
            for _ in 0..1 + pick(3) {
                let word = WORDS[pick(WORDS.len())];
                let chars: Vec<char> = word.chars().collect();
                phrases.push(if chars.len() > 4 && pick(3) == 0 {
                    format!("\"{}\"*", chars[..4].iter().collect::<String>())
                } else {
                    format!("\"{word}\"")
                });
            }
            let query = if pick(4) == 0 && phrases.len() > 1 { phrases.join(" OR ") } else { phrases.join(" ") };
            let parsed: Vec<Phrase> = phrases.iter().map(|p| Phrase::new(&tokenizer, p).unwrap()).collect();
            let mut stmt = conn
                .prepare("SELECT rowid, snippet(t, caliber_match_column(t), '[', ']', '…', 16) FROM t WHERE t MATCH ?1")
                .unwrap();
            let theirs: Vec<(i64, String)> = stmt.query_map([&query], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(Result::unwrap).collect();
            for (id, fts5) in theirs {
                let (_, title, summary, body) = &rows[id as usize - 1];
                let ours = excerpt(&tokenizer, &parsed, [title, summary, body], "[", "]", "…").unwrap();
                assert_eq!(ours, fts5, "query {query}, row {id}:\n title {title:?}\n summary {summary:?}\n body {body:?}");
                compared += 1;
            }
        }
        assert!(compared > 2000, "only {compared} excerpts compared");
    }
}
