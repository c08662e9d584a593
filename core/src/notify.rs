//! The breaking-news policy: given what a sync just stored and the reader's preferences,
//! decide what deserves a system notification. Pure: time, history and articles come in as
//! arguments, so it is table-tested here and reusable by a push relay. `Core` feeds it from
//! SQLite and records its decisions there (so restarts never repeat a notification).

use std::collections::HashSet;

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

use crate::fold::fold_case;

/// What the reader chose. Off-by-default parts are empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct NotifyPrefs {
    pub enabled: bool,
    /// Sections that alert besides breaking news (case-insensitive).
    pub sections: Vec<String>,
    /// Words that alert when they appear in a title (case-insensitive).
    pub keywords: Vec<String>,
    /// Languages of the editions followed for alerts; empty means all.
    pub languages: Vec<String>,
    /// Older articles never alert.
    pub max_age_minutes: u32,
    /// Local time, may cross midnight (22:00–07:00).
    pub quiet_hours: Option<QuietHours>,
    pub max_per_hour: u32,
    /// "Pause alerts for 1 h" from the tray.
    pub paused_until: Option<DateTime<Utc>>,
}

impl Default for NotifyPrefs {
    fn default() -> Self {
        Self {
            enabled: true,
            sections: Vec::new(),
            keywords: Vec::new(),
            languages: Vec::new(),
            max_age_minutes: 180,
            quiet_hours: None,
            max_per_hour: 4,
            paused_until: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QuietHours {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl QuietHours {
    pub fn contains(&self, t: NaiveTime) -> bool {
        if self.start <= self.end { t >= self.start && t < self.end } else { t >= self.start || t < self.end }
    }
}

/// An article a sync just added, with what the policy needs to know about its source.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub article_id: i64,
    pub title: String,
    /// Who published it (`Article::source_name`): a notification names the real source.
    pub source: String,
    pub url: Option<String>,
    pub image_url: Option<String>,
    pub categories: Vec<String>,
    pub language: Option<String>,
    pub published_at: DateTime<Utc>,
    pub is_breaking: bool,
    /// The source's first successful sync, or its first after being unreachable for long:
    /// its articles are a baseline, not news.
    pub baseline: bool,
}

impl Candidate {
    /// A stored article as the policy sees it; `baseline` comes from its source's sync report.
    pub fn from_article(a: crate::Article, baseline: bool) -> Self {
        Self {
            article_id: a.id,
            title: a.title,
            source: a.source_name,
            url: a.url,
            image_url: a.image_url,
            categories: a.categories,
            language: a.language,
            published_at: a.published_at,
            is_breaking: a.is_breaking,
            baseline,
        }
    }
}

/// What was notified before (from SQLite).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    pub notified_ids: HashSet<i64>,
    /// Story keys (cover picture, canonical link) notified recently, across editions.
    pub story_keys: HashSet<String>,
    /// Notifications sent in the last hour (summaries included).
    pub sent_last_hour: u32,
    /// Articles held back (quiet hours, rate limit) and not yet summarised.
    pub held: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Notice {
    Article { article_id: i64, title: String, source: String, breaking: bool },
    /// "3 more breaking stories"
    Summary { count: u32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Skip {
    Disabled,
    NotFollowed,
    Baseline,
    TooOld,
    AlreadyNotified,
    SameStory,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub notices: Vec<Notice>,
    /// Articles notified now (recorded so they never alert again).
    pub sent: Vec<(i64, Vec<String>)>,
    /// Articles held back for a later summary.
    pub held: Vec<(i64, Vec<String>)>,
    /// The earlier held articles this plan's summary covers (count only; all are released).
    pub released_held: u32,
    pub skipped: Vec<(i64, Skip)>,
}

/// A cover picture's file name: the same picture reached through different paths or sizes
/// keeps it, so it names one story across editions (here and in `stories`). `None` for a
/// name too short to tell pictures apart.
pub fn picture_name(image_url: &str) -> Option<&str> {
    let name = image_url.rsplit('/').next().unwrap_or(image_url).split(['?', '#']).next().unwrap_or("");
    (name.len() > 4).then_some(name)
}

/// Keys that identify one story across editions: its cover picture and its link.
pub fn story_keys(c: &Candidate) -> Vec<String> {
    let mut keys = Vec::new();
    if let Some(name) = c.image_url.as_deref().and_then(picture_name) {
        keys.push(format!("img:{name}"));
    }
    if let Some(url) = &c.url {
        keys.push(format!("url:{url}"));
    }
    keys
}

fn follows(c: &Candidate, prefs: &NotifyPrefs) -> bool {
    let edition_ok = prefs.languages.is_empty()
        || c.language.as_ref().is_some_and(|l| prefs.languages.iter().any(|p| fold_case(l).starts_with(&fold_case(p))));
    let section = c.categories.iter().any(|cat| prefs.sections.iter().any(|s| fold_case(s) == fold_case(cat)));
    let title = fold_case(&c.title);
    let keyword = prefs.keywords.iter().any(|k| !k.trim().is_empty() && title.contains(&fold_case(k.trim())));
    edition_ok && (c.is_breaking || section || keyword)
}

/// Decide what to notify now. `local_offset` is the reader's time zone offset for quiet hours.
pub fn decide(candidates: &[Candidate], prefs: &NotifyPrefs, history: &History, now: DateTime<Utc>, local_offset: FixedOffset) -> Plan {
    let mut plan = Plan::default();
    let quiet = prefs.quiet_hours.is_some_and(|q| {
        let t = now.with_timezone(&local_offset).time();
        q.contains(NaiveTime::from_hms_opt(t.hour(), t.minute(), 0).unwrap_or(t))
    });
    let paused = prefs.paused_until.is_some_and(|until| now < until);
    let mut budget = prefs.max_per_hour.saturating_sub(history.sent_last_hour);
    let mut seen_keys = history.story_keys.clone();

    // Newest first: when the budget runs out, the freshest stories are the ones shown.
    let mut ordered: Vec<&Candidate> = candidates.iter().collect();
    ordered.sort_by(|a, b| b.published_at.cmp(&a.published_at).then(b.article_id.cmp(&a.article_id)));

    let mut eligible = Vec::new();
    for c in ordered {
        let skip = if !prefs.enabled {
            Some(Skip::Disabled)
        } else if !follows(c, prefs) {
            Some(Skip::NotFollowed)
        } else if c.baseline {
            Some(Skip::Baseline)
        } else if now - c.published_at > Duration::minutes(i64::from(prefs.max_age_minutes)) {
            Some(Skip::TooOld)
        } else if history.notified_ids.contains(&c.article_id) {
            Some(Skip::AlreadyNotified)
        } else if story_keys(c).iter().any(|k| seen_keys.contains(k)) {
            Some(Skip::SameStory)
        } else {
            None
        };
        match skip {
            Some(reason) => plan.skipped.push((c.article_id, reason)),
            None => {
                seen_keys.extend(story_keys(c));
                eligible.push(c);
            }
        }
    }

    if quiet || paused {
        plan.held = eligible.iter().map(|c| (c.article_id, story_keys(c))).collect();
        return plan;
    }
    // Earlier held-back stories come back as one summary, which costs one of the budget.
    let mut to_summarise = 0;
    if history.held > 0 && budget > 0 {
        plan.released_held = history.held;
        to_summarise = history.held;
        budget -= 1;
    }
    for c in eligible {
        if budget > 0 {
            budget -= 1;
            plan.notices.push(Notice::Article {
                article_id: c.article_id,
                title: c.title.clone(),
                source: c.source.clone(),
                breaking: c.is_breaking,
            });
            plan.sent.push((c.article_id, story_keys(c)));
        } else if plan.released_held > 0 {
            // Already summarising: fold this one into the summary.
            to_summarise += 1;
            plan.sent.push((c.article_id, story_keys(c)));
        } else {
            plan.held.push((c.article_id, story_keys(c)));
        }
    }
    if to_summarise > 0 {
        plan.notices.insert(0, Notice::Summary { count: to_summarise });
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn baku() -> FixedOffset {
        FixedOffset::east_opt(4 * 3600).unwrap()
    }

    /// 2026-06-25 12:00 Baku time.
    fn noon() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 25, 8, 0, 0).unwrap()
    }

    fn breaking(id: i64, minutes_ago: i64) -> Candidate {
        Candidate {
            article_id: id,
            title: format!("Срочно: новость {id}"),
            source: "Caliber.az".into(),
            url: Some(format!("https://caliber.az/post/news-{id}")),
            image_url: Some(format!("https://caliber.az/uploads/{id}-cover.jpg")),
            categories: vec!["МИР".into()],
            language: Some("ru".into()),
            published_at: noon() - Duration::minutes(minutes_ago),
            is_breaking: true,
            baseline: false,
        }
    }

    fn ordinary(id: i64) -> Candidate {
        Candidate { is_breaking: false, title: format!("Новость {id}"), ..breaking(id, 5) }
    }

    fn ids(plan: &Plan) -> Vec<i64> {
        plan.notices
            .iter()
            .filter_map(|n| match n {
                Notice::Article { article_id, .. } => Some(*article_id),
                Notice::Summary { .. } => None,
            })
            .collect()
    }

    #[test]
    fn a_new_breaking_story_alerts_and_an_ordinary_one_does_not() {
        let plan = decide(&[breaking(1, 5), ordinary(2)], &NotifyPrefs::default(), &History::default(), noon(), baku());
        assert_eq!(ids(&plan), vec![1]);
        assert_eq!(plan.skipped, vec![(2, Skip::NotFollowed)]);
    }

    #[test]
    fn first_sync_is_a_baseline_not_a_flood() {
        let mut first = breaking(1, 5);
        first.baseline = true;
        let plan = decide(&[first], &NotifyPrefs::default(), &History::default(), noon(), baku());
        assert!(plan.notices.is_empty());
        assert_eq!(plan.skipped, vec![(1, Skip::Baseline)]);
    }

    #[test]
    fn old_articles_never_alert() {
        let plan = decide(&[breaking(1, 181), breaking(2, 179)], &NotifyPrefs::default(), &History::default(), noon(), baku());
        assert_eq!(ids(&plan), vec![2]);
        assert!(plan.skipped.contains(&(1, Skip::TooOld)));
    }

    #[test]
    fn already_notified_never_repeats_after_a_restart() {
        let history = History { notified_ids: HashSet::from([1]), ..Default::default() };
        let plan = decide(&[breaking(1, 5)], &NotifyPrefs::default(), &history, noon(), baku());
        assert!(plan.notices.is_empty());
        assert_eq!(plan.skipped, vec![(1, Skip::AlreadyNotified)]);
    }

    #[test]
    fn the_same_story_in_a_second_edition_alerts_once() {
        let ru = breaking(1, 5);
        let en = Candidate {
            article_id: 2,
            title: "Breaking: news".into(),
            url: Some("https://caliber.az/en/post/news".into()),
            image_url: Some("https://caliber.az/uploads/1-cover.jpg?w=800".into()),
            language: Some("en".into()),
            ..breaking(2, 4)
        };
        let plan = decide(&[ru.clone(), en.clone()], &NotifyPrefs::default(), &History::default(), noon(), baku());
        assert_eq!(ids(&plan).len(), 1);
        // …and also when the other edition arrives in a later sync.
        let history = History { story_keys: story_keys(&ru).into_iter().collect(), notified_ids: HashSet::from([1]), ..Default::default() };
        let plan = decide(&[en], &NotifyPrefs::default(), &history, noon(), baku());
        assert_eq!(plan.skipped, vec![(2, Skip::SameStory)]);
    }

    #[test]
    fn quiet_hours_across_midnight_hold_stories_back() {
        let prefs = NotifyPrefs {
            quiet_hours: Some(QuietHours { start: NaiveTime::from_hms_opt(22, 0, 0).unwrap(), end: NaiveTime::from_hms_opt(7, 0, 0).unwrap() }),
            ..Default::default()
        };
        // 03:00 in Baku is 23:00 UTC the day before.
        let three_am = Utc.with_ymd_and_hms(2026, 6, 24, 23, 0, 0).unwrap();
        let mut story = breaking(1, 0);
        story.published_at = three_am - Duration::minutes(5);
        let plan = decide(std::slice::from_ref(&story), &prefs, &History::default(), three_am, baku());
        assert!(plan.notices.is_empty());
        assert_eq!(plan.held.len(), 1);
        // 23:30 is quiet too; 07:00 is not.
        let half_past_eleven = Utc.with_ymd_and_hms(2026, 6, 24, 19, 30, 0).unwrap();
        assert!(decide(std::slice::from_ref(&story), &prefs, &History::default(), half_past_eleven, baku()).notices.is_empty());
        // At 07:05 the held story comes back as a summary.
        let morning = Utc.with_ymd_and_hms(2026, 6, 25, 3, 5, 0).unwrap();
        let plan = decide(&[], &prefs, &History { held: 1, ..Default::default() }, morning, baku());
        assert_eq!(plan.notices, vec![Notice::Summary { count: 1 }]);
        assert_eq!(plan.released_held, 1);
    }

    #[test]
    fn the_rate_limit_holds_back_the_rest_as_one_summary_later() {
        let stories: Vec<Candidate> = (1..=6).map(|i| breaking(i, 60 - i)).collect();
        let plan = decide(&stories, &NotifyPrefs::default(), &History::default(), noon(), baku());
        assert_eq!(ids(&plan), vec![6, 5, 4, 3], "the four newest");
        assert_eq!(plan.held.iter().map(|h| h.0).collect::<Vec<_>>(), vec![2, 1]);
        // Within the same hour nothing more goes out.
        let busy = History { sent_last_hour: 4, held: 2, ..Default::default() };
        let plan = decide(&[breaking(7, 1)], &NotifyPrefs::default(), &busy, noon(), baku());
        assert!(plan.notices.is_empty());
        assert_eq!(plan.held.len(), 1);
        // An hour later: one summary "3 more breaking stories".
        let later = History { sent_last_hour: 0, held: 3, ..Default::default() };
        let plan = decide(&[], &NotifyPrefs::default(), &later, noon() + Duration::hours(1), baku());
        assert_eq!(plan.notices, vec![Notice::Summary { count: 3 }]);
    }

    #[test]
    fn followed_sections_and_keywords_alert_in_followed_editions_only() {
        let prefs = NotifyPrefs { sections: vec!["мир".into()], keywords: vec!["Нефть".into()], languages: vec!["ru".into()], ..Default::default() };
        let mut section = ordinary(1);
        section.categories = vec!["МИР".into()];
        let mut keyword = ordinary(2);
        keyword.categories = vec!["ЭКОНОМИКА".into()];
        keyword.title = "Цены на нефть выросли".into();
        keyword.image_url = None;
        let mut other_edition = breaking(3, 5);
        other_edition.language = Some("en".into());
        let plan = decide(&[section, keyword, other_edition], &prefs, &History::default(), noon(), baku());
        let mut got = ids(&plan);
        got.sort();
        assert_eq!(got, vec![1, 2]);
        assert!(plan.skipped.contains(&(3, Skip::NotFollowed)));
        assert!(decide(&[ordinary(4)], &NotifyPrefs::default(), &History::default(), noon(), baku()).notices.is_empty(), "off by default");
    }

    #[test]
    fn an_azerbaijani_keyword_matches_a_headline_in_capitals() {
        // "İ" lower-cases to "i" plus a combining dot: without folding, "ilham" missed "İLHAM".
        let prefs = NotifyPrefs { keywords: vec!["ilham".into()], ..Default::default() };
        let mut headline = ordinary(1);
        headline.title = "İLHAM ƏLİYEV FORUMDA ÇIXIŞ EDİB".into();
        headline.language = Some("az".into());
        assert_eq!(ids(&decide(&[headline], &prefs, &History::default(), noon(), baku())), vec![1]);
    }

    #[test]
    fn disabled_or_paused_alerts_send_nothing() {
        let off = NotifyPrefs { enabled: false, ..Default::default() };
        assert!(decide(&[breaking(1, 5)], &off, &History::default(), noon(), baku()).notices.is_empty());
        let paused = NotifyPrefs { paused_until: Some(noon() + Duration::minutes(30)), ..Default::default() };
        let plan = decide(&[breaking(1, 5)], &paused, &History::default(), noon(), baku());
        assert!(plan.notices.is_empty());
        assert_eq!(plan.held.len(), 1, "held for a summary when the pause ends");
    }
}
