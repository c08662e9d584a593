//! FTS5's `unicode61` tokenizer, registered over the builtin on every connection
//! (`register`), making the same tokens by table lookups.
//!
//! The builtin finds a non-ASCII character's category, folding and diacritic by three
//! binary searches each time it meets it: 6 % of a cold sync's CPU, most of it on Russian
//! and Azerbaijani text (BENCHMARKS.md, issue 15). Its rules are per character (whether a
//! character may start a token, whether it may continue one, what it folds to), so this
//! asks the builtin once per block of 256 code points, the first time a text has one of
//! them, and keeps the answers. Same tokens by construction, no migration, and a database
//! stays readable by any SQLite: the index's schema still names `unicode61`.
//!
//! Texts it cannot vouch for go to the builtin: options other than the index's
//! `remove_diacritics 2`, and text that is not UTF-8 (the builtin reads stray bytes its
//! own way). Characters beyond the Basic Multilingual Plane are asked of the builtin one at
//! a time (rare in news: emoji).
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::ffi::{CStr, c_char, c_int, c_void};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::ptr;
use std::sync::OnceLock;

use rusqlite::ffi::{self, Fts5Tokenizer, fts5_api, fts5_tokenizer};

use super::fts_rank::failure;

type XToken = unsafe extern "C" fn(*mut c_void, c_int, *const c_char, c_int, c_int, c_int) -> c_int;
type CreateFn = unsafe extern "C" fn(*mut c_void, *mut *const c_char, c_int, *mut *mut Fts5Tokenizer) -> c_int;
type DeleteFn = unsafe extern "C" fn(*mut Fts5Tokenizer);
type TokenizeFn = unsafe extern "C" fn(*mut Fts5Tokenizer, *mut c_void, c_int, *const c_char, c_int, Option<XToken>) -> c_int;

const NAME: &CStr = c"unicode61";

/// What a character does in a token: the code point it folds to (0: nothing) in the low
/// bits, and two flags.
type Entry = u32;
const STARTS: Entry = 1 << 31;
const CONTINUES: Entry = 1 << 30;
const FOLD: Entry = 0x1F_FFFF;

/// The answers for the Basic Multilingual Plane, a block of 256 code points at a time.
/// Shared by every connection: they are the builtin's, which has no state that varies.
static BLOCKS: [OnceLock<Box<[Entry; 256]>>; 256] = [const { OnceLock::new() }; 256];

/// Most astral characters remembered per tokenizer (a hostile text could name them all).
const MAX_ASTRAL: usize = 4096;

/// The builtin `unicode61` as FTS5 had it before `register` put this one over it.
struct Builtin {
    user_data: *mut c_void,
    create: CreateFn,
    delete: DeleteFn,
    tokenize: TokenizeFn,
}

/// One tokenizer, as FTS5 makes one per table and query.
struct Instance {
    /// The module's user data, alive as long as the connection.
    builtin: *const Builtin,
    /// The builtin's own tokenizer with the same options.
    inner: *mut Fts5Tokenizer,
    /// Whether the options are the index's (`remove_diacritics 2`), the only ones the table knows.
    by_table: bool,
    folded: Vec<u8>,
    astral: HashMap<u32, Entry>,
}

/// Put the table tokenizer over `unicode61` on the connection `api` belongs to (once: a
/// second call finds it there already). `api` must be a live connection's fts5_api.
pub(super) fn register(api: *mut fts5_api) -> rusqlite::Result<()> {
    let mut user_data: *mut c_void = ptr::null_mut();
    let mut found = fts5_tokenizer { xCreate: None, xDelete: None, xTokenize: None };
    // SAFETY: `api` is a live connection's fts5_api (the caller's contract). FTS5 fills
    // `user_data` and `found` with the module registered under NAME, valid while the
    // connection is open (FTS5 keeps every module it was given until then, the builtin
    // too). The Box given to xCreateTokenizer is freed by `destroy_builtin` when the
    // connection closes, or here if FTS5 did not take it.
    unsafe {
        let find = (*api).xFindTokenizer.ok_or_else(|| failure(ffi::SQLITE_MISUSE, "fts5_api without xFindTokenizer"))?;
        let rc = find(api, NAME.as_ptr(), &mut user_data, &mut found);
        if rc != ffi::SQLITE_OK {
            return Err(failure(rc, "FTS5 has no unicode61 tokenizer"));
        }
        if ours().contains(&(user_data as usize)) {
            return Ok(());
        }
        let (Some(create_builtin), Some(delete), Some(tokenize)) = (found.xCreate, found.xDelete, found.xTokenize) else {
            return Err(failure(ffi::SQLITE_MISUSE, "incomplete unicode61 tokenizer"));
        };
        let builtin = Box::into_raw(Box::new(Builtin { user_data, create: create_builtin, delete, tokenize }));
        ours().push(builtin as usize);
        let mut module = fts5_tokenizer { xCreate: Some(create), xDelete: Some(delete_instance), xTokenize: Some(tokenize_text) };
        let register = (*api).xCreateTokenizer.ok_or_else(|| failure(ffi::SQLITE_MISUSE, "fts5_api without xCreateTokenizer"))?;
        let rc = register(api, NAME.as_ptr(), builtin.cast(), &mut module, Some(destroy_builtin));
        if rc != ffi::SQLITE_OK {
            // FTS5 calls no xDestroy when it fails to take a module (fts5NewTokenizerModule).
            destroy_builtin(builtin.cast());
            return Err(failure(rc, "could not register the unicode61 tokenizer"));
        }
    }
    Ok(())
}

/// The user data of the modules `register` made and FTS5 has not destroyed: how a second
/// `register` on a connection knows its `unicode61` is already this one.
fn ours() -> std::sync::MutexGuard<'static, Vec<usize>> {
    static OURS: std::sync::Mutex<Vec<usize>> = std::sync::Mutex::new(Vec::new());
    OURS.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

unsafe extern "C" fn destroy_builtin(user_data: *mut c_void) {
    ours().retain(|&b| b != user_data as usize);
    // SAFETY: the Box made in `register`, given to FTS5 once and destroyed once.
    drop(unsafe { Box::from_raw(user_data.cast::<Builtin>()) });
}

unsafe extern "C" fn create(user_data: *mut c_void, args: *mut *const c_char, n_args: c_int, out: *mut *mut Fts5Tokenizer) -> c_int {
    // SAFETY: FTS5 passes the user data given in `register` (a live Builtin) and `n_args`
    // NUL-terminated strings at `args`; `out` is writable.
    unsafe {
        *out = ptr::null_mut();
        let builtin = user_data.cast::<Builtin>();
        let mut inner: *mut Fts5Tokenizer = ptr::null_mut();
        let rc = ((*builtin).create)((*builtin).user_data, args, n_args, &mut inner);
        if rc != ffi::SQLITE_OK {
            return rc;
        }
        let options: Vec<&[u8]> = (0..usize::try_from(n_args).unwrap_or(0)).map(|i| CStr::from_ptr(*args.add(i)).to_bytes()).collect();
        let by_table = matches!(options.as_slice(), [key, b"2"] if key.eq_ignore_ascii_case(b"remove_diacritics"));
        let instance = Instance { builtin, inner, by_table, folded: Vec::with_capacity(64), astral: HashMap::new() };
        *out = Box::into_raw(Box::new(instance)).cast();
    }
    ffi::SQLITE_OK
}

unsafe extern "C" fn delete_instance(tokenizer: *mut Fts5Tokenizer) {
    // SAFETY: made by `create`, deleted once by FTS5; its inner tokenizer with it.
    unsafe {
        let instance = Box::from_raw(tokenizer.cast::<Instance>());
        ((*instance.builtin).delete)(instance.inner);
    }
}

unsafe extern "C" fn tokenize_text(
    tokenizer: *mut Fts5Tokenizer,
    ctx: *mut c_void,
    flags: c_int,
    text: *const c_char,
    len: c_int,
    x_token: Option<XToken>,
) -> c_int {
    // SAFETY: `tokenizer` is an Instance made by `create`, used by one thread at a time
    // (FTS5's, per connection); `text` has `len` readable bytes.
    let instance = unsafe { &mut *tokenizer.cast::<Instance>() };
    let bytes: &[u8] = if text.is_null() || len <= 0 { &[] } else { unsafe { std::slice::from_raw_parts(text.cast(), len as usize) } };
    let Some(x_token) = x_token else { return ffi::SQLITE_MISUSE };
    if !instance.by_table {
        // SAFETY: the builtin's own tokenizer, with FTS5's arguments unchanged.
        return unsafe { ((*instance.builtin).tokenize)(instance.inner, ctx, flags, text, len, Some(x_token)) };
    }
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: `x_token` and `ctx` are FTS5's for this call.
        instance.tokenize(bytes, &mut |token, start, end| unsafe { x_token(ctx, 0, token.as_ptr().cast(), token.len() as c_int, start as c_int, end as c_int) })
    }));
    match outcome {
        Ok(Ok(ffi::SQLITE_DONE)) => ffi::SQLITE_OK,
        Ok(Ok(rc)) => rc,
        Ok(Err(NotUtf8 { from })) => {
            // The builtin from the start of the token that met the bad bytes: it starts
            // every token afresh, so its tokens from there are the ones it would have made
            // of the whole text, their offsets counted from `from`.
            let mut shifted = Shifted { ctx, x_token, by: from as c_int };
            // SAFETY: `from` is within the `len` bytes at `text`; `shifted` outlives the call.
            unsafe {
                ((*instance.builtin).tokenize)(instance.inner, (&raw mut shifted).cast(), flags, text.add(from), len - from as c_int, Some(shifted_token))
            }
        }
        Err(_) => ffi::SQLITE_ERROR,
    }
}

/// Where a text stops being UTF-8: the table tokenizer leaves the rest, from the start of
/// the token it was in, to the builtin.
struct NotUtf8 {
    from: usize,
}

/// FTS5's callback and context, for tokens whose offsets count from `by` bytes into the text.
struct Shifted {
    ctx: *mut c_void,
    x_token: XToken,
    by: c_int,
}

unsafe extern "C" fn shifted_token(ctx: *mut c_void, flags: c_int, token: *const c_char, len: c_int, start: c_int, end: c_int) -> c_int {
    // SAFETY: `ctx` is the Shifted of `tokenize_text`, alive for the builtin's call.
    unsafe {
        let shifted = &*ctx.cast::<Shifted>();
        (shifted.x_token)(shifted.ctx, flags, token, len, start + shifted.by, end + shifted.by)
    }
}

impl Instance {
    /// The builtin's tokens of `text`, given to `on_token` with their byte range; the first
    /// code other than SQLITE_OK it returns ends the run and is returned. Where `text` is
    /// not UTF-8, the error says from where the builtin must go on.
    fn tokenize(&mut self, text: &[u8], on_token: &mut dyn FnMut(&[u8], usize, usize) -> c_int) -> Result<c_int, NotUtf8> {
        // ASCII (most of the bytes, even in Russian text: spaces and punctuation) without a
        // decode or a block lookup.
        let ascii: &'static [Entry; 256] = self.block(0);
        let mut at = 0;
        loop {
            // Separators up to the first character that may start a token.
            let start = loop {
                let Some(&byte) = text.get(at) else { return Ok(ffi::SQLITE_OK) };
                let (entry, width) = if byte < 0x80 { (ascii[usize::from(byte)], 1) } else { self.entry_at(text, at).ok_or(NotUtf8 { from: at })? };
                at += width;
                if entry & STARTS != 0 {
                    self.folded.clear();
                    push_fold(&mut self.folded, entry);
                    break at - width;
                }
            };
            let mut end = at;
            while let Some(&byte) = text.get(at) {
                let (entry, width) = if byte < 0x80 { (ascii[usize::from(byte)], 1) } else { self.entry_at(text, at).ok_or(NotUtf8 { from: start })? };
                at += width;
                if entry & CONTINUES == 0 {
                    break;
                }
                push_fold(&mut self.folded, entry);
                end = at;
            }
            let rc = on_token(&self.folded, start, end);
            if rc != ffi::SQLITE_OK {
                return Ok(rc);
            }
        }
    }

    /// The entry of the (non-ASCII) character at `at` and its width in bytes; none if
    /// the bytes there are not UTF-8.
    #[inline(always)]
    fn entry_at(&mut self, text: &[u8], at: usize) -> Option<(Entry, usize)> {
        let (code, width) = decode(text, at)?;
        let entry = match BLOCKS.get((code >> 8) as usize).and_then(OnceLock::get) {
            Some(block) => block[(code & 0xFF) as usize],
            None => self.entry(code),
        };
        Some((entry, width))
    }

    /// The answers for the block of 256 code points starting at `first` (BMP), asked of
    /// the builtin the first time.
    fn block(&mut self, first: u32) -> &'static [Entry; 256] {
        BLOCKS[(first >> 8) as usize].get_or_init(|| {
            let mut entries = Box::new([0; 256]);
            for (code, entry) in self.ask_builtin(first..first + 256) {
                entries[(code - first) as usize] = entry;
            }
            entries
        })
    }

    #[cold]
    #[inline(never)]
    fn entry(&mut self, code: u32) -> Entry {
        if code < 0x1_0000 {
            return self.block(code & !0xFF)[(code & 0xFF) as usize];
        }
        if let Some(&entry) = self.astral.get(&code) {
            return entry;
        }
        if self.astral.len() >= MAX_ASTRAL {
            self.astral.clear();
        }
        let entry = self.ask_builtin(code..code + 1).first().map_or(0, |&(_, e)| e);
        self.astral.insert(code, entry);
        entry
    }

    /// What the builtin does with each character of `codes` (surrogates left out: no UTF-8
    /// text has them). Two probes per character, among ASCII letters and spaces whose
    /// tokens are known: `a?a ` is one token when `?` continues one (what is between the
    /// `a`s is its folding), and in ` ?a ` a token starts at `?` when it starts one.
    fn ask_builtin(&mut self, codes: std::ops::Range<u32>) -> Vec<(u32, Entry)> {
        let chars: Vec<char> = codes.filter_map(char::from_u32).collect();
        let mut continues = String::with_capacity(chars.len() * 6);
        let mut starts = String::with_capacity(chars.len() * 6);
        let mut at_continues = Vec::with_capacity(chars.len());
        let mut at_starts = Vec::with_capacity(chars.len());
        for &c in &chars {
            at_continues.push(continues.len());
            continues.extend(['a', c, 'a', ' ']);
            starts.push(' ');
            at_starts.push(starts.len());
            starts.extend([c, 'a', ' ']);
        }
        let continuing = self.builtin_tokens(&continues);
        let starting = self.builtin_tokens(&starts);
        let starting: std::collections::HashSet<usize> = starting.iter().map(|t| t.1).collect();
        let continuing: HashMap<usize, (usize, &[u8])> = continuing.iter().map(|(token, start, end)| (*start, (*end, token.as_slice()))).collect();
        chars
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let width = c.len_utf8();
                let mut entry = 0;
                if let Some(&(end, token)) = continuing.get(&at_continues[i])
                    && end == at_continues[i] + width + 2
                {
                    let fold = std::str::from_utf8(&token[1..token.len() - 1]).ok().and_then(|s| s.chars().next()).map_or(0, |f| f as u32);
                    entry = CONTINUES | fold;
                    if starting.contains(&at_starts[i]) {
                        entry |= STARTS;
                    }
                }
                (c as u32, entry)
            })
            .collect()
    }

    fn builtin_tokens(&mut self, text: &str) -> Vec<(Vec<u8>, usize, usize)> {
        let mut tokens: Vec<(Vec<u8>, usize, usize)> = Vec::new();
        unsafe extern "C" fn collect(ctx: *mut c_void, _flags: c_int, token: *const c_char, len: c_int, start: c_int, end: c_int) -> c_int {
            // SAFETY: `ctx` is the Vec below, alive for the call; `len` bytes at `token`.
            unsafe {
                let tokens = &mut *ctx.cast::<Vec<(Vec<u8>, usize, usize)>>();
                let token = if token.is_null() || len <= 0 { Vec::new() } else { std::slice::from_raw_parts(token.cast::<u8>(), len as usize).to_vec() };
                tokens.push((token, start as usize, end as usize));
            }
            ffi::SQLITE_OK
        }
        // SAFETY: the builtin's live tokenizer; `text` is read for its length; `tokens`
        // outlives the call.
        let rc = unsafe {
            ((*self.builtin).tokenize)(self.inner, (&raw mut tokens).cast(), ffi::FTS5_TOKENIZE_DOCUMENT, text.as_ptr().cast(), text.len() as c_int, Some(collect))
        };
        assert_eq!(rc, ffi::SQLITE_OK, "the builtin unicode61 failed on its probe");
        tokens
    }
}

/// The non-ASCII character at `at` and its width in bytes, if the bytes there are UTF-8
/// (no overlong form, surrogate or code point past U+10FFFF: what `str::from_utf8` takes).
/// Checked here rather than by a pass over the whole text first, which cost a fifth of
/// the tokenizer's time.
#[inline(always)]
fn decode(text: &[u8], at: usize) -> Option<(u32, usize)> {
    let next = |i: usize| text.get(at + i).copied().filter(|b| b & 0xC0 == 0x80).map(|b| u32::from(b & 0x3F));
    let lead = u32::from(text[at]);
    match lead {
        0xC2..=0xDF => Some(((lead & 0x1F) << 6 | next(1)?, 2)),
        0xE0..=0xEF => {
            let code = (lead & 0x0F) << 12 | next(1)? << 6 | next(2)?;
            (code >= 0x800 && !(0xD800..0xE000).contains(&code)).then_some((code, 3))
        }
        0xF0..=0xF4 => {
            let code = (lead & 0x07) << 18 | next(1)? << 12 | next(2)? << 6 | next(3)?;
            (0x1_0000..0x11_0000).contains(&code).then_some((code, 4))
        }
        _ => None,
    }
}

/// Append the UTF-8 of the entry's folding, byte by byte: a copy of a
/// `char::encode_utf8` slice is a call to `memcpy` per character (1.5 % of a cold `mixed` sync).
#[inline(always)]
fn push_fold(out: &mut Vec<u8>, entry: Entry) {
    let code = entry & FOLD;
    let continuation = |shift: u32| 0x80 | ((code >> shift) & 0x3F) as u8;
    match code {
        0 => {}
        1..=0x7F => out.push(code as u8),
        0x80..=0x7FF => out.extend([0xC0 | (code >> 6) as u8, continuation(0)]),
        0x800..=0xFFFF => out.extend([0xE0 | (code >> 12) as u8, continuation(6), continuation(0)]),
        _ => out.extend([0xF0 | (code >> 18) as u8, continuation(12), continuation(6), continuation(0)]),
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::super::fts_rank::{self, Tokenizer};

    type Tokens = Vec<(Vec<u8>, usize, usize)>;

    /// A connection with the table tokenizer over `unicode61`, and one with the builtin.
    fn both() -> (Connection, Connection) {
        let table = Connection::open_in_memory().unwrap();
        fts_rank::register(&table).unwrap();
        (table, Connection::open_in_memory().unwrap())
    }

    fn tokens(conn: &Connection, text: &str) -> Tokens {
        let mut out = Vec::new();
        Tokenizer::new(conn).unwrap().document_tokens(text, &mut |token, start, end| out.push((token.to_vec(), start, end))).unwrap();
        out
    }

    fn assert_same_tokens(table: &Connection, builtin: &Connection, text: &str, what: &str) {
        let (ours, theirs) = (tokens(table, text), tokens(builtin, text));
        if ours != theirs {
            let first = ours.iter().zip(&theirs).position(|(a, b)| a != b).unwrap_or(ours.len().min(theirs.len()));
            panic!(
                "{what}: token {first} differs: table {:?}, builtin {:?}",
                ours.get(first).map(|t| (String::from_utf8_lossy(&t.0), t.1, t.2)),
                theirs.get(first).map(|t| (String::from_utf8_lossy(&t.0), t.1, t.2))
            );
        }
    }

    #[test]
    fn every_character_is_tokenized_as_the_builtin_unicode61_does() {
        let (table, builtin) = both();
        // Each character alone, inside and at both ends of words, doubled, and next to a
        // combining acute accent (a diacritic: it continues a token but cannot start one).
        let text_of = |codes: &mut dyn Iterator<Item = u32>| -> String {
            let mut text = String::new();
            for c in codes.filter_map(char::from_u32) {
                for pattern in ["{} ", "a{}b ", " {}{} ", "ж{}", "{}ж ", "\u{301}{}\u{301} ", "{}\u{301}x "] {
                    text.push_str(&pattern.replace("{}", c.encode_utf8(&mut [0; 4])));
                }
            }
            text
        };
        for first in (0..0x1_0000u32).step_by(0x800) {
            assert_same_tokens(&table, &builtin, &text_of(&mut (first..first + 0x800)), &format!("U+{first:04X}…"));
        }
        // Beyond the BMP, asked one character at a time: the ranges that fold (Deseret, Adlam,
        // mathematical letters), emoji, and every 97th code point of the rest.
        let astral = (0x1_0400..0x1_0450).chain(0x1_E900..0x1_E960).chain(0x1_D400..0x1_D500).chain(0x1_F300..0x1_F400).chain((0x1_0000..0x11_0000).step_by(97));
        let astral: Vec<u32> = astral.collect();
        for chunk in astral.chunks(0x800) {
            assert_same_tokens(&table, &builtin, &text_of(&mut chunk.iter().copied()), &format!("U+{:04X}…", chunk[0]));
        }
    }

    #[test]
    fn texts_in_every_language_of_the_site_are_tokenized_as_the_builtin_does() {
        let (table, builtin) = both();
        let pool: Vec<char> = "aZz09 .,-'\"\t\n«»—–…№ ЖжЁёЙйЪъ ƏəİıŞşÇçĞğÖöÜü Աաբգ éÉñÑßẞ ﬁ Ⓐ ①½ 中文 😀🇦🇿 \u{301}\u{308}\u{200d}\u{a0}\u{2028}\u{fffd}\u{ffff}\u{10400}\u{1d400}\0"
            .chars()
            .collect();
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        for case in 0..3000 {
            let len = (case % 40) + 1;
            let text: String = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    pool[(seed % pool.len() as u64) as usize]
                })
                .collect();
            assert_same_tokens(&table, &builtin, &text, &format!("case {case}: {text:?}"));
        }
    }

    /// The index as FTS5 stores it (every term, row, column and position) and what queries
    /// find, with the table tokenizer and with the builtin: for the index's options, other
    /// options (the builtin's own work) and text that is not UTF-8.
    #[test]
    fn an_index_made_with_the_table_tokenizer_is_the_one_the_builtin_makes() {
        let (table, builtin) = both();
        let rows = [
            "Bakıda İlham Əliyev ŞƏHƏR günü — «Caliber.az»",
            "Москва: ЁЛКА и ёлка, Йошкар-Ола; naïve café Ⓐ ① 😀",
            "Հայաստանի Հանրապետություն 2026 թ.",
            "e\u{301}te\u{301} CAFÉ ß straße ﬁle 中文字",
        ];
        for conn in [&table, &builtin] {
            conn.execute_batch(
                "CREATE VIRTUAL TABLE idx USING fts5(body, tokenize = 'unicode61 remove_diacritics 2');
                 CREATE VIRTUAL TABLE other USING fts5(body, tokenize = \"unicode61 remove_diacritics 0 tokenchars '-.'\");
                 CREATE VIRTUAL TABLE idx_terms USING fts5vocab(idx, instance);
                 CREATE VIRTUAL TABLE other_terms USING fts5vocab(other, instance);",
            )
            .unwrap();
            for row in rows {
                conn.execute("INSERT INTO idx (body) VALUES (?1)", [row]).unwrap();
                conn.execute("INSERT INTO other (body) VALUES (?1)", [row]).unwrap();
            }
            // Not UTF-8, before, inside and after words: a lone continuation byte, an overlong
            // NUL and slash, a truncated sequence (also at the end), a surrogate, a code
            // point past U+10FFFF, a byte that never starts one.
            for bad in ["61809f62c080e282207a", "d181d0bbd0bed0b2d0beff20d181d0bbd0bed0b2d0be20776f7264", "6162c3", "6f6b20d0bed0bae2826f6b", "eda08078", "f490808020c0af7a", "cf8120fe6f6b"] {
                conn.execute_batch(&format!("INSERT INTO idx (body) VALUES (CAST(x'{bad}' AS TEXT))")).unwrap();
            }
        }
        let vocab = |conn: &Connection, name: &str| -> Vec<(Vec<u8>, i64, String, i64)> {
            let mut stmt = conn.prepare(&format!("SELECT CAST(term AS BLOB), doc, col, offset FROM {name} ORDER BY 1, 2, 3, 4")).unwrap();
            stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect()
        };
        for name in ["idx_terms", "other_terms"] {
            let ours = vocab(&table, name);
            assert!(ours.len() > 20, "{name}: {} terms", ours.len());
            assert_eq!(ours, vocab(&builtin, name), "{name}");
        }
        let matches = |conn: &Connection, query: &str| -> Vec<i64> {
            let mut stmt = conn.prepare("SELECT rowid FROM idx WHERE idx MATCH ?1 ORDER BY rowid").unwrap();
            stmt.query_map([query], |r| r.get(0)).unwrap().map(Result::unwrap).collect()
        };
        for query in ["baki", "ilham", "sehər", "ЁЛКА", "елка", "cafe", "ETE", "strasse", "straße", "2026", "ﬁle", "\"йошкар ола\"", "b*"] {
            let found = matches(&table, query);
            assert_eq!(found, matches(&builtin, query), "{query}");
        }
        assert_eq!(matches(&table, "ёлка"), vec![2], "a word folded as the builtin folds it is found");
    }

    #[test]
    fn registering_again_keeps_one_table_tokenizer() {
        /// The user data of the module FTS5 finds under `unicode61` on `conn`.
        fn unicode61_module(conn: &Connection) -> usize {
            let api = fts_rank::fts5_api(conn).unwrap();
            let mut user_data: *mut std::ffi::c_void = std::ptr::null_mut();
            let mut found = rusqlite::ffi::fts5_tokenizer { xCreate: None, xDelete: None, xTokenize: None };
            // SAFETY: `api` is `conn`'s, which is open; FTS5 fills the two locals.
            let rc = unsafe { ((*api).xFindTokenizer.unwrap())(api, super::NAME.as_ptr(), &mut user_data, &mut found) };
            assert_eq!(rc, rusqlite::ffi::SQLITE_OK);
            user_data as usize
        }
        let (table, builtin) = both();
        let first = unicode61_module(&table);
        assert!(super::ours().contains(&first), "the table tokenizer is the one FTS5 finds");
        fts_rank::register(&table).unwrap();
        fts_rank::register(&table).unwrap();
        assert_eq!(unicode61_module(&table), first, "registering again put no second table tokenizer over the first");
        assert_same_tokens(&table, &builtin, "Əliyev İlham ёлка 😀 e\u{301}", "after three registrations");
    }
}
