//! Row mapping: the columns every `Source` and `Article` query selects, and how a row
//! becomes one.

use rusqlite::Row;

use super::from_ts;
use crate::model::{Article, Source, SourceKind, SyncStatus};

pub(super) const SOURCE_COLUMNS: &str =
    "id, url, kind, title, language, etag, last_modified, last_sync_at, last_status, last_error, consecutive_failures, body_hash";

pub(super) fn source_from_row(r: &Row) -> rusqlite::Result<Source> {
    Ok(Source {
        id: r.get(0)?,
        url: r.get(1)?,
        kind: r.get::<_, Option<String>>(2)?.as_deref().and_then(SourceKind::parse),
        title: r.get(3)?,
        language: r.get(4)?,
        etag: r.get(5)?,
        last_modified: r.get(6)?,
        last_sync_at: r.get::<_, Option<i64>>(7)?.map(from_ts),
        last_status: r.get::<_, Option<String>>(8)?.as_deref().and_then(SyncStatus::parse),
        last_error: r.get(9)?,
        consecutive_failures: r.get(10)?,
        body_hash: r.get::<_, Option<Vec<u8>>>(11)?.and_then(|h| <[u8; 16]>::try_from(h.as_slice()).ok()),
    })
}

pub(super) const ARTICLE_COLUMNS: &str = "a.id, a.source_id, s.url, a.guid, a.url, a.title, a.summary, a.content_html, a.author,
    a.categories, a.published_at, a.updated_at, a.image_url, a.language, a.views, a.is_breaking, a.first_seen_at,
    COALESCE(st.read, 0), COALESCE(st.saved, 0), s.title";
pub(super) const ARTICLE_FROM: &str =
    "articles a JOIN sources s ON s.id = a.source_id LEFT JOIN article_state st ON st.article_id = a.id";

pub(super) fn article_from_row(r: &Row) -> rusqlite::Result<Article> {
    let source_url: String = r.get(2)?;
    let from_site = crate::site::is_site_url(&source_url);
    let source_name = if from_site {
        crate::site::data().name.clone()
    } else {
        r.get::<_, Option<String>>(19)?
            .filter(|t| !t.trim().is_empty())
            .or_else(|| url::Url::parse(&source_url).ok().and_then(|u| u.host_str().map(str::to_owned)))
            .unwrap_or_else(|| source_url.clone())
    };
    Ok(Article {
        id: r.get(0)?,
        source_id: r.get(1)?,
        source_url,
        source_name,
        from_site,
        guid: r.get(3)?,
        url: r.get(4)?,
        title: r.get(5)?,
        summary: r.get(6)?,
        content_html: r.get(7)?,
        author: r.get(8)?,
        categories: serde_json::from_str(&r.get::<_, String>(9)?).unwrap_or_default(),
        published_at: from_ts(r.get(10)?),
        updated_at: r.get::<_, Option<i64>>(11)?.map(from_ts),
        image_url: r.get(12)?,
        language: r.get(13)?,
        views: r.get(14)?,
        is_breaking: r.get(15)?,
        first_seen_at: from_ts(r.get(16)?),
        read: r.get(17)?,
        saved: r.get(18)?,
    })
}
