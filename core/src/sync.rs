//! One sync pass over every source: fetch (bounded concurrency) → parse and sanitise
//! (one worker per core) → a single writer committing each source in its own transaction.
//! A bounded queue between workers and the writer keeps memory flat on large syncs.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc};
use url::Url;

use crate::breaking::is_breaking;
use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::fetch::{FetchOutcome, Fetched, HttpClient, Validators};
use crate::model::{Retention, Source, SourceKind, SourceReport, SyncEvent, SyncReport, SyncStatus};
use crate::parse::{RawItem, parse_feed};
use crate::sanitize::{html_to_text, sanitize_html, truncate_words};
use crate::store::{PreparedArticle, SourceUpdate, Store};

const SUMMARY_CHARS: usize = 280;

pub type Progress = Arc<dyn Fn(SyncEvent) + Send + Sync>;

pub(crate) struct SyncContext {
    pub db_path: PathBuf,
    pub http: HttpClient,
    pub clock: Arc<dyn Clock>,
    pub retention: Retention,
    pub cpu_workers: usize,
}

enum WriteJob {
    Articles { source: Source, update: SourceUpdate, articles: Vec<PreparedArticle> },
    NotModified { source: Source, moved_to: Option<String> },
    Failed { source: Source, error: String },
}

pub(crate) async fn run_once(ctx: Arc<SyncContext>, progress: Progress) -> Result<SyncReport> {
    let sources = Store::open(&ctx.db_path)?.sources()?;
    let (jobs, job_queue) = mpsc::channel::<WriteJob>(2);
    let writer = {
        let ctx = ctx.clone();
        let progress = progress.clone();
        tokio::task::spawn_blocking(move || write_all(&ctx, job_queue, &progress))
    };

    let fetch_slots = Arc::new(Semaphore::new(ctx.http.options().concurrency.max(1)));
    let cpu_slots = Arc::new(Semaphore::new(ctx.cpu_workers.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for source in sources {
        let (ctx, progress, jobs) = (ctx.clone(), progress.clone(), jobs.clone());
        let (fetch_slots, cpu_slots) = (fetch_slots.clone(), cpu_slots.clone());
        tasks.spawn(async move {
            let fetched = {
                let _slot = fetch_slots.acquire().await;
                progress(SyncEvent::Started { source_id: source.id, url: source.url.clone() });
                let validators = Validators { etag: source.etag.clone(), last_modified: source.last_modified.clone() };
                ctx.http.get(&source.url, &validators).await
            };
            let job = match fetched {
                Err(e) => WriteJob::Failed { source, error: e.to_string() },
                Ok(FetchOutcome::NotModified { moved_to }) => WriteJob::NotModified { source, moved_to },
                Ok(FetchOutcome::Fetched(fetched)) => {
                    let _slot = cpu_slots.acquire().await;
                    let db_path = ctx.db_path.clone();
                    let failed_source = source.clone();
                    tokio::task::spawn_blocking(move || prepare(&db_path, source, fetched))
                        .await
                        .unwrap_or_else(|e| WriteJob::Failed { source: failed_source, error: format!("internal error: {e}") })
                }
            };
            // The writer only stops early if it panicked; the join below reports that.
            let _ = jobs.send(job).await;
        });
    }
    drop(jobs);
    while let Some(joined) = tasks.join_next().await {
        joined.map_err(|e| Error::SyncAborted(e.to_string()))?;
    }
    writer.await.map_err(|e| Error::SyncAborted(e.to_string()))?
}

/// CPU side of one source: parse, skip items whose hash is unchanged, sanitise the rest.
fn prepare(db_path: &std::path::Path, source: Source, fetched: Fetched) -> WriteJob {
    let parsed = match parse_feed(&fetched.body, &fetched.final_url, fetched.content_type.as_deref()) {
        Ok(parsed) => parsed,
        Err(e) => return WriteJob::Failed { source, error: e.to_string() },
    };
    drop(fetched.body);
    let known = if source.last_sync_at.is_some() {
        match Store::open_read_only(db_path).and_then(|s| s.article_hashes(source.id)) {
            Ok(known) => known,
            Err(e) => return WriteJob::Failed { source, error: e.to_string() },
        }
    } else {
        Default::default()
    };
    let articles = parsed
        .items
        .into_iter()
        .filter(|item| known.get(&item.guid) != Some(&item.hash))
        .map(prepare_article)
        .collect();
    let update = SourceUpdate {
        new_url: fetched.moved_to,
        kind: Some(SourceKind::Feed),
        title: parsed.title,
        language: parsed.language,
        etag: fetched.validators.etag,
        last_modified: fetched.validators.last_modified,
    };
    WriteJob::Articles { source, update, articles }
}

pub(crate) fn prepare_article(item: RawItem) -> PreparedArticle {
    let base: &Url = &item.base;
    let content_html = item.content_html.as_deref().or(item.summary_html.as_deref()).map(|html| sanitize_html(html, base));
    let body_text = content_html.as_deref().map(html_to_text).unwrap_or_default();
    let summary = match &item.summary_html {
        Some(summary) if item.content_html.is_some() => html_to_text(&sanitize_html(summary, base)),
        _ => body_text.clone(),
    };
    let summary = Some(truncate_words(&summary, SUMMARY_CHARS)).filter(|s| !s.is_empty());
    PreparedArticle {
        is_breaking: is_breaking(&item.title, &item.categories),
        guid: item.guid,
        url: item.link,
        title: item.title,
        summary,
        content_html: content_html.filter(|h| !h.trim().is_empty()),
        body_text,
        author: item.author,
        categories: item.categories,
        published_at: item.published,
        updated_at: item.updated,
        image_url: item.image_url,
        language: item.language,
        views: None,
        hash: item.hash,
    }
}

fn write_all(ctx: &SyncContext, mut queue: mpsc::Receiver<WriteJob>, progress: &Progress) -> Result<SyncReport> {
    let mut store = Store::open(&ctx.db_path)?;
    let mut report = SyncReport::default();
    while let Some(job) = queue.blocking_recv() {
        let now = ctx.clock.now();
        let (source, result) = match job {
            WriteJob::Articles { source, update, articles } => {
                let result = store.write_source(source.id, &update, &articles, ctx.retention, now).map(|o| {
                    (o.url, SyncStatus::Ok, o.new, o.updated, o.changed_ids)
                });
                (source, result)
            }
            WriteJob::NotModified { source, moved_to } => {
                let result = store.record_not_modified(source.id, moved_to.as_deref(), now).map(|url| (url, SyncStatus::NotModified, 0, 0, Vec::new()));
                (source, result)
            }
            WriteJob::Failed { source, error } => {
                let result = store.record_failure(source.id, &error, now);
                let error = match result {
                    Ok(()) => error,
                    Err(db) => format!("{error} (and recording it failed: {db})"),
                };
                progress(SyncEvent::Failed { source_id: source.id, url: source.url.clone(), error: error.clone() });
                report.sources.push(failed_report(&source, error));
                continue;
            }
        };
        let first_sync = !matches!(source.last_status, Some(SyncStatus::Ok | SyncStatus::NotModified));
        match result {
            Ok((url, status, new, updated, new_article_ids)) => {
                progress(SyncEvent::Finished { source_id: source.id, url: url.clone(), status, new, updated });
                report.sources.push(SourceReport { source_id: source.id, url, status, new, updated, error: None, new_article_ids, first_sync });
            }
            Err(e) => {
                // The source's transaction rolled back; note the failure on it if the DB lets us.
                let error = format!("could not store articles: {e}");
                let _ = store.record_failure(source.id, &error, now);
                progress(SyncEvent::Failed { source_id: source.id, url: source.url.clone(), error: error.clone() });
                report.sources.push(failed_report(&source, error));
            }
        }
    }
    report.sources.sort_by_key(|s| s.source_id);
    Ok(report)
}

fn failed_report(source: &Source, error: String) -> SourceReport {
    SourceReport {
        source_id: source.id,
        url: source.url.clone(),
        status: SyncStatus::Error,
        new: 0,
        updated: 0,
        error: Some(error),
        new_article_ids: Vec::new(),
        first_sync: !matches!(source.last_status, Some(SyncStatus::Ok | SyncStatus::NotModified)),
    }
}
