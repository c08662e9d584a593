//! One sync pass over every source: fetch (bounded concurrency) → parse into what the list
//! shows (one worker per core) → a single writer committing each source in its own
//! transaction, listable from then on, its bodies waiting unsanitised in the store → once
//! every source is written, the bodies are sanitised (a worker per core) and indexed. A
//! bounded queue between workers and the writer keeps memory flat on large syncs.

use std::path::PathBuf;
use std::sync::Arc;

use futures_util::StreamExt;
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;

use crate::clock::Clock;
use crate::error::{Error, FetchError, Result, SourceError};
use crate::fetch::{BudgetHold, ByteBudget, FetchOutcome, Fetched, HttpClient, Validators};
use crate::fulltext;
use crate::model::{Retention, Source, SourceKind, SourceReport, SyncEvent, SyncReport, SyncStatus};
use crate::parse::{RawItem, discover_feeds, looks_like_html, parse_feed_owned, to_utf8};
use crate::digest::document_hash;
use crate::model::PreparedArticle;
use crate::phases::{self, Phase};
use crate::prepare::{prepare_article, prepare_listing};
use crate::sanitize::html_to_text;
use crate::site;
use crate::store::{SourceUpdate, Store};

/// A source failing this many syncs in a row was "unreachable for long" (an hour at the
/// default interval): what it brings on return is a baseline, not breaking news.
const UNREACHABLE_LONG_FAILURES: u32 = 4;
/// Article pages fetched at once for one source (listing pages, full text).
const PAGES_PER_SOURCE: usize = 4;
/// Items read from one feed document when retention sets no cap per source: a feed of
/// 50,000 items is not a feed a reader can read, and each item costs a sanitise and a row.
const MAX_ITEMS_PER_DOCUMENT: usize = 10_000;
/// Bytes of fetched feed documents in flight at once, from the fetch until their articles
/// are written (fetch/budget.rs), plus one document: everyday feeds (tens to hundreds of
/// KiB) never meet it; 7 MiB ones go four at a time. 16 MiB kept the list of 20 such
/// feeds waiting on their fetches (listable 1.5 s against 1.2 s); 32 MiB took the sync's
/// peak RSS near 100 MiB (BENCHMARKS.md, issue 15).
const DOCUMENT_BYTES_IN_FLIGHT: usize = 24 * 1024 * 1024;

pub type Progress = Arc<dyn Fn(SyncEvent) + Send + Sync>;

#[derive(Clone)]
pub(crate) struct SyncContext {
    pub db_path: PathBuf,
    pub http: HttpClient,
    pub clock: Arc<dyn Clock>,
    pub retention: Retention,
    pub cpu_workers: usize,
    pub full_text: bool,
    /// Tests: end where a sync killed right after writing the last source's listing would.
    pub stop_after_listing: bool,
}

enum WriteJob {
    /// `problems`: pages that could not be read; the rest is stored.
    Articles { source: Source, update: SourceUpdate, articles: Vec<PreparedArticle>, problems: Vec<String> },
    NotModified { source: Source, moved_to: Option<String> },
    Failed { source: Source, error: SourceError, unreachable: bool },
}

/// When each source's time is up (its start plus `source_deadline`), by source id: what
/// the sync causes for a source after it (pictures) stops then too.
pub(crate) type Deadlines = std::collections::HashMap<i64, Instant>;

pub(crate) async fn run_once(ctx: Arc<SyncContext>, progress: Progress) -> Result<(SyncReport, Deadlines)> {
    let sources = Store::open(&ctx.db_path)?.sources()?;
    let deadlines = Arc::new(std::sync::Mutex::new(Deadlines::new()));
    // Each job goes with its share of the document budget, given back once it is written.
    let (jobs, job_queue) = mpsc::channel::<(WriteJob, BudgetHold)>(2);
    let writer = {
        let ctx = ctx.clone();
        let progress = progress.clone();
        tokio::task::spawn_blocking(move || write_all(&ctx, job_queue, &progress))
    };

    let fetch_slots = Arc::new(Semaphore::new(ctx.http.options().concurrency.max(1)));
    let cpu_slots = Arc::new(Semaphore::new(ctx.cpu_workers.max(1)));
    let budget = ByteBudget::new(DOCUMENT_BYTES_IN_FLIGHT);
    let mut tasks = tokio::task::JoinSet::new();
    for source in sources {
        let (ctx, progress, jobs) = (ctx.clone(), progress.clone(), jobs.clone());
        let (fetch_slots, cpu_slots) = (fetch_slots.clone(), cpu_slots.clone());
        let (deadlines, budget) = (deadlines.clone(), budget.clone());
        tasks.spawn(async move {
            // Held until the source's job is queued for the writer: at most `concurrency`
            // fetched bodies are in memory at once, however slow parsing is. And at most
            // `DOCUMENT_BYTES_IN_FLIGHT` of documents (and one more) from the fetch until
            // their articles are written, whatever shape they are in by then.
            let _slot = fetch_slots.acquire().await;
            let mut hold = BudgetHold::default();
            progress(SyncEvent::Started { source_id: source.id, url: source.url.clone() });
            let deadline = ctx.http.options().source_deadline;
            let started = Instant::now();
            crate::locks::lock(&deadlines).insert(source.id, started + deadline);
            // Pages stop being fetched a little before the deadline, so what was read is kept.
            let pages_until = started + deadline.mul_f32(0.75);
            let job = match tokio::time::timeout_at(started + deadline, sync_source(&ctx, source.clone(), &cpu_slots, pages_until, started + deadline, (&budget, &mut hold))).await {
                Ok(job) => job,
                Err(_) => WriteJob::Failed { error: past_deadline(&source.url, deadline), source, unreachable: false },
            };
            // The writer only stops early if it panicked; the join below reports that.
            let _ = jobs.send((job, hold)).await;
        });
    }
    drop(jobs);
    while let Some(joined) = tasks.join_next().await {
        joined.map_err(|e| Error::SyncAborted(e.to_string()))?;
    }
    let report = writer.await.map_err(|e| Error::SyncAborted(e.to_string()))??;
    let deadlines = std::mem::take(&mut *crate::locks::lock(&deadlines));
    Ok((report, deadlines))
}

/// Fetch one source and everything its items need; what to write.
async fn sync_source(
    ctx: &Arc<SyncContext>,
    source: Source,
    cpu_slots: &Semaphore,
    pages_until: Instant,
    deadline: Instant,
    (budget, hold): (&ByteBudget, &mut BudgetHold),
) -> WriteJob {
    let validators = Validators { etag: source.etag.clone(), last_modified: source.last_modified.clone() };
    match ctx.http.get_within(&source.url, &validators, budget, hold).await {
        Err(e) => {
            let unreachable = matches!(e, FetchError::Connect { .. } | FetchError::Timeout { .. });
            WriteJob::Failed { source, error: e.into(), unreachable }
        }
        Ok(FetchOutcome::NotModified { moved_to }) => WriteJob::NotModified { source, moved_to },
        Ok(FetchOutcome::Fetched(fetched)) => {
            let fetched = match decode_document(ctx, fetched, cpu_slots, (budget, hold)).await {
                Ok(fetched) => fetched,
                Err(error) => return WriteJob::Failed { source, error, unreachable: false },
            };
            if uses_site_adapter(&source, &fetched) {
                sync_site(ctx, source, fetched, cpu_slots, pages_until).await
            } else if source.kind.is_none() && looks_like_html(&fetched.body, fetched.content_type.as_deref()) {
                match discover_and_fetch(ctx, &fetched).await {
                    Ok(feed) => sync_feed(ctx, source, feed, cpu_slots, pages_until, deadline).await,
                    Err(error) => WriteJob::Failed { source, error, unreachable: false },
                }
            } else {
                sync_feed(ctx, source, fetched, cpu_slots, pages_until, deadline).await
            }
        }
    }
}

/// The document as the server encoded it (gzip, brotli), decoded in a CPU slot: documents
/// are inflated one per core in the order they arrived, so the first is ready for the
/// writer early, instead of eight inflating at once as they stream in and all ready late
/// (BENCHMARKS.md, "inflated in order"). The budget covers the decoded size, from the gzip
/// trailer before decoding and the real size after.
async fn decode_document(ctx: &SyncContext, fetched: Fetched, cpu_slots: &Semaphore, (budget, hold): (&ByteBudget, &mut BudgetHold)) -> Result<Fetched, SourceError> {
    let limit = ctx.http.options().max_body_bytes;
    budget.cover(hold, fetched.decoded_len_hint(limit)).await;
    let fetched = cpu(cpu_slots, move || fetched.decoded(limit)).await??;
    budget.cover(hold, fetched.body.len()).await;
    Ok(fetched)
}

/// A `site` source, or an undetected one whose page is a Caliber listing.
fn uses_site_adapter(source: &Source, fetched: &Fetched) -> bool {
    match source.kind {
        Some(SourceKind::Site) => true,
        Some(SourceKind::Feed) => false,
        None => {
            looks_like_html(&fetched.body, fetched.content_type.as_deref())
                && site::is_listing(&to_utf8(&fetched.body, fetched.content_type.as_deref()))
        }
    }
}

/// A web page added as a source: follow the first feed it announces; the source moves there.
async fn discover_and_fetch(ctx: &SyncContext, page: &Fetched) -> Result<Fetched, SourceError> {
    let html = to_utf8(&page.body, page.content_type.as_deref());
    let feeds = discover_feeds(&html, &page.final_url);
    let Some(feed_url) = feeds.first() else {
        return Err(SourceError::NoFeedAnnounced { page: page.final_url.clone() });
    };
    // The page was the reader's choice; the feed it names is the page's, so checked like one.
    match ctx.http.get_derived(feed_url, ctx.http.options().max_body_bytes, ctx.http.options().retries, &page.final_url).await {
        Ok(FetchOutcome::Fetched(mut feed)) => {
            feed.moved_to = Some(feed.moved_to.take().unwrap_or_else(|| feed.final_url.clone()));
            Ok(feed)
        }
        Ok(FetchOutcome::NotModified { .. }) => Err(SourceError::UnexpectedNotModified { url: feed_url.clone() }),
        Err(source) => Err(SourceError::AnnouncedFeedFailed { feed: feed_url.clone(), source }),
    }
}

/// Run CPU-bound work on a blocking thread, at most one per core.
async fn cpu<T: Send + 'static>(slots: &Semaphore, work: impl FnOnce() -> T + Send + 'static) -> Result<T, SourceError> {
    let _slot = slots.acquire().await;
    tokio::task::spawn_blocking(work).await.map_err(|e| SourceError::Worker(e.to_string()))
}

async fn sync_feed(
    ctx: &Arc<SyncContext>,
    source: Source,
    fetched: Fetched,
    cpu_slots: &Semaphore,
    pages_until: Instant,
    deadline: Instant,
) -> WriteJob {
    let db_path = ctx.db_path.clone();
    // Nothing stored yet: no hashes to compare against.
    let never_attempted = source.last_sync_at.is_none();
    let source_id = source.id;
    let last_body = source.body_hash;
    // More items than retention keeps would be stored only to be pruned again.
    let max_items = ctx.retention.max_per_source.map_or(MAX_ITEMS_PER_DOCUMENT, |n| (n as usize).clamp(1, MAX_ITEMS_PER_DOCUMENT));
    let (source_url, source_deadline) = (source.url.clone(), ctx.http.options().source_deadline);
    let parsed = cpu(cpu_slots, move || phases::measure(Phase::Parse, || {
        let body_hash = document_hash(&fetched.body);
        let update = SourceUpdate {
            new_url: fetched.moved_to,
            kind: Some(SourceKind::Feed),
            etag: fetched.validators.etag,
            last_modified: fetched.validators.last_modified,
            body_hash: Some(body_hash),
            ..Default::default()
        };
        // The same bytes as last time (a server that sends no validators): like a 304.
        if last_body == Some(body_hash) {
            return Ok((update, Vec::new(), Vec::new()));
        }
        let parsed = parse_feed_owned(fetched.body, &fetched.final_url, fetched.content_location.as_deref(), fetched.content_type.as_deref(), deadline.into_std());
        // Past the deadline the items were cut short (and the job is dropped anyway): stop
        // here, as preparing them does, rather than hold a core and the CLI's exit. Before the
        // parse's own verdict: cut short before its first item, it reads as a feed of none.
        if Instant::now() >= deadline {
            return Err(past_deadline(&source_url, source_deadline));
        }
        let parsed = parsed?;
        let known = if never_attempted {
            Default::default()
        } else {
            Store::open_read_only(&db_path).and_then(|s| s.article_hashes(source_id))?
        };
        let mut problems = parsed.problems;
        let mut items = parsed.items;
        let total = items.len();
        if total > max_items {
            // The newest, as retention would keep them; undated ones in the feed's order.
            items.sort_by_key(|item| std::cmp::Reverse(item.published.or(item.updated)));
            items.truncate(max_items);
            problems.insert(0, format!("the feed has {total} items; kept the newest {max_items} (by date, else the first in the feed)"));
        }
        let items: Vec<RawItem> = items
            .into_iter()
            .filter(|item| match known.get(&item.guid) {
                None => true,
                // An item stored before issue 15 is known by its SHA-256 id: unchanged if that
                // matches. (It keeps that id until it changes or leaves the feed.)
                Some(stored) => *stored != item.hash && *stored != item.id_before_xxh3(),
            })
            .collect();
        Ok::<_, SourceError>((SourceUpdate { title: parsed.title, language: parsed.language, ..update }, items, problems))
    }))
    .await
    .and_then(|r| r);
    let (update, mut items, problems) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => return WriteJob::Failed { source, error, unreachable: false },
    };
    if ctx.full_text {
        fetch_full_text(ctx, &mut items, &source.url, pages_until).await;
    }
    // A timeout cannot stop a blocking thread: past the deadline the job is dropped anyway,
    // so stop then rather than hold a core (and the CLI's exit) for nothing. Cut short,
    // nothing is written: a part stored under the document's hash would make the next sync
    // take the same bytes for "nothing new" and never store the rest. Bodies are sanitised
    // after every source is written (store/pending.rs): the list does not wait for them.
    let db_path = ctx.db_path.clone();
    let prepared = cpu(cpu_slots, move || {
        let mut articles = phases::measure(Phase::Parse, || {
            let mut articles = Vec::with_capacity(items.len());
            for item in items {
                if Instant::now() >= deadline {
                    return None;
                }
                articles.push(prepare_listing(item));
            }
            Some(articles)
        })?;
        // The bodies beside the database, so the writer stores only where they are. Should
        // that fail (a read-only or full disk), they go to the database as before, which
        // reports what is wrong.
        let _ = phases::measure(Phase::Store, || crate::store::spill_bodies(&db_path, &mut articles));
        Some(articles)
    });
    match prepared.await {
        Ok(Some(articles)) => WriteJob::Articles { source, update, articles, problems },
        Ok(None) => WriteJob::Failed { error: past_deadline(&source.url, ctx.http.options().source_deadline), source, unreachable: false },
        Err(error) => WriteJob::Failed { source, error, unreachable: false },
    }
}

/// The error of a source that ran out of time: the same wherever it was stopped.
fn past_deadline(url: &str, deadline: std::time::Duration) -> SourceError {
    SourceError::PastDeadline { url: url.to_owned(), seconds: deadline.as_secs() }
}

/// Replace summary-only items' text with the article page's, when the page has more.
/// A page that cannot be fetched or read leaves the feed's text as it is. At most
/// `max_derived_fetches` pages per source, none after `until`, none the feed may not reach.
async fn fetch_full_text(ctx: &Arc<SyncContext>, items: &mut [RawItem], source_url: &str, until: Instant) {
    let mut wanted: Vec<(usize, String, usize)> = items
        .iter()
        .enumerate()
        .filter(|(_, item)| item.content_html.is_none())
        .filter_map(|(i, item)| {
            let feed_len = html_to_text(item.summary_html.as_deref().unwrap_or("")).chars().count();
            (feed_len < fulltext::SUMMARY_ONLY_BELOW).then(|| Some((i, item.link.clone()?, feed_len))).flatten()
        })
        .collect();
    wanted.truncate(ctx.http.options().max_derived_fetches);
    let now = ctx.clock.now();
    let results: Vec<(usize, usize, Option<fulltext::FullText>)> = futures_util::stream::iter(wanted)
        .map(|(i, link, feed_len)| async move {
            // One attempt: a page that fails keeps the feed's text rather than stall the sync.
            let page = match ctx.http.get_derived(&link, ctx.http.options().max_body_bytes, 0, source_url).await {
                Ok(FetchOutcome::Fetched(page)) => page,
                _ => return (i, feed_len, None),
            };
            let extracted = tokio::task::spawn_blocking(move || {
                let html = to_utf8(&page.body, page.content_type.as_deref());
                fulltext::extract(&html, &page.final_url, now)
            })
            .await
            .ok()
            .flatten();
            (i, feed_len, extracted)
        })
        .buffer_unordered(PAGES_PER_SOURCE)
        .take_until(tokio::time::sleep_until(until))
        .collect()
        .await;
    for (i, feed_len, extracted) in results {
        let Some(full) = extracted.filter(|f| f.text_len > feed_len) else { continue };
        let item = &mut items[i];
        item.content_html = Some(full.html);
        item.image_url = item.image_url.take().or(full.image_url);
        item.author = item.author.take().or(full.author);
        item.views = full.views;
    }
}

async fn sync_site(ctx: &Arc<SyncContext>, source: Source, fetched: Fetched, cpu_slots: &Semaphore, pages_until: Instant) -> WriteJob {
    let now = ctx.clock.now();
    let db_path = ctx.db_path.clone();
    let page_url = fetched.final_url.clone();
    let body = std::mem::take(&mut { fetched.body });
    let content_type = fetched.content_type.clone();
    let listed = cpu(cpu_slots, move || {
        let html = to_utf8(&body, content_type.as_deref());
        let cards = site::parse_listing(&html, &page_url, now)?;
        let urls: Vec<String> = cards.iter().map(|c| c.url.clone()).collect();
        let known = Store::open_read_only(&db_path).and_then(|s| s.stored_urls(&urls))?;
        Ok::<_, SourceError>(cards.into_iter().filter(|c| !known.contains(&c.url)).collect::<Vec<_>>())
    })
    .await
    .and_then(|r| r);
    let mut cards = match listed {
        Ok(cards) => cards,
        Err(error) => return WriteJob::Failed { source, error, unreachable: false },
    };
    // Pages beyond the cap, or not reached by the deadline, wait for the next sync (the
    // listing is read again then: see the validators below).
    let wanted = cards.len();
    cards.truncate(ctx.http.options().max_derived_fetches);
    let listing_url = fetched.final_url.clone();
    let listing_url = &listing_url;
    let results: Vec<Result<PreparedArticle, SourceError>> = futures_util::stream::iter(cards)
        .map(|card| async move {
            let page = match ctx.http.get_derived(&card.url, ctx.http.options().max_body_bytes, ctx.http.options().retries, listing_url).await {
                Ok(FetchOutcome::Fetched(page)) => page,
                Ok(FetchOutcome::NotModified { .. }) => return Err(SourceError::UnexpectedNotModified { url: card.url }),
                Err(e) => return Err(e.into()),
            };
            tokio::task::spawn_blocking(move || {
                let html = to_utf8(&page.body, page.content_type.as_deref());
                Ok(prepare_article(site::parse_article(&html, &page.final_url, Some(&card), now)?))
            })
            .await
            .map_err(|e| SourceError::Worker(e.to_string()))?
        })
        .buffer_unordered(PAGES_PER_SOURCE)
        .take_until(tokio::time::sleep_until(pages_until))
        .collect()
        .await;
    let deferred = wanted > results.len();
    let mut articles = Vec::with_capacity(results.len());
    let mut unreadable = Vec::new();
    for result in results {
        match result {
            Ok(article) => articles.push(article),
            Err(e) => unreadable.push(e),
        }
    }
    if articles.is_empty() && !unreadable.is_empty() {
        let count = unreadable.len();
        let first = unreadable.swap_remove(0);
        return WriteJob::Failed { source, error: if count == 1 { first } else { SourceError::PagesUnreadable { count, first: Box::new(first) } }, unreachable: false };
    }
    let problems: Vec<String> = unreadable.iter().map(ToString::to_string).collect();
    // With pages left unread, forget the validators so the next sync reads the listing again.
    let (etag, last_modified) = if problems.is_empty() && !deferred {
        (fetched.validators.etag, fetched.validators.last_modified)
    } else {
        (None, None)
    };
    let update = SourceUpdate {
        new_url: fetched.moved_to,
        kind: Some(SourceKind::Site),
        // The site's name only where it is the site: a look-alike page is named by its host.
        title: if site::is_site_url(&fetched.final_url) {
            Some(site::data().name.clone())
        } else {
            url::Url::parse(&fetched.final_url).ok().and_then(|u| u.host_str().map(str::to_owned))
        },
        language: site::language_of(&fetched.final_url),
        etag,
        last_modified,
        // Listings are compared by the article URLs they hold, not by their bytes.
        body_hash: None,
    };
    WriteJob::Articles { source, update, articles, problems }
}

fn summarize_problems(problems: &[String]) -> String {
    match problems {
        [] => String::new(),
        [only] => only.clone(),
        [first, ..] => format!("{} article pages could not be read; first: {first}", problems.len()),
    }
}

fn write_all(ctx: &SyncContext, mut queue: mpsc::Receiver<(WriteJob, BudgetHold)>, progress: &Progress) -> Result<SyncReport> {
    let mut store = Store::open(&ctx.db_path)?;
    let mut report = SyncReport::default();
    // `_budget` is dropped at the end of each turn, once the job is written.
    while let Some((job, _budget)) = queue.blocking_recv() {
        let now = ctx.clock.now();
        let (source, result, problems) = match job {
            WriteJob::Articles { source, update, articles, problems } => {
                let result = phases::measure(Phase::Store, || store.write_source(source.id, &update, &articles, ctx.retention, now))
                    .map(|o| (o.url, SyncStatus::Ok, o.new, o.updated, o.changed_ids));
                (source, result, problems)
            }
            WriteJob::NotModified { source, moved_to } => {
                let result = store
                    .record_not_modified(source.id, moved_to.as_deref(), now)
                    .map(|url| (url, SyncStatus::NotModified, 0, 0, Vec::new()));
                (source, result, Vec::new())
            }
            WriteJob::Failed { source, error, unreachable } => {
                let error = record_failure(&store, &source, error.to_string(), now)?;
                progress(SyncEvent::Failed { source_id: source.id, url: source.url.clone(), error: error.clone() });
                report.sources.push(SourceReport { unreachable, ..failed_report(&source, error) });
                continue;
            }
        };
        let first_sync = never_synced(&source);
        match result {
            Ok((url, status, new, updated, changed_article_ids)) => {
                let mut error = (!problems.is_empty()).then(|| summarize_problems(&problems));
                if let Some(problem) = &mut error
                    && let Err(db) = store.record_problem(source.id, problem)
                {
                    if db.is_disk_full() {
                        return Err(db);
                    }
                    *problem = format!("{problem} (and recording it failed: {db})");
                }
                progress(SyncEvent::Finished { source_id: source.id, url: url.clone(), status, new, updated });
                report.sources.push(SourceReport {
                    source_id: source.id,
                    url,
                    status,
                    new,
                    updated,
                    error,
                    changed_article_ids,
                    first_sync,
                    baseline: first_sync || source.consecutive_failures >= UNREACHABLE_LONG_FAILURES,
                    unreachable: false,
                });
            }
            // A full disk is not this source's failure: every source after it would hit it
            // too, and recording it on each would fail as well. The source's transaction
            // rolled back; the sync stops with the one clear error.
            Err(e) if e.is_disk_full() => return Err(e),
            Err(e) => {
                // The source's transaction rolled back; note the failure on it if the DB lets us.
                let error = record_failure(&store, &source, format!("could not store articles: {e}"), now)?;
                progress(SyncEvent::Failed { source_id: source.id, url: source.url.clone(), error: error.clone() });
                report.sources.push(failed_report(&source, error));
            }
        }
    }
    if ctx.stop_after_listing {
        return Ok(report);
    }
    // Every article is listable by now. Its body is sanitised next, and searching finds it
    // once it is indexed. A failure here loses nothing: what waits stays for the next sync.
    match store.sanitize_pending(ctx.cpu_workers) {
        Ok(_) => {}
        Err(e) if e.is_disk_full() => return Err(e),
        Err(e) => report.index_error = Some(format!("could not prepare article bodies: {e}")),
    }
    match phases::measure(Phase::Index, || store.index_pending()) {
        Ok(_) => {}
        // The articles are stored and stay queued; the reader must still hear why the sync failed.
        Err(e) if e.is_disk_full() => return Err(e),
        Err(e) => report.index_error = Some(format!("could not update the search index: {e}")),
    }
    // What the reader unsaved under a removed source goes now; a failure leaves it for next time.
    match store.purge_removed_sources() {
        Ok(_) => {}
        Err(e) if e.is_disk_full() => return Err(e),
        Err(e) => report.purge_error = Some(format!("could not drop unsaved articles of removed sources: {e}")),
    }
    report.sources.sort_by_key(|s| s.source_id);
    Ok(report)
}

/// Record a source's failure on it; the text to report, which says so if recording failed.
/// A full disk stops the whole sync: every source after this one would hit it too.
fn record_failure(store: &Store, source: &Source, error: String, now: chrono::DateTime<chrono::Utc>) -> Result<String> {
    match store.record_failure(source.id, &error, now) {
        Ok(()) => Ok(error),
        Err(db) if db.is_disk_full() => Err(db),
        Err(db) => Ok(format!("{error} (and recording it failed: {db})")),
    }
}

/// No sync of this source has succeeded before this one.
fn never_synced(source: &Source) -> bool {
    !matches!(source.last_status, Some(SyncStatus::Ok | SyncStatus::NotModified))
}

fn failed_report(source: &Source, error: String) -> SourceReport {
    SourceReport {
        source_id: source.id,
        url: source.url.clone(),
        status: SyncStatus::Error,
        new: 0,
        updated: 0,
        error: Some(error),
        changed_article_ids: Vec::new(),
        first_sync: never_synced(source),
        baseline: false,
        unreachable: false,
    }
}
