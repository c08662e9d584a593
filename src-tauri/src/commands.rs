//! Thin commands: arguments in, one core call, a DTO out.

use caliber_core::notify::NotifyPrefs;
use caliber_core::{ArticleQuery, Core};
use chrono::{DateTime, Utc};
use tauri::{AppHandle, Runtime, State};

use crate::dto::*;
use crate::error::{IpcError, IpcResult};
use crate::settings::{NotifyPrefsPatch, Settings, SettingsPatch};
use crate::state::AppState;

const PAGE: u32 = 30;

fn edition_language(code: &str) -> IpcResult<String> {
    Core::editions()
        .into_iter()
        .find(|e| e.code == code)
        .map(|e| e.language)
        .ok_or_else(|| IpcError::InvalidInput(format!("no edition {code:?}")))
}

#[tauri::command]
pub async fn list_articles(state: State<'_, AppState>, query: ArticleListQuery) -> IpcResult<ArticlePage> {
    let limit = query.limit.unwrap_or(PAGE).clamp(1, 200);
    let before = match query.before {
        Some(c) => Some((DateTime::parse_from_rfc3339(&c.published_at).map_err(|e| IpcError::InvalidInput(e.to_string()))?.with_timezone(&Utc), c.id)),
        None => None,
    };
    let language = query.edition.as_deref().map(edition_language).transpose()?;
    let articles = state.core.articles(&ArticleQuery {
        limit: Some(limit),
        category: query.section,
        language,
        saved_only: query.saved_only,
        unread_only: query.unread_only,
        before,
        ..Default::default()
    })?;
    // A stored permit: the launch's sync may start once this answer is on its way.
    state.first_list_served.notify_one();
    let next = (articles.len() as u32 == limit)
        .then(|| articles.last().map(|a| Cursor { published_at: a.published_at.to_rfc3339(), id: a.id }))
        .flatten();
    Ok(ArticlePage { items: articles.iter().map(ArticleSummary::from).collect(), next })
}

#[tauri::command]
pub async fn get_article(state: State<'_, AppState>, id: i64) -> IpcResult<ArticleDetail> {
    Ok(ArticleDetail::from(&state.core.article(id)?))
}

#[tauri::command]
pub async fn search_articles(state: State<'_, AppState>, query: String, limit: Option<u32>) -> IpcResult<Vec<SearchHit>> {
    // Search as you type: each keystroke asks again. One that waited (for the database, or
    // for a slower search) while the reader typed on is not run; the UI drops its answer.
    use std::sync::atomic::Ordering;
    let ticket = state.search_sequence.fetch_add(1, Ordering::SeqCst) + 1;
    let still_wanted = || state.search_sequence.load(Ordering::SeqCst) == ticket;
    let hits = state
        .core
        .search_if(&query, limit.unwrap_or(30).clamp(1, 100), still_wanted)?
        .ok_or_else(|| IpcError::Superseded(format!("search for {query:?} superseded by a newer one")))?;
    Ok(hits.iter().map(|h| SearchHit { article: (&h.article).into(), snippet_html: snippet_html(&h.snippet) }).collect())
}

#[tauri::command]
pub async fn mark_article(state: State<'_, AppState>, id: i64, read: Option<bool>, saved: Option<bool>) -> IpcResult<ArticleSummary> {
    Ok(ArticleSummary::from(&state.core.mark(id, read, saved)?))
}

#[tauri::command]
pub async fn list_sections(state: State<'_, AppState>, edition: Option<String>) -> IpcResult<Vec<SectionDto>> {
    Ok(state.core.edition_sections(edition.as_deref(), 20)?.into_iter().map(SectionDto::from).collect())
}

#[tauri::command]
pub async fn story_in_other_editions(state: State<'_, AppState>, id: i64) -> IpcResult<Vec<StoryEditionDto>> {
    Ok(state.core.story_in_other_editions(id)?.into_iter().map(StoryEditionDto::from).collect())
}

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> IpcResult<Settings> {
    Settings::load(&state.core, &state.system_locale)
}

#[tauri::command]
pub async fn update_settings(state: State<'_, AppState>, settings: SettingsPatch) -> IpcResult<Settings> {
    let relay_changed = settings.relay_url.is_some();
    let updated = Settings::load(&state.core, &state.system_locale)?.apply(settings)?;
    updated.save(&state.core)?;
    if relay_changed {
        state.relay.reconnect();
    }
    state.push.changed();
    Ok(updated)
}

/// Change only the alert preferences named in `patch` (read, changed and stored here, so the
/// UI never writes back a whole copy it read earlier).
#[tauri::command]
pub async fn update_notify_prefs(state: State<'_, AppState>, patch: NotifyPrefsPatch) -> IpcResult<NotifyPrefs> {
    let settings = Settings::load(&state.core, &state.system_locale)?;
    let notifications = patch.apply_to(settings.notifications.clone());
    let updated = settings.apply(SettingsPatch { notifications: Some(notifications), ..Default::default() })?;
    updated.save(&state.core)?;
    state.push.changed();
    Ok(updated.notifications)
}

#[tauri::command]
pub async fn list_sources(state: State<'_, AppState>) -> IpcResult<Vec<SourceDto>> {
    Ok(state.core.sources()?.iter().map(SourceDto::from).collect())
}

#[tauri::command]
pub async fn add_source(state: State<'_, AppState>, url: String) -> IpcResult<SourceDto> {
    let added = state.core.add_sources(&[url], None)?;
    added.first().map(|(s, _)| SourceDto::from(s)).ok_or_else(|| IpcError::Internal("source not added".into()))
}

#[tauri::command]
pub async fn remove_source(state: State<'_, AppState>, url: String) -> IpcResult<SourceRemovalDto> {
    let removed = state.core.remove_source(&url)?.ok_or_else(|| IpcError::NotFound(format!("no source {url}")))?;
    Ok(SourceRemovalDto::from(removed))
}

#[tauri::command]
pub async fn import_opml(state: State<'_, AppState>, text: String) -> IpcResult<u32> {
    // Outlines the core could not use are left out; the count says how many were added.
    Ok(state.core.import_opml(&text)?.added.iter().filter(|(_, new)| *new).count() as u32)
}

#[tauri::command]
pub async fn export_opml(state: State<'_, AppState>) -> IpcResult<String> {
    Ok(state.core.export_opml()?)
}

fn editions(core: &Core) -> IpcResult<Vec<EditionDto>> {
    Ok(core.editions_followed()?.into_iter().map(|(e, followed)| EditionDto::new(e, followed)).collect())
}

#[tauri::command]
pub async fn list_editions(state: State<'_, AppState>) -> IpcResult<Vec<EditionDto>> {
    editions(&state.core)
}

#[tauri::command]
pub async fn set_edition_followed(state: State<'_, AppState>, code: String, followed: bool) -> IpcResult<Vec<EditionDto>> {
    if followed {
        state.core.follow_edition(&code)?;
    } else {
        state.core.unfollow_edition(&code)?;
    }
    // The relay stream asks for the followed editions.
    state.relay.reconnect();
    state.push.changed();
    editions(&state.core)
}

#[tauri::command]
pub async fn sync_now<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> IpcResult<SyncSummary> {
    Ok(state.sync(&app).await?.1)
}

/// Show a notification now (Settings → "send test notification"), bypassing the policy.
#[tauri::command]
pub async fn send_test_notification<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> IpcResult<()> {
    let settings = Settings::load(&state.core, &state.system_locale)?;
    let newest = state.core.articles(&ArticleQuery { limit: Some(1), ..Default::default() })?;
    let notice = match newest.first() {
        Some(a) => caliber_core::notify::Notice::Article {
            article_id: a.id,
            title: a.title.clone(),
            source: a.source_name.clone(),
            breaking: a.is_breaking,
        },
        None => caliber_core::notify::Notice::Summary { count: 0 },
    };
    crate::notifications::deliver(&app, vec![notice], &settings.ui_language);
    Ok(())
}

/// Hold alerts back for a while (they come back as one summary).
#[tauri::command]
pub async fn pause_alerts(state: State<'_, AppState>, minutes: u32) -> IpcResult<Settings> {
    crate::tray::pause_alerts(&state, minutes)
}

/// Whether the push relay's stream is open (Settings → Alerts).
#[tauri::command]
pub async fn relay_status(state: State<'_, AppState>) -> IpcResult<RelayStatus> {
    Ok(state.relay.status())
}

#[tauri::command]
pub async fn storage_stats(state: State<'_, AppState>) -> IpcResult<StorageStats> {
    let (images, image_bytes) = state.core.image_stats()?;
    let database_bytes = std::fs::metadata(state.core.db_path()).map(|m| m.len()).unwrap_or(0);
    Ok(StorageStats { articles: state.core.article_count()?, images, image_bytes, database_bytes })
}

/// The platform's share sheet for an article's canonical link (phones). On desktop there
/// is none: the UI falls back to `navigator.share` or its own share menu.
#[tauri::command]
pub async fn share_article<R: Runtime>(window: tauri::WebviewWindow<R>, state: State<'_, AppState>, id: i64) -> IpcResult<()> {
    let article = state.core.article(id)?;
    let url = article.url.ok_or_else(|| IpcError::InvalidInput("this article has no link to share".into()))?;
    share_sheet(window, format!("{}\n{url}", article.title))
}

#[cfg(mobile)]
fn share_sheet<R: Runtime>(window: tauri::WebviewWindow<R>, text: String) -> IpcResult<()> {
    use tauri::Manager;
    use tauri_plugin_sharekit::ShareExt;
    let app = window.app_handle().clone();
    app.share()
        .share_text(window, text, tauri_plugin_sharekit::ShareTextOptions { mime_type: Some("text/plain".into()), ..Default::default() })
        .map_err(|e| IpcError::Internal(e.to_string()))
}

#[cfg(desktop)]
fn share_sheet<R: Runtime>(_window: tauri::WebviewWindow<R>, _text: String) -> IpcResult<()> {
    Err(IpcError::InvalidInput("no system share sheet on this platform".into()))
}
