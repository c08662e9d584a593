//! One story in several editions. The site publishes a translation with the same cover
//! picture (the file name the notification policy already keys a story on, see
//! `notify::picture_name`), usually within hours. A picture is reused, too — an archive
//! photo under a new story — so two articles are one story only when each is the other's
//! nearest in time among the articles of its language with that picture, within `WINDOW`.

use chrono::{DateTime, Duration, Utc};

/// Translations further apart than this are not taken for one story.
pub const WINDOW: Duration = Duration::days(3);

/// An article with a cover picture, as the same-story rule sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoryArticle {
    pub id: i64,
    pub language: String,
    pub published_at: DateTime<Utc>,
}

/// The nearest in time to `to` among `group`'s articles of `language` within `WINDOW` (the
/// lower id on a tie, so the choice is stable).
fn nearest<'a>(group: &'a [StoryArticle], language: &str, to: DateTime<Utc>) -> Option<&'a StoryArticle> {
    group
        .iter()
        .filter(|a| a.language == language && (a.published_at - to).abs() <= WINDOW)
        .min_by_key(|a| ((a.published_at - to).abs(), a.id))
}

/// The ids of `of`'s story in the other languages of `group` (articles sharing its cover
/// picture; `of` itself may be among them), one per language, in `group` order.
pub fn other_editions(of: &StoryArticle, group: &[StoryArticle]) -> Vec<i64> {
    let mut languages: Vec<&str> = Vec::new();
    for a in group {
        if a.language != of.language && !languages.contains(&a.language.as_str()) {
            languages.push(&a.language);
        }
    }
    let matches: Vec<&StoryArticle> = languages
        .into_iter()
        .filter_map(|language| {
            let candidate = nearest(group, language, of.published_at)?;
            // Mutual: the candidate's nearest in our language must be `of`.
            let back = nearest(group, &of.language, candidate.published_at).map_or(of.id, |a| a.id);
            (back == of.id).then_some(candidate)
        })
        .collect();
    // And consistent: a match whose own nearest in a third language is not our match there
    // belongs to another story (an English one the Armenian article's picture also shows).
    matches
        .iter()
        .filter(|c| matches.iter().filter(|m| m.language != c.language).all(|m| nearest(group, &m.language, c.published_at).is_none_or(|n| n.id == m.id)))
        .map(|c| c.id)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(id: i64, language: &str, hours: i64) -> StoryArticle {
        StoryArticle { id, language: language.into(), published_at: Utc.with_ymd_and_hms(2026, 6, 25, 0, 0, 0).unwrap() + Duration::hours(hours) }
    }

    #[test]
    fn a_translation_hours_later_is_the_same_story() {
        let ru = at(1, "ru", 0);
        let group = [ru.clone(), at(2, "en", 3), at(3, "hy", 20)];
        assert_eq!(other_editions(&ru, &group), [2, 3]);
        assert_eq!(other_editions(&group[1], &group), [1, 3]);
    }

    #[test]
    fn the_same_picture_a_year_apart_is_another_story() {
        let ru = at(1, "ru", 0);
        assert!(other_editions(&ru, &[ru.clone(), at(2, "en", 24 * 300)]).is_empty());
        assert!(other_editions(&ru, &[ru.clone(), at(2, "en", -24 * 4)]).is_empty(), "beyond the window");
    }

    #[test]
    fn an_archive_picture_reused_goes_to_the_nearest_story_only() {
        // Two Russian stories with one picture; one English translation of the later one.
        let old = at(1, "ru", 0);
        let new = at(2, "ru", 40);
        let en = at(3, "en", 41);
        let group = [old.clone(), new.clone(), en.clone()];
        assert_eq!(other_editions(&new, &group), [3]);
        assert!(other_editions(&old, &group).is_empty(), "the English article is the later story's");
        assert_eq!(other_editions(&en, &group), [2]);
    }

    #[test]
    fn a_match_that_belongs_to_another_story_in_a_third_language_is_left_out() {
        // One picture: a Russian and an Armenian story in the morning, a Russian and an
        // English one five hours later. The Armenian article has no English translation.
        let (ru_old, hy_old, ru_new, en_new) = (at(1, "ru", 0), at(2, "hy", 0), at(3, "ru", 5), at(4, "en", 5));
        let group = [ru_old, hy_old.clone(), ru_new, en_new.clone()];
        assert_eq!(other_editions(&hy_old, &group), [1], "Russian only; the English one is the later story's");
        assert_eq!(other_editions(&en_new, &group), [3]);
    }

    #[test]
    fn nothing_in_its_own_language_or_alone() {
        let ru = at(1, "ru", 0);
        assert!(other_editions(&ru, &[ru.clone(), at(2, "ru", 1)]).is_empty());
        assert!(other_editions(&ru, &[]).is_empty());
    }
}
