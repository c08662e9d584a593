//! Full text for feed items that carry only a summary: the site adapter for Caliber.az's
//! own pages, a readability extractor for any other site.

use chrono::{DateTime, Utc};

use crate::sanitize::{html_to_text, sanitize_html};
use crate::site;

/// A feed's text shorter than this (in characters) is treated as a summary only.
pub const SUMMARY_ONLY_BELOW: usize = 600;

#[derive(Debug, Clone, PartialEq)]
pub struct FullText {
    /// Sanitised.
    pub html: String,
    pub text_len: usize,
    pub image_url: Option<String>,
    pub author: Option<String>,
    pub views: Option<i64>,
}

/// Extract the article from a fetched page, or `None` when nothing article-like is found.
pub fn extract(html: &str, url: &str, now: DateTime<Utc>) -> Option<FullText> {
    let base = url::Url::parse(url).ok()?;
    // Readability walks ancestors of every node: bounded nesting keeps that linear too.
    let html = &*crate::sanitize::depth::bound(html);
    // The site's own layout first (on caliber.az, or any page built like it), then readability.
    if (site::is_site_url(url) || html.contains("post_body"))
        && let Ok(article) = site::parse_article(html, url, None, now)
    {
        return Some(FullText {
            text_len: article.content_html.as_deref().map_or(0, |html| html_to_text(html).chars().count()),
            html: article.content_html.unwrap_or_default(),
            image_url: article.image_url,
            author: article.author,
            views: article.views,
        });
    }
    let mut readability = dom_smoothie::Readability::new(html, Some(url), None).ok()?;
    let article = readability.parse().ok()?;
    let html = sanitize_html(&article.content, &base);
    let text_len = html_to_text(&html).chars().count();
    (text_len > 0).then(|| FullText {
        html,
        text_len,
        image_url: article.image.filter(|i| i.starts_with("http")),
        author: article.byline.filter(|b| !b.trim().is_empty()),
        views: None,
    })
}
