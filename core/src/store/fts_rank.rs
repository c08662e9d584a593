//! FTS5 auxiliary functions registered on every connection (`register`):
//!
//! - `caliber_bm25(articles_fts, dfs)`: FTS5's bm25 with the index's column weights, but
//!   each phrase's document frequency comes in as an argument (`dfs`: a blob of one
//!   little-endian f64 per phrase, in the order FTS5 numbers the query's phrases). The
//!   builtin `bm25()` counts each phrase's documents with a pass over its whole doclist on
//!   every query (18 ms for "the" over 100,000 articles); the caller estimates them cheaply.
//!   And a phrase counts once per column it is in: the index keeps no positions (migration
//!   0012), and the builtin, which reads them, finds none there.
//! - `caliber_match_column(articles_fts)`: the column to show a snippet of: body, then
//!   summary, then title, the first the row matches in (body when it matches only in
//!   `folded`, which is never shown).
//!
//! `Tokenizer` is the index's tokenizer: the search asks it which words of a reader's it
//! finds no token in (to leave out) or several (to split), and `snippet.rs` the tokens of
//! the rows a search shows (the index keeps no text since migration 0010).
//!
//! rusqlite has no API for FTS5 auxiliary functions or tokenizers, hence the FFI below
//! (and in `fts_tokenizer.rs`).
#![allow(unsafe_code)]

use std::ffi::{CStr, c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;

use rusqlite::Connection;
use rusqlite::ffi::{
    self, Fts5Context, Fts5ExtensionApi, Fts5PhraseIter, Fts5Tokenizer, fts5_api, fts5_tokenizer, sqlite3_context, sqlite3_value,
};

/// The index's column weights, as in migration 0001's `bm25(10.0, 3.0, 1.0, 1.0)`:
/// title, summary, body, folded.
const COLUMN_WEIGHTS: [f64; 4] = [10.0, 3.0, 1.0, 1.0];
const K1: f64 = 1.2;
const B: f64 = 0.75;

pub const TITLE: c_int = 0;
pub const SUMMARY: c_int = 1;
pub const BODY: c_int = 2;

/// Encode document frequencies as `caliber_bm25` takes them.
pub fn dfs_blob(dfs: &[f64]) -> Vec<u8> {
    dfs.iter().flat_map(|d| d.to_le_bytes()).collect()
}

/// Register the auxiliary functions on `conn`, and the table tokenizer over `unicode61`
/// (`fts_tokenizer.rs`).
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let api = fts5_api(conn)?;
    super::fts_tokenizer::register(api)?;
    for (name, function) in [
        (c"caliber_bm25", bm25 as unsafe extern "C" fn(_, _, _, _, _)),
        (c"caliber_match_column", match_column as unsafe extern "C" fn(_, _, _, _, _)),
    ] {
        // SAFETY: `api` is the live fts5_api of this connection (checked non-null by
        // `fts5_api`, valid as long as the connection is open). `name` is a NUL-terminated
        // static string (FTS5 copies it); no user data, so no destructor.
        let rc = unsafe {
            let create = (*api).xCreateFunction.ok_or_else(|| failure(ffi::SQLITE_MISUSE, "fts5_api without xCreateFunction"))?;
            create(api, name.as_ptr(), ptr::null_mut(), Some(function), None)
        };
        if rc != ffi::SQLITE_OK {
            return Err(failure(rc, "could not register an FTS5 function"));
        }
    }
    Ok(())
}

pub type OnToken<'a> = &'a mut dyn FnMut(&[u8], usize, usize);

/// The index's tokenizer, made once for many texts (`snippet.rs` tokenizes three columns of
/// each row a search shows).
pub struct Tokenizer<'conn> {
    tok: *mut Fts5Tokenizer,
    delete: unsafe extern "C" fn(*mut Fts5Tokenizer),
    tokenize: unsafe extern "C" fn(
        *mut Fts5Tokenizer,
        *mut c_void,
        c_int,
        *const c_char,
        c_int,
        Option<unsafe extern "C" fn(*mut c_void, c_int, *const c_char, c_int, c_int, c_int) -> c_int>,
    ) -> c_int,
    /// FTS5 owns the tokenizer's module for as long as the connection is open.
    _conn: std::marker::PhantomData<&'conn Connection>,
}

impl<'conn> Tokenizer<'conn> {
    pub fn new(conn: &'conn Connection) -> rusqlite::Result<Self> {
        let api = fts5_api(conn)?;
        let mut user_data: *mut c_void = ptr::null_mut();
        let mut tokenizer = fts5_tokenizer { xCreate: None, xDelete: None, xTokenize: None };
        // SAFETY: `api` is the live fts5_api of this connection (as in `register`). FTS5 fills
        // `user_data` and `tokenizer` for the builtin "unicode61", valid while the connection
        // is open (the lifetime `'conn`). The arguments are static NUL-terminated strings that
        // xCreate only reads. `tok` lives until `drop` deletes it.
        unsafe {
            let find = (*api).xFindTokenizer.ok_or_else(|| failure(ffi::SQLITE_MISUSE, "fts5_api without xFindTokenizer"))?;
            let rc = find(api, c"unicode61".as_ptr(), &mut user_data, &mut tokenizer);
            if rc != ffi::SQLITE_OK {
                return Err(failure(rc, "FTS5 has no unicode61 tokenizer"));
            }
            let (Some(create), Some(delete), Some(tokenize)) = (tokenizer.xCreate, tokenizer.xDelete, tokenizer.xTokenize) else {
                return Err(failure(ffi::SQLITE_MISUSE, "incomplete unicode61 tokenizer"));
            };
            let mut args = [c"remove_diacritics".as_ptr(), c"2".as_ptr()];
            let mut tok: *mut Fts5Tokenizer = ptr::null_mut();
            let rc = create(user_data, args.as_mut_ptr(), 2, &mut tok);
            if rc != ffi::SQLITE_OK {
                return Err(failure(rc, "could not create the unicode61 tokenizer"));
            }
            Ok(Self { tok, delete, tokenize, _conn: std::marker::PhantomData })
        }
    }

    /// `on_token` with each token of `text` as the index makes them of a document (folded),
    /// and the byte range of its characters in `text` (`snippet.rs` needs what FTS5 saw).
    pub fn document_tokens(&self, text: &str, on_token: OnToken<'_>) -> rusqlite::Result<()> {
        self.run(text, ffi::FTS5_TOKENIZE_DOCUMENT, on_token)
    }

    /// The pieces of `text` this tokenizer makes a token each of, in order. Characters it
    /// ignores (symbols such as Ⓐ) make none: FTS5 drops a phrase of no token from a query,
    /// which would misnumber the phrases `caliber_bm25` gets frequencies for. And a word of
    /// several tokens is a phrase, which an index without positions (migration 0012) refuses.
    pub fn query_pieces<'t>(&self, text: &'t str) -> rusqlite::Result<Vec<&'t str>> {
        let mut pieces = Vec::new();
        self.run(text, ffi::FTS5_TOKENIZE_QUERY, &mut |_, start, end| pieces.extend(text.get(start..end).filter(|p| !p.is_empty())))?;
        Ok(pieces)
    }

    /// The tokens of a reader's word as the index's tokenizer makes them of a query.
    pub fn query_tokens(&self, text: &str) -> rusqlite::Result<Vec<String>> {
        let mut tokens = Vec::new();
        self.run(text, ffi::FTS5_TOKENIZE_QUERY, &mut |token, _, _| tokens.push(String::from_utf8_lossy(token).into_owned()))?;
        Ok(tokens)
    }

    /// `on_token` with each token of `text` and its byte range (colocated tokens, which
    /// unicode61 never makes, are left out as FTS5's own snippet() leaves them out).
    fn run(&self, text: &str, flags: c_int, on_token: OnToken<'_>) -> rusqlite::Result<()> {
        let len = c_int::try_from(text.len()).map_err(|_| failure(ffi::SQLITE_TOOBIG, "text too long to tokenize"))?;
        let mut callback: OnToken<'_> = on_token;
        // SAFETY: `self.tok` is alive (deleted only by `drop`); `text` is read for `len`
        // bytes; `callback` (what the context points at) outlives the call `each_token` uses it in.
        let rc = unsafe { (self.tokenize)(self.tok, (&raw mut callback).cast(), flags, text.as_ptr().cast(), len, Some(each_token)) };
        if rc != ffi::SQLITE_OK {
            return Err(failure(rc, "tokenizing failed"));
        }
        Ok(())
    }
}

impl Drop for Tokenizer<'_> {
    fn drop(&mut self) {
        // SAFETY: made by this tokenizer module's xCreate in `new`, deleted once.
        unsafe { (self.delete)(self.tok) }
    }
}

/// xTokenize's callback for `Tokenizer::run`.
unsafe extern "C" fn each_token(ctx: *mut c_void, flags: c_int, token: *const c_char, len: c_int, start: c_int, end: c_int) -> c_int {
    if flags & ffi::FTS5_TOKEN_COLOCATED != 0 {
        return ffi::SQLITE_OK;
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `ctx` is the `&mut OnToken` `Tokenizer::run` passes, alive for the whole
        // xTokenize; FTS5 passes `len` readable bytes at `token` for this call.
        let callback = unsafe { &mut *ctx.cast::<OnToken<'_>>() };
        let token: &[u8] = if token.is_null() || len <= 0 { &[] } else { unsafe { std::slice::from_raw_parts(token.cast::<u8>(), len as usize) } };
        callback(token, start.max(0) as usize, end.max(0) as usize);
    }));
    if outcome.is_ok() { ffi::SQLITE_OK } else { ffi::SQLITE_ERROR }
}

pub(super) fn failure(rc: c_int, msg: &str) -> rusqlite::Error {
    rusqlite::Error::SqliteFailure(ffi::Error::new(rc), Some(msg.into()))
}

/// The connection's `fts5_api`, the documented way: `SELECT fts5(?1)` with a pointer bound.
pub(super) fn fts5_api(conn: &Connection) -> rusqlite::Result<*mut fts5_api> {
    let mut api: *mut fts5_api = ptr::null_mut();
    // SAFETY: `handle()` is the open connection, used on this thread only while `conn` is
    // borrowed. The statement is prepared, stepped and finalized here, so the bound pointer
    // (to the local `api`, typed "fts5_api_ptr" as FTS5 requires) outlives its use.
    let rc = unsafe {
        let db = conn.handle();
        let mut stmt: *mut ffi::sqlite3_stmt = ptr::null_mut();
        let rc = ffi::sqlite3_prepare_v2(db, c"SELECT fts5(?1)".as_ptr(), -1, &mut stmt, ptr::null_mut());
        if rc != ffi::SQLITE_OK {
            ffi::sqlite3_finalize(stmt);
            return Err(failure(rc, "SELECT fts5(?1) failed to prepare"));
        }
        ffi::sqlite3_bind_pointer(stmt, 1, (&raw mut api).cast(), c"fts5_api_ptr".as_ptr(), None);
        ffi::sqlite3_step(stmt);
        ffi::sqlite3_finalize(stmt)
    };
    if rc != ffi::SQLITE_OK || api.is_null() {
        return Err(failure(if rc == ffi::SQLITE_OK { ffi::SQLITE_ERROR } else { rc }, "FTS5 is not available"));
    }
    Ok(api)
}

type AuxResult<T> = Result<T, (c_int, &'static CStr)>;

/// Run `f` and report its result to SQLite; an error or a panic becomes an SQL error (a
/// panic must not unwind into C).
///
/// SAFETY (caller): `ctx` is the function's live `sqlite3_context`.
unsafe fn finish(ctx: *mut sqlite3_context, f: impl FnOnce() -> AuxResult<Value>) {
    let outcome = catch_unwind(AssertUnwindSafe(f));
    // SAFETY: `ctx` is valid for the duration of the call (caller's contract); the error
    // messages are static, NUL-terminated, and copied by SQLite (-1: up to the NUL).
    unsafe {
        match outcome {
            Ok(Ok(Value::Real(v))) => ffi::sqlite3_result_double(ctx, v),
            Ok(Ok(Value::Int(v))) => ffi::sqlite3_result_int(ctx, v),
            Ok(Err((rc, msg))) => {
                ffi::sqlite3_result_error(ctx, msg.as_ptr(), -1);
                if rc != ffi::SQLITE_ERROR {
                    ffi::sqlite3_result_error_code(ctx, rc);
                }
            }
            Err(_) => ffi::sqlite3_result_error(ctx, c"caliber FTS5 function panicked".as_ptr(), -1),
        }
    }
}

enum Value {
    Real(f64),
    Int(c_int),
}

fn check(rc: c_int) -> AuxResult<()> {
    if rc == ffi::SQLITE_OK { Ok(()) } else { Err((rc, c"FTS5 extension API call failed")) }
}

unsafe extern "C" fn bm25(
    api: *const Fts5ExtensionApi,
    fts: *mut Fts5Context,
    ctx: *mut sqlite3_context,
    n_val: c_int,
    ap_val: *mut *mut sqlite3_value,
) {
    // SAFETY: SQLite calls this with a valid API table, context and `n_val` arguments for
    // the current row of the FTS5 cursor, all valid for the duration of the call.
    unsafe { finish(ctx, || bm25_score(&*api, fts, n_val, ap_val).map(Value::Real)) }
}

/// SAFETY (caller): as for `bm25`.
unsafe fn bm25_score(api: &Fts5ExtensionApi, fts: *mut Fts5Context, n_val: c_int, ap_val: *mut *mut sqlite3_value) -> AuxResult<f64> {
    const MISSING: AuxResult<f64> = Err((ffi::SQLITE_MISUSE, c"caliber_bm25: incomplete FTS5 API"));
    let (Some(phrase_count), Some(row_count), Some(total_size), Some(column_size), Some(first), Some(next)) =
        (api.xPhraseCount, api.xRowCount, api.xColumnTotalSize, api.xColumnSize, api.xPhraseFirstColumn, api.xPhraseNextColumn)
    else {
        return MISSING;
    };
    // SAFETY: the FTS5 calls get this row's context and out-pointers to locals; `ap_val`
    // holds `n_val` values (checked ≥ 1 before the first is read); the blob pointer is
    // valid for `sqlite3_value_bytes` bytes until the value is next converted, and it is
    // copied out before any other call on it.
    unsafe {
        let phrases = usize::try_from(phrase_count(fts)).unwrap_or(0);
        if n_val < 1 {
            return Err((ffi::SQLITE_ERROR, c"caliber_bm25: document frequencies missing"));
        }
        let arg = *ap_val;
        let blob = ffi::sqlite3_value_blob(arg).cast::<u8>();
        let len = usize::try_from(ffi::sqlite3_value_bytes(arg)).unwrap_or(0);
        if len != phrases * 8 || (len > 0 && blob.is_null()) {
            return Err((ffi::SQLITE_ERROR, c"caliber_bm25: one document frequency per phrase expected"));
        }
        let bytes = if len == 0 { &[][..] } else { std::slice::from_raw_parts(blob, len) };

        let mut rows: i64 = 0;
        check(row_count(fts, &mut rows))?;
        let mut tokens: i64 = 0;
        check(total_size(fts, -1, &mut tokens))?;
        let mut doc_tokens: c_int = 0;
        check(column_size(fts, -1, &mut doc_tokens))?;
        let rows_f = rows.max(1) as f64;
        let avgdl = (tokens as f64 / rows_f).max(f64::MIN_POSITIVE);
        let length_norm = K1 * (1.0 - B + B * f64::from(doc_tokens) / avgdl);

        let mut score = 0.0;
        for (phrase, df) in bytes.chunks_exact(8).enumerate() {
            let df = f64::from_le_bytes(df.try_into().unwrap_or_default()).clamp(0.0, rows_f);
            // As FTS5's bm25: a phrase in more than half the rows still counts, barely.
            let idf = ((rows_f - df + 0.5) / (df + 0.5)).ln();
            let idf = if idf > 0.0 { idf } else { 1e-6 };
            // The index keeps no positions (migration 0012), so a phrase counts once per
            // column it is in (FTS5's builtin bm25 counts nothing there: it reads positions).
            let mut freq = 0.0;
            let mut iter = Fts5PhraseIter { a: ptr::null(), b: ptr::null() };
            let mut col = 0;
            check(first(fts, phrase as c_int, &mut iter, &mut col))?;
            while col >= 0 {
                freq += usize::try_from(col).ok().and_then(|c| COLUMN_WEIGHTS.get(c)).copied().unwrap_or(1.0);
                next(fts, &mut iter, &mut col);
            }
            score += idf * (freq * (K1 + 1.0)) / (freq + length_norm);
        }
        Ok(-score)
    }
}

unsafe extern "C" fn match_column(
    api: *const Fts5ExtensionApi,
    fts: *mut Fts5Context,
    ctx: *mut sqlite3_context,
    _n_val: c_int,
    _ap_val: *mut *mut sqlite3_value,
) {
    // SAFETY: as for `bm25`.
    unsafe { finish(ctx, || matched_columns(&*api, fts).map(|mask| Value::Int(snippet_column(mask)))) }
}

/// Body, then summary, then title: the first `mask` has (bit n = column n); body otherwise.
fn snippet_column(mask: u32) -> c_int {
    [BODY, SUMMARY, TITLE].into_iter().find(|&c| mask & (1 << c) != 0).unwrap_or(BODY)
}

/// SAFETY (caller): as for `bm25`.
unsafe fn matched_columns(api: &Fts5ExtensionApi, fts: *mut Fts5Context) -> AuxResult<u32> {
    let (Some(phrase_count), Some(first), Some(next)) = (api.xPhraseCount, api.xPhraseFirstColumn, api.xPhraseNextColumn) else {
        return Err((ffi::SQLITE_MISUSE, c"caliber_match_column: incomplete FTS5 API"));
    };
    let mut mask = 0u32;
    // SAFETY: this row's context and out-pointers to locals.
    unsafe {
        for phrase in 0..phrase_count(fts) {
            let mut iter = Fts5PhraseIter { a: ptr::null(), b: ptr::null() };
            let mut col = 0;
            check(first(fts, phrase, &mut iter, &mut col))?;
            while col >= 0 {
                mask |= 1u32.checked_shl(col as u32).unwrap_or(0);
                next(fts, &mut iter, &mut col);
            }
        }
    }
    Ok(mask)
}

#[cfg(test)]
mod tests {
    use rusqlite::{Connection, params};

    use super::*;

    /// The index as migration 0012 makes it (no text, no positions), or with positions
    /// (`detail=full`), for the builtin bm25 to compare with: it counts nothing without them.
    fn corpus_with(docs: &[(&str, &str, &str, &str)], positions: bool) -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        let detail = if positions { "full" } else { "column" };
        conn.execute_batch(&format!(
            "CREATE VIRTUAL TABLE articles_fts USING fts5(title, summary, body, folded, tokenize = 'unicode61 remove_diacritics 2',
                 content = '', contentless_delete = 1, detail = {detail});
             INSERT INTO articles_fts (articles_fts, rank) VALUES ('rank', 'bm25(10.0, 3.0, 1.0, 1.0)');",
        ))
        .unwrap();
        for (i, (title, summary, body, folded)) in docs.iter().enumerate() {
            conn.execute(
                "INSERT INTO articles_fts (rowid, title, summary, body, folded) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![i as i64 + 1, title, summary, body, folded],
            )
            .unwrap();
        }
        register(&conn).unwrap();
        conn
    }

    fn corpus(docs: &[(&str, &str, &str)]) -> Connection {
        corpus_with(&docs.iter().map(|&(t, s, b)| (t, s, b, "")).collect::<Vec<_>>(), false)
    }

    /// (rowid, score), best first.
    type Ranking = Vec<(i64, f64)>;

    /// The order by `caliber_bm25` given exact document frequencies.
    fn ranking(conn: &Connection, query: &str, phrases: &[&str]) -> Ranking {
        let dfs: Vec<f64> = phrases
            .iter()
            .map(|p| conn.query_row("SELECT count(*) FROM articles_fts WHERE articles_fts MATCH ?1", [p], |r| r.get::<_, i64>(0)).unwrap() as f64)
            .collect();
        collect(conn, "SELECT rowid, caliber_bm25(articles_fts, ?2) AS s FROM articles_fts WHERE articles_fts MATCH ?1 ORDER BY s, rowid", &[
            &query,
            &dfs_blob(&dfs),
        ])
    }

    fn collect(conn: &Connection, sql: &str, args: &[&dyn rusqlite::ToSql]) -> Ranking {
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map(args, |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(|r| r.unwrap()).collect()
    }

    fn assert_same(builtin: &[(i64, f64)], custom: &[(i64, f64)]) {
        assert_eq!(builtin.iter().map(|r| r.0).collect::<Vec<_>>(), custom.iter().map(|r| r.0).collect::<Vec<_>>());
        for (b, c) in builtin.iter().zip(custom) {
            assert!((b.1 - c.1).abs() < 1e-9 * b.1.abs().max(1.0), "scores differ: {b:?} {c:?}");
        }
    }

    /// Where no word is twice in a column, counting columns is counting occurrences: the
    /// index's ranking is FTS5's bm25 over an index with positions.
    #[test]
    fn custom_bm25_ranks_as_builtin_bm25_where_no_word_repeats_in_a_column() {
        let filler = "news of the day from city and country";
        let docs = [
            ("weather report", "", "storm in the body once and rest", ""), // 1: body match
            ("storm warning", "", filler, ""),                              // 2: title match
            ("daily", "", "a storm hits the coast again with strong winds", ""), // 3: body match, longer
            ("daily", "storm ahead", filler, ""),                           // 4: summary match
            ("the markets", "", "prices fell on the exchange", ""),         // 5: common word only
            ("quiet", "", "the kapetorvor storm was seen once", ""),        // 6: rare + common
            ("quiet", "", "a kapetorvor left the port", ""),                // 7: rare + common
            ("other", "", filler, ""),
            ("other", "", filler, ""),
            ("other", "", filler, "storm"),                                 // 10: folded only
        ];
        let (with_positions, index) = (corpus_with(&docs, true), corpus_with(&docs, false));
        for (query, phrases) in [
            (r#""storm""#, &[r#""storm""#][..]),
            (r#""the" "kapetorvor""#, &[r#""the""#, r#""kapetorvor""#]),
            (r#""the" AND ("storm" OR "kapetorvor")"#, &[r#""the""#, r#""storm""#, r#""kapetorvor""#]),
            (r#""the" "stor"*"#, &[r#""the""#, r#""stor"*"#]),
        ] {
            let builtin = collect(&with_positions, "SELECT rowid, rank FROM articles_fts WHERE articles_fts MATCH ?1 ORDER BY rank, rowid", &[&query]);
            assert!(builtin.len() > 1, "{query}: {builtin:?}");
            assert_same(&builtin, &ranking(&index, query, phrases));
            assert_same(&builtin, &ranking(&with_positions, query, phrases));
        }
        let order: Vec<i64> = ranking(&index, r#""storm""#, &[r#""storm""#]).iter().map(|r| r.0).collect();
        let at = |id: i64| order.iter().position(|&i| i == id).unwrap();
        assert_eq!(order[0], 2, "a title match beats the rest: {order:?}");
        assert!(at(4) < at(1) && at(1) < at(3), "a summary match, then the shorter body: {order:?}");
    }

    /// The index keeps no positions (migration 0012): a word counts once per column it is in.
    #[test]
    fn a_word_counts_once_per_column() {
        let conn = corpus(&[
            ("daily", "", "storm storm storm hits the coast"), // 1: four times…
            ("daily", "", "storm hits the coast and more"),    // 2: …as once, in a body as long
            ("storm", "", "calm"),                             // 3: in the title
        ]);
        let ranked = ranking(&conn, r#""storm""#, &[r#""storm""#]);
        assert_eq!(ranked.iter().map(|r| r.0).collect::<Vec<_>>(), [3, 1, 2], "{ranked:?}");
        assert!((ranked[1].1 - ranked[2].1).abs() < 1e-12, "{ranked:?}");
    }

    #[test]
    fn custom_bm25_rejects_a_wrong_number_of_document_frequencies() {
        let conn = corpus(&[("storm", "", "the storm")]);
        let err = conn
            .query_row(
                "SELECT caliber_bm25(articles_fts, ?2) FROM articles_fts WHERE articles_fts MATCH ?1",
                params![r#""the" "storm""#, dfs_blob(&[1.0])],
                |r| r.get::<_, f64>(0),
            )
            .unwrap_err();
        assert!(err.to_string().contains("one document frequency per phrase"), "{err}");
    }

    #[test]
    fn match_column_prefers_body_then_summary_then_title() {
        let conn = corpus_with(
            &[("storm", "storm", "storm", ""), ("storm", "storm", "calm", ""), ("storm", "calm", "calm", ""), ("calm", "calm", "calm", "storm")],
            false,
        );
        let mut stmt = conn.prepare("SELECT rowid, caliber_match_column(articles_fts) FROM articles_fts WHERE articles_fts MATCH '\"storm\"' ORDER BY rowid").unwrap();
        let cols: Vec<(i64, i32)> = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).unwrap().map(|r| r.unwrap()).collect();
        assert_eq!(cols, vec![(1, BODY), (2, SUMMARY), (3, TITLE), (4, BODY)]);
    }
}
