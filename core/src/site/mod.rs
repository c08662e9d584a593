//! The Caliber.az adapter: listing cards and article pages into articles. What the
//! adapter knows of the site (selectors, URL shapes, editions, month names) is data, in
//! `caliber.json`; this file only knows how to apply it.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, TimeZone, Utc};
use dom_query::Selection;
use serde::Deserialize;
use url::Url;

use crate::digest::ContentHash;
use crate::error::ParseError;
use crate::fold::fold_case;
use crate::parse::RawItem;
use crate::sanitize::{html_to_text, parse_document};

#[derive(Debug, Deserialize)]
pub struct SiteData {
    pub name: String,
    pub base_url: String,
    pub hosts: Vec<String>,
    pub editions: Vec<Edition>,
    pub article_path_contains: String,
    pub listing: ListingSelectors,
    pub article: ArticleSelectors,
    pub utc_offset_hours: i32,
    pub months: Vec<Vec<String>>,
    pub today: Vec<String>,
    pub yesterday: Vec<String>,
}

/// One edition of the site: a language with its own listing and, maybe, a feed.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq, Eq)]
pub struct Edition {
    pub code: String,
    pub name: String,
    pub path: String,
    pub language: String,
    pub feed: Option<String>,
    /// "Read in English": the offer to read a story in this edition, in its own language.
    pub read_in: String,
    /// Section name (as the site writes it) → the description the site prints under it.
    #[serde(default)]
    pub sections: std::collections::BTreeMap<String, String>,
}

impl Edition {
    /// The site's description of one of this edition's sections, matched case-insensitively.
    pub fn section_description(&self, section: &str) -> Option<&str> {
        let wanted = section.trim().to_lowercase();
        self.sections.iter().find(|(name, _)| name.to_lowercase() == wanted).map(|(_, d)| d.as_str())
    }
}

#[derive(Debug, Deserialize)]
pub struct ListingSelectors {
    pub card: String,
    pub link: String,
    pub title: String,
    pub section: String,
    pub time: String,
    pub image: String,
}

#[derive(Debug, Deserialize)]
pub struct ArticleSelectors {
    pub title: String,
    pub section: String,
    pub time: String,
    pub cover: String,
    pub body: String,
    pub signature: String,
    pub views: String,
    pub drop_from_body: Vec<String>,
}

pub fn data() -> &'static SiteData {
    static DATA: OnceLock<SiteData> = OnceLock::new();
    DATA.get_or_init(|| serde_json::from_str(include_str!("caliber.json")).expect("caliber.json is valid (unit-tested)"))
}

/// The sources that follow one edition: its feed where it has one, and its listing page.
pub fn edition_source_urls(edition: &Edition) -> Vec<(String, crate::model::SourceKind)> {
    let base = Url::parse(&data().base_url).expect("base_url is valid (unit-tested)");
    let mut urls = Vec::new();
    if let Some(feed) = &edition.feed {
        urls.push((base.join(feed).expect("edition feed path").to_string(), crate::model::SourceKind::Feed));
    }
    urls.push((base.join(&edition.path).expect("edition path").to_string(), crate::model::SourceKind::Site));
    urls
}

pub fn is_site_url(url: &str) -> bool {
    Url::parse(url).ok().is_some_and(|u| u.host_str().is_some_and(is_site_host))
}

/// A host of the site (as `Url::host_str` gives it).
pub fn is_site_host(host: &str) -> bool {
    data().hosts.iter().any(|h| h == host)
}

/// A page is a Caliber listing when its cards match the listing selector.
pub fn is_listing(html: &str) -> bool {
    parse_document(html).select(&data().listing.card).exists()
}

/// One card of a listing page.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub url: String,
    pub title: String,
    pub section: Option<String>,
    pub published: Option<DateTime<Utc>>,
    pub image_url: Option<String>,
}

pub fn parse_listing(html: &str, page_url: &str, now: DateTime<Utc>) -> Result<Vec<Card>, ParseError> {
    let sel = &data().listing;
    let base = Url::parse(page_url).map_err(|e| ParseError::Malformed { url: page_url.into(), message: e.to_string() })?;
    let doc = parse_document(html);
    let cards = doc.select(&sel.card);
    if !cards.exists() {
        return Err(ParseError::LayoutChanged { url: page_url.into(), selector: sel.card.clone() });
    }
    let mut out: Vec<Card> = Vec::new();
    for card in cards.iter() {
        let link = if card.is(&sel.link) { card.clone() } else { card.select(&sel.link).first() };
        let Some(url) = link.attr("href").and_then(|h| absolute(&base, &h)).map(|u| canonical_url(&u)) else { continue };
        if !url.contains(&data().article_path_contains) || out.iter().any(|c| c.url == url) {
            continue;
        }
        let title = clean_text(&card.select(&sel.title).text());
        if title.is_empty() {
            continue;
        }
        let image = if card.is(&sel.image) { card.clone() } else { card.select(&sel.image).first() };
        out.push(Card {
            url,
            title,
            section: non_empty(clean_text(&card.select(&sel.section).text())),
            published: parse_site_time(&card.select(&sel.time).text(), now),
            image_url: image.attr("style").and_then(|s| background_image(&s)).and_then(|u| absolute(&base, &u)),
        });
    }
    if out.is_empty() {
        return Err(ParseError::LayoutChanged { url: page_url.into(), selector: format!("{} {}", sel.card, sel.link) });
    }
    Ok(out)
}

/// An article page into an item, for `prepare::prepare_article` like a feed's. Title, time
/// and body are required: a page missing one is refused whole, naming the selector, rather
/// than stored half-parsed.
pub fn parse_article(html: &str, url: &str, card: Option<&Card>, now: DateTime<Utc>) -> Result<RawItem, ParseError> {
    let sel = &data().article;
    let base = Url::parse(url).map_err(|e| ParseError::Malformed { url: url.into(), message: e.to_string() })?;
    let doc = parse_document(html);
    let required = |selector: &str| -> Result<Selection<'_>, ParseError> {
        let found = doc.select(selector).first();
        if found.exists() { Ok(found) } else { Err(ParseError::LayoutChanged { url: url.into(), selector: selector.into() }) }
    };
    let title = clean_text(&required(&sel.title)?.text());
    if title.is_empty() {
        return Err(ParseError::LayoutChanged { url: url.into(), selector: sel.title.clone() });
    }
    let time_text = required(&sel.time)?.text();
    let published = parse_site_time(&time_text, now)
        .ok_or_else(|| ParseError::LayoutChanged { url: url.into(), selector: format!("{} (unreadable date {:?})", sel.time, clean_text(&time_text)) })?;
    let body = required(&sel.body)?;
    let section = non_empty(clean_text(&doc.select(&sel.section).first().text())).or_else(|| card.and_then(|c| c.section.clone()));
    let author = non_empty(clean_text(&doc.select(&sel.signature).first().text()));
    let views = parse_views(&doc.select(&sel.views).first().text());
    let cover = doc
        .select(&sel.cover)
        .first()
        .attr("style")
        .and_then(|s| background_image(&s))
        .or_else(|| doc.select(&format!("{} img", sel.cover)).first().attr("src").map(|s| s.to_string()))
        .and_then(|u| absolute(&base, &u))
        .or_else(|| card.and_then(|c| c.image_url.clone()));
    for drop in &sel.drop_from_body {
        body.select(drop).remove();
    }
    drop_repeated_pictures(&body, &base, cover.as_deref());
    let content_html = body.inner_html().to_string();
    // What a reader would read, as sanitising keeps it (scripts and styles are no text).
    if html_to_text(&content_html).is_empty() {
        return Err(ParseError::LayoutChanged { url: url.into(), selector: format!("{} (empty)", sel.body) });
    }
    let categories: Vec<String> = section.into_iter().collect();
    let canonical = canonical_url(url);
    let mut hash = ContentHash::<sha2::Sha256>::default();
    for part in [title.as_str(), &content_html, cover.as_deref().unwrap_or(""), author.as_deref().unwrap_or(""), &categories.join("\u{1}")] {
        hash.part(part, 0xff);
    }
    hash.fixed(published.timestamp().to_le_bytes());
    Ok(RawItem {
        guid: canonical.clone(),
        link: Some(canonical),
        title,
        summary_html: None,
        content_html: Some(content_html),
        author,
        categories,
        published: Some(published),
        updated: None,
        image_url: cover,
        language: language_of(url),
        base,
        views,
        hash: hash.finish(),
    })
}

/// A picture shown once: a body picture that repeats the cover or an earlier body picture
/// goes, and so does a link left holding nothing (it wrapped a dropped picture).
fn drop_repeated_pictures(body: &Selection<'_>, base: &Url, cover: Option<&str>) {
    let mut seen: Vec<String> = cover.map(canonical_url).into_iter().collect();
    for img in body.select("img").iter() {
        let Some(src) = img.attr("src").and_then(|s| absolute(base, &s)).map(|u| canonical_url(&u)) else { continue };
        if seen.contains(&src) {
            img.remove();
        } else {
            seen.push(src);
        }
    }
    for link in body.select("a").iter() {
        if clean_text(&link.text()).is_empty() && !link.select("img").exists() {
            link.remove();
        }
    }
}

/// The edition language of a site URL, from its path.
pub fn language_of(url: &str) -> Option<String> {
    let path = Url::parse(url).ok()?.path().to_owned();
    let editions = &data().editions;
    editions
        .iter()
        .filter(|e| e.path != "/")
        .find(|e| path.starts_with(&e.path))
        .or_else(|| editions.iter().find(|e| e.path == "/"))
        .map(|e| e.language.clone())
}

/// Dates as the site prints them, in Baku time: "25 Июня 2026 17:24", "10 September 2025
/// 15:00", "10 Sentyabr 2025, 15:00", "Сегодня 17:24", also "25.06.2026 17:24".
pub fn parse_site_time(text: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let site = data();
    let offset = FixedOffset::east_opt(site.utc_offset_hours * 3600)?;
    let lower = fold_case(text);
    let words: Vec<&str> = lower.split(|c: char| c.is_whitespace() || c == ',' || c == '|').filter(|w| !w.is_empty()).collect();
    let time = words.iter().find_map(|w| {
        let (h, m) = w.split_once(':')?;
        Some((h.parse::<u32>().ok()?, m.get(..2)?.parse::<u32>().ok()?))
    });
    let local_today = now.with_timezone(&offset).date_naive();
    let date = if site.today.iter().any(|t| lower.contains(t.as_str())) {
        Some(local_today)
    } else if site.yesterday.iter().any(|t| lower.contains(t.as_str())) {
        local_today.pred_opt()
    } else if let Some(dotted) = words.iter().find(|w| w.matches('.').count() == 2) {
        let mut parts = dotted.split('.').map(|p| p.parse::<i32>().ok());
        let (d, m, y) = (parts.next()??, parts.next()??, parts.next()??);
        // "25.06.26": this century.
        let y = if (0..100).contains(&y) { y + 2000 } else { y };
        NaiveDate::from_ymd_opt(y, u32::try_from(m).ok()?, u32::try_from(d).ok()?)
    } else {
        let day = words.iter().find_map(|w| w.parse::<u32>().ok().filter(|d| (1..=31).contains(d)))?;
        let month = words.iter().find_map(|w| site.months.iter().position(|names| names.iter().any(|n| n == w)))? as u32 + 1;
        let year = words.iter().find_map(|w| w.parse::<i32>().ok().filter(|y| *y > 1990)).unwrap_or(local_today.year_ce().1 as i32);
        NaiveDate::from_ymd_opt(year, month, day)
    }
    .filter(|d| d.year() > 1990)?;
    let (hour, minute) = time.unwrap_or((0, 0));
    let local = date.and_hms_opt(hour, minute, 0)?;
    offset.from_local_datetime(&local).single().map(|t| t.with_timezone(&Utc)).filter(|t| *t < now + Duration::days(2))
}

use chrono::Datelike;

fn parse_views(text: &str) -> Option<i64> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// `url(...)` out of an inline style.
fn background_image(style: &str) -> Option<String> {
    let start = style.find("url(")? + 4;
    let rest = &style[start..];
    let end = rest.find(')')?;
    let value = rest[..end].trim().trim_matches(['"', '\'']).trim();
    (!value.is_empty()).then(|| value.replace("&amp;", "&"))
}

fn absolute(base: &Url, href: &str) -> Option<String> {
    crate::weburl::resolve_web(base, href).map(String::from)
}

/// Fragment and tracking parameters removed, so one story has one URL whichever way it came.
pub fn canonical_url(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else { return url.to_owned() };
    parsed.set_fragment(None);
    let kept: Vec<(String, String)> =
        parsed.query_pairs().filter(|(k, _)| !k.starts_with("utm_") && k != "fbclid").map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    parsed.to_string()
}

fn clean_text(text: &str) -> String {
    crate::sanitize::strip_controls(text).split_whitespace().collect::<Vec<_>>().join(" ")
}

fn non_empty(s: String) -> Option<String> {
    (!s.is_empty()).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 6, 26, 12, 0, 0).unwrap()
    }

    #[test]
    fn site_data_is_valid() {
        let site = data();
        assert!(site.editions.iter().any(|e| e.code == "ru" && e.path == "/"));
        assert_eq!(site.months.len(), 12);
        for e in &site.editions {
            assert!(!edition_source_urls(e).is_empty());
        }
    }

    #[test]
    fn dates_in_each_language_are_baku_time() {
        let expect = Utc.with_ymd_and_hms(2026, 6, 25, 13, 24, 0).unwrap();
        assert_eq!(parse_site_time("25 Июня 2026 17:24", now()), Some(expect));
        assert_eq!(parse_site_time("25 June 2026 17:24", now()), Some(expect));
        assert_eq!(parse_site_time("25 İyun 2026, 17:24", now()), Some(expect));
        assert_eq!(parse_site_time("25.06.2026 17:24", now()), Some(expect));
        assert_eq!(parse_site_time("Сегодня 17:24", Utc.with_ymd_and_hms(2026, 6, 25, 18, 0, 0).unwrap()), Some(expect));
        assert_eq!(parse_site_time("Вчера, 17:24", now()), Some(expect));
        assert_eq!(parse_site_time("no date here", now()), None);
    }

    #[test]
    fn views_and_background_images() {
        assert_eq!(parse_views("Просмотров: 179"), Some(179));
        assert_eq!(parse_views("Views: 1 265"), Some(1265));
        assert_eq!(background_image("background-image: url('/uploads/a.jpg?x=1&amp;y=2');"), Some("/uploads/a.jpg?x=1&y=2".into()));
        assert_eq!(background_image("color: red"), None);
    }

    #[test]
    fn canonical_urls_drop_tracking() {
        assert_eq!(canonical_url("https://caliber.az/post/x?utm_source=tg#top"), "https://caliber.az/post/x");
        assert_eq!(canonical_url("https://caliber.az/post/x?page=2&utm_medium=a"), "https://caliber.az/post/x?page=2");
    }

    #[test]
    fn editions_from_paths() {
        assert_eq!(language_of("https://caliber.az/en/post/x").as_deref(), Some("en"));
        assert_eq!(language_of("https://caliber.az/post/x").as_deref(), Some("ru"));
        assert_eq!(language_of("https://caliber.az/az/post/x").as_deref(), Some("az"));
        assert_eq!(language_of("https://caliber.az/arm/post/x").as_deref(), Some("hy"));
    }

    #[test]
    fn armenian_edition_is_data() {
        let arm = data().editions.iter().find(|e| e.language == "hy").expect("an Armenian edition");
        assert_eq!(arm.path, "/arm/");
        assert_eq!(arm.name, "Հայերեն");
        let urls = edition_source_urls(arm);
        assert_eq!(urls, vec![("https://caliber.az/arm/".to_owned(), crate::model::SourceKind::Site)]);
    }

    #[test]
    fn armenian_dates_are_baku_time() {
        let expect = Utc.with_ymd_and_hms(2026, 6, 25, 13, 24, 0).unwrap();
        // Genitive month names, capitalised or not, with or without the "թ." (year) mark.
        assert_eq!(parse_site_time("25 Հունիսի 2026 17:24", now()), Some(expect));
        assert_eq!(parse_site_time("25 հունիսի 2026 թ., 17:24", now()), Some(expect));
        assert_eq!(parse_site_time("Հունիս 25, 2026 17:24", now()), Some(expect));
        assert_eq!(parse_site_time("Այսօր 17:24", Utc.with_ymd_and_hms(2026, 6, 25, 18, 0, 0).unwrap()), Some(expect));
        assert_eq!(parse_site_time("Երեկ, 17:24", now()), Some(expect));
        let december = Utc.with_ymd_and_hms(2025, 12, 3, 5, 5, 0).unwrap();
        assert_eq!(parse_site_time("3 Դեկտեմբերի 2025 09:05", now()), Some(december));
    }

    #[test]
    fn section_descriptions_are_data_matched_in_any_case() {
        let en = data().editions.iter().find(|e| e.code == "en").unwrap();
        assert_eq!(en.section_description("ANALYTICS"), Some("Analytical materials of the authors of Caliber.az"));
        assert_eq!(en.section_description(" Analytics "), Some("Analytical materials of the authors of Caliber.az"));
        assert_eq!(en.section_description("ECONOMY"), None, "no description where the site gives none");
        let ru = data().editions.iter().find(|e| e.code == "ru").unwrap();
        assert_eq!(ru.section_description("ANALYTICS"), None, "descriptions belong to their edition");
    }

    fn body_of(html_body: &str) -> String {
        let page = format!(
            r#"<html><body><h1 class="post_title">T</h1><div class="post_time">25 June 2026 17:24</div>
            <div class="post_cover" style="background-image: url(/uploads/cover.jpg)"></div>
            <div class="post_body">{html_body}</div></body></html>"#
        );
        parse_article(&page, "https://caliber.az/en/post/t", None, now()).unwrap().content_html.unwrap()
    }

    #[test]
    fn interface_pictures_are_dropped_and_a_picture_is_shown_once() {
        let body = body_of(
            r#"<p>First.</p><a href="/uploads/big.jpg"><img src="/templates/Default/api/zoom.png"></a>
            <p><img src="/uploads/a.jpg" alt="a"></p><p>Second.</p><p><img src="https://caliber.az/uploads/a.jpg#x" alt="again"></p>
            <p><img src="/uploads/cover.jpg" alt="the cover again"></p><p><img src="/uploads/b.jpg" alt="b"></p>"#,
        );
        assert!(!body.contains("zoom.png"), "{body}");
        assert!(!body.contains("big.jpg"), "the link that only held the zoom icon goes too: {body}");
        assert_eq!(body.matches("/uploads/a.jpg").count(), 1, "{body}");
        assert!(!body.contains("cover.jpg"), "the cover is shown above the body already: {body}");
        assert!(body.contains("/uploads/b.jpg") && body.contains("First.") && body.contains("Second."), "{body}");
    }
}
