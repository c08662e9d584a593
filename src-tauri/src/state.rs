//! What the shell keeps between commands: the core, and one sync at a time.

use std::path::PathBuf;
use std::sync::Arc;

use caliber_core::{Core, CoreConfig, FetchOptions, HttpClient, SyncReport};
use tauri::{AppHandle, Emitter, Runtime};

use crate::dto::{SyncProgressEvent, SyncSummary};
use crate::error::IpcResult;
use crate::events;
use crate::notifications;
use crate::settings::Settings;
use chrono::Offset;

pub struct AppState {
    pub core: Arc<Core>,
    pub system_locale: String,
    sync_lock: tokio::sync::Mutex<()>,
    /// The relay client's status (relay_client.rs), and its wake-up when the relay address
    /// or the followed editions change.
    pub relay: crate::relay_client::RelayHandle,
    /// The phone's push registration (push.rs) and its wake-up on a change of settings.
    pub push: crate::push::PushHandle,
    /// Searches asked for so far: one still waiting when a newer one arrives is not run.
    pub search_sequence: std::sync::atomic::AtomicU64,
    /// Set when the window has been given its first list: the launch's sync waits for it.
    pub first_list_served: tokio::sync::Notify,
    /// Syncs asked for since launch (the reader's and the loop's), and whether the last
    /// one to finish reached every source: `launch_sync` reads them.
    syncs_begun: std::sync::atomic::AtomicU64,
    last_sync_reached_all: std::sync::Mutex<Option<bool>>,
}

impl AppState {
    pub fn open(data_dir: PathBuf, system_locale: String) -> IpcResult<Self> {
        let http = HttpClient::new(FetchOptions::default());
        // What an update queued for the index is indexed once the window shows (the sync
        // loop, lib.rs), not here, where it would hold the window: 5 s at 100,000 articles.
        let core = Core::open(CoreConfig { index_at_open: false, ..CoreConfig::in_data_dir(&data_dir, http) })?;
        // First run only: follow the edition of the system language (else English).
        core.add_default_sources(&system_locale)?;
        Ok(Self {
            core: Arc::new(core),
            system_locale,
            sync_lock: tokio::sync::Mutex::new(()),
            relay: crate::relay_client::RelayHandle::default(),
            push: crate::push::PushHandle::default(),
            search_sequence: Default::default(),
            first_list_served: tokio::sync::Notify::new(),
            syncs_begun: Default::default(),
            last_sync_reached_all: Default::default(),
        })
    }

    /// Sync every source once, emitting progress events. Concurrent callers wait for the
    /// running sync and then run their own (a button press is never lost).
    pub async fn sync<R: Runtime>(&self, app: &AppHandle<R>) -> IpcResult<(SyncReport, SyncSummary)> {
        self.syncs_begun.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let _one_at_a_time = self.sync_lock.lock().await;
        let outcome = self.sync_now_holding_the_lock(app).await;
        *self.last_sync_reached_all.lock().unwrap_or_else(|p| p.into_inner()) = Some(reached_every_source(&outcome));
        outcome
    }

    /// The launch's sync, unless the reader pressed sync before it began: then, once
    /// theirs has finished, whether it reached every source. Running ours after theirs
    /// would only ask every source again (500 requests at 100k articles, all answered 304).
    pub async fn launch_sync<R: Runtime>(&self, app: &AppHandle<R>) -> bool {
        if self.syncs_begun.load(std::sync::atomic::Ordering::SeqCst) > 0 {
            drop(self.sync_lock.lock().await);
            if let Some(reached_all) = *self.last_sync_reached_all.lock().unwrap_or_else(|p| p.into_inner()) {
                return reached_all;
            }
        }
        reached_every_source(&self.sync(app).await)
    }

    async fn sync_now_holding_the_lock<R: Runtime>(&self, app: &AppHandle<R>) -> IpcResult<(SyncReport, SyncSummary)> {
        let _ = app.emit(events::SYNC_STARTED, ());
        let emitter = app.clone();
        let report = self
            .core
            .run_once(move |event| {
                let _ = emitter.emit(events::SYNC_PROGRESS, SyncProgressEvent::from(&event));
            })
            .await?;
        let summary = SyncSummary::from(&report);
        let _ = app.emit(events::SYNC_DONE, summary.clone());
        self.notify(app, &report)?;
        Ok((report, summary))
    }

    /// Run the breaking-news policy over a sync's result and show what it allows.
    pub fn notify<R: Runtime>(&self, app: &AppHandle<R>, report: &SyncReport) -> IpcResult<()> {
        // What the phone already showed from the relay is not announced again.
        crate::push::record_shown(app);
        let settings = Settings::load(&self.core, &self.system_locale)?;
        let offset = chrono::Local::now().offset().fix();
        let notices = self.core.notifications_for(report, &settings.notifications, offset)?;
        notifications::deliver(app, notices, &settings.ui_language);
        Ok(())
    }
}

/// A sync that ran, was not offline and had no source fail: the loop waits its whole
/// interval after one; after any other it tries again sooner.
pub fn reached_every_source(outcome: &IpcResult<(SyncReport, SyncSummary)>) -> bool {
    matches!(outcome, Ok((_, summary)) if !summary.offline && summary.failed == 0)
}
