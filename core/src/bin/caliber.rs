//! `caliber`: the command-line face of caliber-core. Its flags and JSON shapes are a
//! contract used by checks outside the project; change them only additively.

use std::borrow::Cow;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use caliber_core::{
    Article, ArticleQuery, Core, CoreConfig, DB_FILE_NAME, FetchOptions, HttpClient, MARK_END, MARK_START, SourceKind,
    SyncEvent, SyncStatus,
};
use clap::{Args, Parser, Subcommand, ValueEnum};
use serde_json::{Value, json};

/// `println!` for a command's output, but a failed write (a full disk, a file closed under
/// it) is the command's error, reported as any other, where `println!` panics with a
/// backtrace. Only inside `run`.
macro_rules! say {
    ($($arg:tt)*) => {
        writeln!(std::io::stdout(), $($arg)*)?
    };
}

/// Must match the Tauri app's identifier so both open the same database.
const APP_IDENTIFIER: &str = "az.caliber.reader";

#[derive(Parser)]
#[command(name = "caliber", version, about = "Caliber Reader: sync news feeds into SQLite, read and search offline")]
struct Cli {
    /// Database file [default: caliber.db in $CALIBER_DATA_DIR, else in the platform data dir]
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Manage the sources that are synced
    #[command(subcommand)]
    Sources(SourcesCommand),
    /// Fetch every source once and store what is new (and its pictures)
    Sync {
        #[arg(long)]
        json: bool,
        /// Do not download pictures for offline reading
        #[arg(long)]
        no_images: bool,
    },
    /// The site's editions (languages) and which are followed
    #[command(subcommand)]
    Editions(EditionsCommand),
    /// Pictures stored for offline reading
    #[command(subcommand)]
    Images(ImagesCommand),
    /// List stored articles, newest first
    Articles(ArticlesArgs),
    /// Full-text search over stored articles
    Search {
        #[arg(allow_hyphen_values = true)]
        query: String,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Show one article
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Set an article's read/saved marks
    Mark(MarkArgs),
}

#[derive(Subcommand)]
enum SourcesCommand {
    /// Add sources (no network access; the kind is detected at the first sync unless given)
    Add {
        #[arg(required = true)]
        urls: Vec<String>,
        #[arg(long, value_enum)]
        kind: Option<KindArg>,
    },
    /// List sources with their last sync state
    List {
        #[arg(long)]
        json: bool,
    },
    /// Remove a source and its articles (saved ones included)
    Remove { url: String },
    /// Add every feed listed in an OPML file
    Import { file: PathBuf },
    /// Print all sources as OPML
    Export,
}

#[derive(Subcommand)]
enum EditionsCommand {
    /// List the editions and whether each is followed
    List {
        #[arg(long)]
        json: bool,
    },
    /// Follow editions (adds their feed and listing sources)
    Follow {
        #[arg(required = true)]
        codes: Vec<String>,
    },
    /// Stop following editions
    Unfollow {
        #[arg(required = true)]
        codes: Vec<String>,
    },
}

#[derive(Subcommand)]
enum ImagesCommand {
    /// Count and total size of stored pictures
    Stats {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum KindArg {
    Feed,
    Site,
}

#[derive(Args)]
struct ArticlesArgs {
    #[arg(long)]
    json: bool,
    #[arg(long, default_value_t = 50)]
    limit: u32,
    /// Only articles of this source
    #[arg(long, value_name = "URL")]
    source: Option<String>,
    /// Only breaking news
    #[arg(long)]
    breaking: bool,
    /// Only saved articles
    #[arg(long)]
    saved: bool,
    /// Only unread articles
    #[arg(long)]
    unread: bool,
}

#[derive(Args)]
#[group(id = "marks", required = true, multiple = true)]
struct MarkArgs {
    id: i64,
    #[arg(long, group = "marks", conflicts_with = "unread")]
    read: bool,
    #[arg(long, group = "marks")]
    unread: bool,
    #[arg(long, group = "marks", conflicts_with = "unsave")]
    save: bool,
    #[arg(long, group = "marks")]
    unsave: bool,
}

/// A reader that stops reading (`caliber search x | head`) ends the CLI quietly, as it ends
/// any Unix tool: Rust ignores SIGPIPE, so the next `println!` panicked with a backtrace.
#[allow(unsafe_code)]
fn stop_quietly_when_stdout_closes() {
    #[cfg(unix)]
    // SAFETY: called first thing in `main`, before any other thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

fn main() -> ExitCode {
    stop_quietly_when_stdout_closes();
    caliber_core::malloc::tune_allocator(caliber_core::malloc::Host::Cli);
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            caliber_core::log_line!("caliber: {}", printable(&e.to_string()));
            ExitCode::FAILURE
        }
    }
}

fn default_db_path() -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os("CALIBER_DATA_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join(DB_FILE_NAME));
    }
    dirs::data_dir()
        .map(|d| d.join(APP_IDENTIFIER).join(DB_FILE_NAME))
        .ok_or_else(|| "no data directory on this platform; pass --db PATH or set CALIBER_DATA_DIR".into())
}

fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let db_path = match cli.db {
        Some(path) => path,
        None => default_db_path()?,
    };
    let http = HttpClient::new(FetchOptions::default());
    let mut config = CoreConfig::at(db_path, http);
    if let Command::Sync { no_images: true, .. } = cli.command {
        config.images.enabled = false;
    }
    let core = Core::open(config)?;
    match cli.command {
        Command::Sources(SourcesCommand::Add { urls, kind }) => {
            let kind = kind.map(|k| match k {
                KindArg::Feed => SourceKind::Feed,
                KindArg::Site => SourceKind::Site,
            });
            for (source, new) in core.add_sources(&urls, kind)? {
                say!("{} {}", if new { "added" } else { "exists" }, printable(&source.url));
            }
        }
        Command::Sources(SourcesCommand::List { json }) => {
            let sources = core.sources()?;
            if json {
                let list: Vec<Value> = sources
                    .iter()
                    .map(|s| {
                        json!({
                            "id": s.id, "url": s.url, "kind": s.kind.map(SourceKind::as_str), "title": s.title,
                            "language": s.language, "last_sync_at": s.last_sync_at.map(rfc3339),
                            "last_status": s.last_status.map(SyncStatus::as_str), "last_error": s.last_error,
                            "consecutive_failures": s.consecutive_failures,
                        })
                    })
                    .collect();
                say!("{}", serde_json::to_string_pretty(&list)?);
            } else {
                for s in sources {
                    let status = s.last_status.map_or("never synced", SyncStatus::as_str);
                    say!("{:>4}  {:<6} {:<13} {}{}", s.id, s.kind.map_or("?", SourceKind::as_str), status, printable(&s.url),
                        s.last_error.map(|e| format!("\n      {}", printable(&e))).unwrap_or_default());
                }
            }
        }
        Command::Sources(SourcesCommand::Remove { url }) => {
            let Some(removed) = core.remove_source(&url)? else {
                return Err(format!("no source with URL {url}").into());
            };
            say!("removed {url}: {} articles deleted, {} saved kept", removed.deleted_articles, removed.kept_saved);
        }
        Command::Sources(SourcesCommand::Import { file }) => {
            let opml = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let import = core.import_opml(&opml)?;
            for (source, new) in &import.added {
                say!("{} {}", if *new { "added" } else { "exists" }, printable(&source.url));
            }
            for rejected in &import.rejected {
                caliber_core::log_line!("skipped {}: {}", printable(&rejected.outline), printable(&rejected.reason));
            }
            if import.added.is_empty() {
                return Err(format!("no outline of {} could be imported", file.display()).into());
            }
        }
        Command::Sources(SourcesCommand::Export) => write!(std::io::stdout(), "{}", core.export_opml()?)?,
        Command::Editions(EditionsCommand::List { json }) => {
            let rows: Vec<Value> = core
                .editions_followed()?
                .into_iter()
                .map(|(e, followed)| json!({"code": e.code, "name": e.name, "language": e.language, "followed": followed}))
                .collect();
            if json {
                say!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                for r in rows {
                    say!("{} {:<3} {}", if r["followed"] == true { "*" } else { " " }, r["code"].as_str().unwrap_or(""), r["name"].as_str().unwrap_or(""));
                }
            }
        }
        Command::Editions(EditionsCommand::Follow { codes }) => {
            for code in codes {
                for (source, new) in core.follow_edition(&code)? {
                    say!("{} {}", if new { "added" } else { "exists" }, source.url);
                }
            }
        }
        Command::Editions(EditionsCommand::Unfollow { codes }) => {
            for code in codes {
                let removed = core.unfollow_edition(&code)?;
                say!("unfollowed {code}: {} articles deleted, {} saved kept", removed.deleted_articles, removed.kept_saved);
            }
        }
        Command::Images(ImagesCommand::Stats { json }) => {
            let (count, bytes) = core.image_stats()?;
            if json {
                say!("{}", json!({"count": count, "bytes": bytes}));
            } else {
                say!("{count} pictures, {:.1} MiB", bytes as f64 / 1048576.0);
            }
        }
        Command::Sync { json, .. } => {
            // For the benchmark: CPU time by phase, one line on stderr at the end.
            let phase_cpu = std::env::var_os("CALIBER_PHASE_CPU").is_some_and(|v| !v.is_empty() && v != "0");
            if phase_cpu {
                caliber_core::phases::enable();
            }
            let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
            let report = runtime.block_on(core.run_once(move |event| {
                if !json {
                    print_progress(&event);
                }
            }))?;
            for warning in report.index_error.iter().chain(&report.purge_error) {
                caliber_core::log_line!("warning: {warning}");
            }
            if phase_cpu {
                let ms: serde_json::Map<String, Value> =
                    caliber_core::phases::totals().iter().map(|(phase, nanos)| (phase.name().to_owned(), json!(*nanos as f64 / 1e6))).collect();
                caliber_core::log_line!("phase-cpu-ms: {}", Value::Object(ms));
            }
            if json {
                let sources: Vec<Value> = report
                    .sources
                    .iter()
                    .map(|s| json!({"url": s.url, "status": s.status.as_str(), "new": s.new, "updated": s.updated, "error": s.error}))
                    .collect();
                say!("{}", serde_json::to_string_pretty(&json!({ "sources": sources }))?);
            } else {
                let failed = report.sources.iter().filter(|s| s.status == SyncStatus::Error).count();
                say!("{} sources, {} new articles, {} failed", report.sources.len(), report.new_total(), failed);
                if let Some(images) = report.images {
                    say!("{} pictures stored ({:.1} MiB), {} could not be fetched", images.fetched, images.bytes as f64 / 1048576.0, images.failed);
                }
            }
        }
        Command::Articles(args) => {
            let query = ArticleQuery {
                limit: Some(args.limit),
                source_url: args.source,
                breaking_only: args.breaking,
                saved_only: args.saved,
                unread_only: args.unread,
                ..Default::default()
            };
            list_articles(&core, query, args.json)?;
        }
        Command::Search { query, json, limit } => {
            let hits = core.search(&query, limit)?;
            let articles: Vec<Article> = hits.iter().map(|h| h.article.clone()).collect();
            let snippets: Vec<String> = hits.iter().map(|h| h.snippet.replace(MARK_START, "[").replace(MARK_END, "]")).collect();
            print_articles(&articles, json, Some(&snippets))?;
        }
        Command::Show { id, json } => {
            let article = core.article(id)?;
            if json {
                say!("{}", serde_json::to_string_pretty(&article_json(&article))?);
            } else {
                say!("{}\n{} · {}\n{}\n\n{}", printable(&article.title), rfc3339(article.published_at),
                    printable(article.url.as_deref().unwrap_or("")), printable(&article.categories.join(", ")),
                    printable(&caliber_core::html_to_text(article.content_html.as_deref().unwrap_or(""))));
            }
        }
        Command::Mark(m) => {
            let read = if m.read { Some(true) } else if m.unread { Some(false) } else { None };
            let saved = if m.save { Some(true) } else if m.unsave { Some(false) } else { None };
            let a = core.mark(m.id, read, saved)?;
            say!("{}: read={} saved={}", a.id, a.read, a.saved);
        }
    }
    // What is still buffered (an OPML export's last line) would otherwise be written at exit,
    // where a failure goes unreported.
    std::io::stdout().flush()?;
    Ok(())
}

/// A line per source as the sync goes. A line that cannot be written is dropped: the sync
/// goes on, and the report it prints at the end meets the same failure and returns it.
fn print_progress(event: &SyncEvent) {
    let mut out = std::io::stdout();
    let _ = match event {
        SyncEvent::Started { .. } => Ok(()),
        SyncEvent::Finished { url, status: SyncStatus::NotModified, .. } => writeln!(out, "unchanged {}", printable(url)),
        SyncEvent::Finished { url, new, updated, .. } => writeln!(out, "ok        {}: {new} new, {updated} updated", printable(url)),
        SyncEvent::Failed { url, error, .. } => writeln!(out, "error     {}: {}", printable(url), printable(error)),
    };
}

/// Text from feeds and servers, safe to print in a table: control characters could move
/// the cursor or, with OSC 52, write the terminal's clipboard. Line breaks become spaces.
fn printable(text: &str) -> Cow<'_, str> {
    if !text.contains(char::is_control) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().filter_map(|c| if matches!(c, '\t' | '\n' | '\r') { Some(' ') } else { (!c.is_control()).then_some(c) }).collect())
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn article_json(a: &Article) -> Value {
    json!({
        "id": a.id, "source_url": a.source_url, "url": a.url, "title": a.title, "summary": a.summary,
        "content_html": a.content_html, "author": a.author, "categories": a.categories,
        "published_at": rfc3339(a.published_at), "image_url": a.image_url, "views": a.views,
        "is_breaking": a.is_breaking, "read": a.read, "saved": a.saved,
        "guid": a.guid, "updated_at": a.updated_at.map(rfc3339), "language": a.language,
    })
}

/// Articles are read and written a page at a time: `caliber articles --json --limit 100000`
/// (an export of every article) holds one page, not every article, its JSON value and the
/// whole document at once (BENCHMARKS.md, "the CLI's listing a page at a time").
const LIST_PAGE: u32 = 200;

/// `query`'s articles, newest first, up to its limit, printed as `print_articles` prints a
/// list: read a page at a time by the store's keyset (published, id), so articles published
/// at the same second are neither repeated nor skipped at a page's end.
fn list_articles(core: &Core, mut query: ArticleQuery, json: bool) -> Result<(), Box<dyn std::error::Error>> {
    let mut out = ArticlesOut::start(json);
    let mut left = query.limit.unwrap_or(u32::MAX);
    while left > 0 {
        let want = left.min(LIST_PAGE);
        query.limit = Some(want);
        let page = core.articles(&query)?;
        for a in &page {
            out.article(a, None)?;
        }
        let Some(last) = page.last().filter(|_| page.len() == want as usize) else { break };
        query.before = Some((last.published_at, last.id));
        left -= want;
    }
    Ok(out.finish()?)
}

fn print_articles(articles: &[Article], json: bool, snippets: Option<&[String]>) -> Result<(), Box<dyn std::error::Error>> {
    let mut out = ArticlesOut::start(json);
    for (i, a) in articles.iter().enumerate() {
        out.article(a, snippets.and_then(|s| s.get(i)))?;
    }
    Ok(out.finish()?)
}

/// A list of articles written as it is read: one JSON array (as `to_string_pretty` would
/// write the whole list), or a table with a header.
struct ArticlesOut {
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    json: bool,
    written: usize,
    scratch: Vec<u8>,
}

impl ArticlesOut {
    fn start(json: bool) -> Self {
        Self { out: std::io::BufWriter::new(std::io::stdout().lock()), json, written: 0, scratch: Vec::new() }
    }

    fn article(&mut self, a: &Article, snippet: Option<&String>) -> Result<(), Box<dyn std::error::Error>> {
        let out = &mut self.out;
        if self.json {
            let mut v = article_json(a);
            if let Some(snippet) = snippet {
                v["snippet"] = Value::String(snippet.clone());
            }
            self.scratch.clear();
            serde_json::to_writer_pretty(&mut self.scratch, &v)?;
            out.write_all(if self.written == 0 { b"[\n  " } else { b",\n  " })?;
            // One level deeper than on its own: JSON strings hold no raw line feeds, so every
            // line feed in the element starts one of its lines.
            for (i, line) in self.scratch.split(|&b| b == b'\n').enumerate() {
                if i > 0 {
                    out.write_all(b"\n  ")?;
                }
                out.write_all(line)?;
            }
        } else {
            if self.written == 0 {
                writeln!(out, "{:>6}  {:<16}  {:<3}  TITLE", "ID", "PUBLISHED (UTC)", "")?;
            }
            let flags = format!("{}{}{}", if a.is_breaking { "!" } else { " " }, if a.read { " " } else { "•" }, if a.saved { "★" } else { " " });
            let title: String = printable(&a.title).chars().take(90).collect();
            writeln!(out, "{:>6}  {:<16}  {flags}  {title}", a.id, a.published_at.format("%Y-%m-%d %H:%M"))?;
            if let Some(snippet) = snippet {
                writeln!(out, "{:>6}  {:<16}       {}", "", "", printable(snippet).chars().take(120).collect::<String>())?;
            }
        }
        self.written += 1;
        Ok(())
    }

    fn finish(mut self) -> std::io::Result<()> {
        let end: &[u8] = match (self.json, self.written) {
            (true, 0) => b"[]\n",
            (true, _) => b"\n]\n",
            (false, 0) => b"no articles\n",
            (false, _) => b"",
        };
        self.out.write_all(end)?;
        self.out.flush()
    }
}
