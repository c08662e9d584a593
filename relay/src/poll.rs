//! One poll: the core syncs the site's editions (conditional GET, as in the app), the core's
//! breaking-news policy (`caliber_core::notify::decide`) runs once per edition over what
//! arrived, its decisions are recorded, and then each alert fans out: one FCM topic message
//! per edition, one Web Push or APNs request per subscriber who wants it.

use std::collections::HashMap;
use std::sync::Arc;

use caliber_core::notify::{self, Candidate, Notice, NotifyPrefs};
use caliber_core::{Core, SyncStatus};
use chrono::{DateTime, FixedOffset, Offset, Timelike, Utc};
use futures_util::StreamExt;
use serde::Serialize;

use crate::error::{PushError, Result};
use crate::push::apns::Apns;
use crate::push::fcm::Fcm;
use crate::push::webpush::WebPush;
use crate::push::{Alert, Delivery};
use crate::store::{Arrival, Kind, Store, Subscription};

/// An edition and the core's source ids that carry it (its feed and its listing page).
#[derive(Debug, Clone)]
pub struct EditionSources {
    pub code: String,
    pub source_ids: Vec<i64>,
}

#[derive(Default)]
pub struct Engines {
    pub webpush: Option<WebPush>,
    pub apns: Option<Apns>,
    pub fcm: Option<Fcm>,
}

pub struct Poller {
    pub core: Core,
    pub store: Arc<Store>,
    pub editions: Vec<EditionSources>,
    pub engines: Engines,
    /// Alerts per edition per hour before the rest are held for a summary.
    pub max_per_hour: u32,
    pub max_age_minutes: u32,
    /// Push requests in flight at once.
    pub concurrency: usize,
    /// Server-sent events: breaking stories to open streams (sse.rs).
    pub events: Arc<crate::sse::Hub>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TickReport {
    pub sources_failed: u32,
    /// Stories the editions' policies chose to announce (and rate-limit summaries).
    pub stories: u32,
    pub summaries: u32,
    pub topic_messages: u32,
    pub delivered: u32,
    /// Held back by a subscriber's quiet hours.
    pub held: u32,
    /// Subscriptions removed because their push service said they are gone.
    pub removed: u32,
    pub failed: u32,
}

struct Target {
    subscription: Subscription,
    alert: Alert,
}

impl Poller {
    pub async fn tick(&self, now: DateTime<Utc>) -> Result<TickReport> {
        let report = self.core.run_once(|_| {}).await?;
        let mut tick = TickReport {
            sources_failed: report.sources.iter().filter(|s| s.status != SyncStatus::Ok).count() as u32,
            ..Default::default()
        };
        for source in report.sources.iter().filter(|s| s.status != SyncStatus::Ok) {
            caliber_core::log_line!("caliber-relay: {}: {}", source.url, source.error.as_deref().unwrap_or("failed"));
        }

        // Quiet hours over: what was held comes as one summary.
        let mut targets = Vec::new();
        for sub in self.store.with_held().await? {
            if !in_quiet_hours(&sub, now) {
                self.store.clear_held(&sub.id).await?;
                let alert = Alert::Summary { edition: None, count: sub.held };
                targets.push(Target { subscription: sub, alert });
            }
        }

        for edition in &self.editions {
            let mut arrivals = Vec::new();
            let mut synced = Vec::new();
            for source in report.sources.iter().filter(|s| s.status == SyncStatus::Ok && edition.source_ids.contains(&s.source_id)) {
                synced.push(source.url.clone());
                for &id in &source.changed_article_ids {
                    if let Ok(article) = self.core.article(id) {
                        arrivals.push(Arrival::new(article, source.baseline, source.first_sync));
                    }
                }
            }
            self.store.settle_baselines(&mut arrivals).await?;
            let candidates: Vec<Candidate> = arrivals.iter().map(|a| a.candidate.clone()).collect();
            // The sections and keywords the edition's subscribers follow, a scan of every
            // subscription, matter only for what arrived: a poll that brought nothing (most
            // polls) skips it.
            let (sections, keywords) =
                if arrivals.is_empty() { Default::default() } else { self.store.interests(&edition.code).await? };
            let prefs = NotifyPrefs {
                sections,
                keywords,
                max_per_hour: self.max_per_hour,
                max_age_minutes: self.max_age_minutes,
                ..Default::default()
            };
            let history = self.store.edition_history(&edition.code, &arrivals, now).await?;
            // Quiet hours are each subscriber's, applied below; the edition's clock is UTC.
            let mut plan = notify::decide(&candidates, &prefs, &history, now, Utc.fix());
            // The same story may come twice in one edition (the feed without its picture, the
            // listing with it): the keys of both are recorded, so the other editions match.
            for (_, keys) in plan.sent.iter_mut().chain(plan.held.iter_mut()) {
                *keys = same_story_keys(keys, &candidates);
            }
            // Recorded before anything is sent: a crash may lose an alert, never repeat one.
            self.store.record_plan(&edition.code, &plan, &arrivals, &synced, now).await?;

            let by_id: HashMap<i64, &Candidate> = candidates.iter().map(|c| (c.article_id, c)).collect();
            let subscribers = if plan.notices.is_empty() { Vec::new() } else { self.store.subscribers_of(&edition.code).await? };
            for notice in &plan.notices {
                let (alert, candidate) = match notice {
                    Notice::Article { article_id, title, source, breaking } => {
                        let Some(c) = by_id.get(article_id) else { continue };
                        let keys = same_story_keys(&notify::story_keys(c), &candidates);
                        let alert = Alert::Story {
                            edition: edition.code.clone(),
                            title: title.clone(),
                            source: source.clone(),
                            url: c.url.clone(),
                            breaking: *breaking,
                            // The picture is what editions share; a link is per edition.
                            story: keys
                                .iter()
                                .find(|k| k.starts_with("img:"))
                                .or(keys.first())
                                .cloned()
                                .unwrap_or_else(|| format!("id:{article_id}")),
                        };
                        caliber_core::log_line!("caliber-relay: {}: {title}", edition.code);
                        tick.stories += 1;
                        (alert, Some((*c, keys)))
                    }
                    Notice::Summary { count } => {
                        tick.summaries += 1;
                        (Alert::Summary { edition: Some(edition.code.clone()), count: *count }, None)
                    }
                };
                // The topic carries what every reader of the edition wants: breaking news.
                let for_everyone = candidate.as_ref().is_none_or(|(c, _)| c.is_breaking);
                if let Some((c, keys)) = &candidate
                    && c.is_breaking
                {
                    let event = self.events.publish(&alert, c, keys, now);
                    // The other relays' streams too (PostgreSQL): a reader connected to a
                    // standby relay hears the story as soon as this one's do.
                    if let Err(e) = self.store.share_event(&event).await {
                        caliber_core::log_line!("caliber-relay: could not share a story with the other relays: {e}");
                    }
                }
                if let Some(fcm) = &self.engines.fcm
                    && for_everyone
                {
                    match fcm.send_topic(&edition.code, &alert).await {
                        Ok(()) => tick.topic_messages += 1,
                        Err(e) => {
                            tick.failed += 1;
                            caliber_core::log_line!("caliber-relay: FCM topic {}: {e}", crate::push::fcm::topic(&edition.code));
                        }
                    }
                }
                let elsewhere = match &candidate {
                    Some((_, keys)) => self.store.announced_elsewhere(&edition.code, keys, now).await?,
                    None => Default::default(),
                };
                let mut quiet = Vec::new();
                for sub in &subscribers {
                    if let Some((c, _)) = &candidate
                        && !wants(sub, c)
                    {
                        continue;
                    }
                    // A reader of two editions hears of a story once.
                    if sub.prefs.editions.iter().any(|e| elsewhere.contains(e)) {
                        continue;
                    }
                    if in_quiet_hours(sub, now) {
                        quiet.push(sub.id.as_str());
                    } else {
                        targets.push(Target { subscription: sub.clone(), alert: alert.clone() });
                    }
                }
                tick.held += quiet.len() as u32;
                self.store.add_held(&quiet).await?;
            }
        }

        self.fan_out(targets, &mut tick).await?;
        Ok(tick)
    }

    async fn fan_out(&self, targets: Vec<Target>, tick: &mut TickReport) -> Result<()> {
        let breaker = Breaker::default();
        let breaker = &breaker;
        let outcomes: Vec<(String, Delivery)> = futures_util::stream::iter(targets)
            .map(|t| async move {
                let origin = origin_of(&t.subscription);
                if let Some(failures) = breaker.open(&origin) {
                    return (t.subscription.endpoint, Err(PushError::ServiceDown { origin, failures }));
                }
                let outcome = self.deliver(&t.subscription, &t.alert).await;
                breaker.record(&origin, &outcome);
                (t.subscription.endpoint, outcome)
            })
            .buffer_unordered(self.concurrency.max(1))
            .collect()
            .await;
        for (origin, failures, skipped) in breaker.tripped() {
            caliber_core::log_line!(
                "caliber-relay: push service {origin} failed {failures} deliveries in a row; {skipped} more not tried in this fan-out"
            );
        }
        for (endpoint, outcome) in outcomes {
            match outcome {
                Ok(()) => tick.delivered += 1,
                Err(PushError::ServiceDown { .. }) => tick.failed += 1,
                Err(PushError::Gone { .. }) => {
                    if self.store.remove_endpoint(&endpoint).await? {
                        tick.removed += 1;
                    }
                }
                Err(e) => {
                    tick.failed += 1;
                    caliber_core::log_line!("caliber-relay: push failed: {e}");
                }
            }
        }
        Ok(())
    }

    async fn deliver(&self, sub: &Subscription, alert: &Alert) -> Delivery {
        match sub.kind {
            Kind::Webpush => {
                let Some(webpush) = &self.engines.webpush else { return Err(PushError::Build("Web Push is off".into())) };
                let (Some(p256dh), Some(auth)) = (&sub.p256dh, &sub.auth) else {
                    return Err(PushError::Build("subscription without keys".into()));
                };
                webpush.send(&sub.endpoint, p256dh, auth, alert).await
            }
            Kind::Apns => {
                let Some(apns) = &self.engines.apns else { return Err(PushError::Build("APNs is off".into())) };
                apns.send(&sub.endpoint, alert).await
            }
        }
    }
}

/// Deliveries that gave up (after their retries) in a row to one push service before the
/// rest of a fan-out skips it: a service that is down would otherwise hold the poll for
/// every subscriber's retries (100,000 × ~3.5 s / 64 in flight ≈ 1.5 hours), and with it
/// every later story and every stream. One success resets the count.
const SERVICE_DOWN_AFTER: u32 = 20;

/// Per push-service origin in one fan-out: failures in a row, and deliveries skipped.
#[derive(Default)]
struct Breaker {
    origins: std::sync::Mutex<HashMap<String, (u32, u32)>>,
}

impl Breaker {
    /// `Some(failures)` when `origin` is given up on (and counts the skip).
    fn open(&self, origin: &str) -> Option<u32> {
        let mut origins = self.origins.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (failures, skipped) = origins.get_mut(origin)?;
        (*failures >= SERVICE_DOWN_AFTER).then(|| {
            *skipped += 1;
            *failures
        })
    }

    fn record(&self, origin: &str, outcome: &Delivery) {
        let mut origins = self.origins.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let entry = origins.entry(origin.to_owned()).or_default();
        match outcome {
            Err(PushError::GaveUp { .. }) => entry.0 += 1,
            // Answers, even refusals of one subscription, show the service is there.
            _ => entry.0 = 0,
        }
    }

    /// The origins given up on: (origin, failures in a row, deliveries skipped).
    fn tripped(&self) -> Vec<(String, u32, u32)> {
        let origins = self.origins.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        origins.iter().filter(|(_, (_, skipped))| *skipped > 0).map(|(o, (f, s))| (o.clone(), *f, *s)).collect()
    }
}

/// The push service a subscription is delivered through: its endpoint's scheme, host and
/// port for Web Push; APNs for a device token.
fn origin_of(sub: &Subscription) -> String {
    match sub.kind {
        Kind::Apns => "APNs".to_owned(),
        Kind::Webpush => url::Url::parse(&sub.endpoint).map_or_else(|_| sub.endpoint.clone(), |u| u.origin().ascii_serialization()),
    }
}

/// `keys` plus the keys of every candidate that shares one of them.
fn same_story_keys(keys: &[String], candidates: &[Candidate]) -> Vec<String> {
    let mut all = keys.to_vec();
    for c in candidates {
        let theirs = notify::story_keys(c);
        if theirs.iter().any(|k| keys.contains(k)) {
            for k in theirs {
                if !all.contains(&k) {
                    all.push(k);
                }
            }
        }
    }
    all
}

/// Whether a subscriber wants this story: breaking news, or one of their sections or words.
fn wants(sub: &Subscription, c: &Candidate) -> bool {
    let prefs = NotifyPrefs { sections: sub.prefs.sections.clone(), keywords: sub.prefs.keywords.clone(), ..Default::default() };
    if c.is_breaking {
        return true;
    }
    let section = c.categories.iter().any(|cat| prefs.sections.iter().any(|s| s.to_lowercase() == cat.to_lowercase()));
    let title = c.title.to_lowercase();
    section || prefs.keywords.iter().any(|k| title.contains(&k.trim().to_lowercase()))
}

fn in_quiet_hours(sub: &Subscription, now: DateTime<Utc>) -> bool {
    let Some(q) = &sub.prefs.quiet_hours else { return false };
    let (Ok(start), Ok(end), Ok(tz)) = (
        chrono::NaiveTime::parse_from_str(&q.start, "%H:%M"),
        chrono::NaiveTime::parse_from_str(&q.end, "%H:%M"),
        q.time_zone.parse::<chrono_tz::Tz>(),
    ) else {
        return false;
    };
    let offset: FixedOffset = now.with_timezone(&tz).offset().fix();
    let local = now.with_timezone(&offset).time();
    let minute = chrono::NaiveTime::from_hms_opt(local.hour(), local.minute(), 0).unwrap_or(local);
    notify::QuietHours { start, end }.contains(minute)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Prefs, QuietHours};
    use chrono::TimeZone;

    fn sub(quiet: Option<(&str, &str, &str)>) -> Subscription {
        Subscription {
            id: "x".into(),
            kind: Kind::Webpush,
            endpoint: "https://push.example/x".into(),
            p256dh: None,
            auth: None,
            prefs: Prefs {
                editions: vec!["ru".into()],
                sections: vec!["экономика".into()],
                keywords: vec!["Нефть".into()],
                quiet_hours: quiet.map(|(s, e, z)| QuietHours { start: s.into(), end: e.into(), time_zone: z.into() }),
            },
            held: 0,
        }
    }

    #[test]
    fn quiet_hours_follow_the_subscribers_time_zone_and_cross_midnight() {
        let s = sub(Some(("22:00", "07:00", "Asia/Baku")));
        // 19:30 UTC is 23:30 in Baku (quiet); 03:00 UTC is 07:00 (not quiet).
        assert!(in_quiet_hours(&s, Utc.with_ymd_and_hms(2026, 6, 24, 19, 30, 0).unwrap()));
        assert!(!in_quiet_hours(&s, Utc.with_ymd_and_hms(2026, 6, 25, 3, 0, 0).unwrap()));
        // New York in summer is UTC-4: 03:00 UTC is 23:00 there.
        let ny = sub(Some(("22:00", "07:00", "America/New_York")));
        assert!(in_quiet_hours(&ny, Utc.with_ymd_and_hms(2026, 6, 25, 3, 0, 0).unwrap()));
        assert!(!in_quiet_hours(&sub(None), Utc.with_ymd_and_hms(2026, 6, 25, 3, 0, 0).unwrap()));
    }

    #[test]
    fn a_subscriber_gets_breaking_news_and_their_own_sections_and_words_only() {
        let c = |title: &str, section: &str, breaking: bool| Candidate {
            article_id: 1,
            title: title.into(),
            source: "Caliber.az".into(),
            url: None,
            image_url: None,
            categories: vec![section.into()],
            language: Some("ru".into()),
            published_at: Utc::now(),
            is_breaking: breaking,
            baseline: false,
        };
        let s = sub(None);
        assert!(wants(&s, &c("Срочно: землетрясение", "СРОЧНО", true)));
        assert!(wants(&s, &c("Курс маната", "ЭКОНОМИКА", false)), "their section");
        assert!(wants(&s, &c("Цены на нефть выросли", "МИР", false)), "their word");
        assert!(!wants(&s, &c("Открылся парк", "ОБЩЕСТВО", false)));
    }
}
