//! The one way an item becomes a stored article, whether a feed gave it or the site
//! adapter read it from a page: summary and text fields cleaned, title cut to one line,
//! breaking-news flag and canonical link set; the body sanitised at once
//! (`prepare_article`) or later, after the article is listed (`prepare_listing`).

use crate::breaking::is_breaking;
use crate::model::{PreparedArticle, UnsanitisedBody};
use crate::parse::RawItem;
use crate::sanitize::{html_to_text, html_to_text_up_to, sanitize_html, strip_controls, truncate_words};
use crate::site;

/// A summary is at most this many characters, cut at a word.
const SUMMARY_CHARS: usize = 280;
/// Titles longer than this (in characters) are cut at a word: a title is one line.
const MAX_TITLE_CHARS: usize = 1000;

/// `prepare_listing` with the body sanitised at once (site pages, the fuzz targets).
pub(crate) fn prepare_article(item: RawItem) -> PreparedArticle {
    let mut article = prepare_listing(item);
    if let Some(body) = article.unsanitised_body.take() {
        article.content_html = Some(sanitize_html(&body.html, &body.base)).filter(|h| !h.trim().is_empty());
    }
    article
}

/// What the list shows (title, summary, date, section, picture); the body goes along
/// unsanitised, for the store to keep out of readers' way until `Store::sanitize_pending`
/// (store/pending.rs).
pub(crate) fn prepare_listing(item: RawItem) -> PreparedArticle {
    let body_html = item.content_html.as_deref().or(item.summary_html.as_deref());
    // Plain text needs no sanitising (the UI escapes it); html_to_text drops script, style
    // and comments. The body's whole text is for the index, extracted later (store::index).
    let summary = match &item.summary_html {
        Some(summary) if item.content_html.is_some() => html_to_text(summary),
        // At most 4 bytes a character: enough text for the summary, not the whole body.
        _ => body_html.map(|html| html_to_text_up_to(html, SUMMARY_CHARS * 4)).unwrap_or_default(),
    };
    let unsanitised_body =
        item.content_html.or(item.summary_html).filter(|h| !h.trim().is_empty()).map(|html| UnsanitisedBody { html, base: item.base, spilled: None });
    let summary = Some(truncate_words(&summary, SUMMARY_CHARS)).filter(|s| !s.is_empty());
    // Text fields go to terminals and the UI as they are: no control characters in them.
    let text = |s: String| strip_controls(&s).into_owned();
    // One character is kept for the ellipsis a cut title ends with.
    let title = truncate_words(&text(item.title), MAX_TITLE_CHARS - 1);
    let categories: Vec<String> = item.categories.into_iter().map(text).filter(|c| !c.trim().is_empty()).collect();
    PreparedArticle {
        is_breaking: is_breaking(&title, &categories),
        guid: item.guid,
        url: item.link.map(|l| site::canonical_url(&l)),
        title,
        summary,
        content_html: None,
        author: item.author.map(text).filter(|a| !a.trim().is_empty()),
        categories,
        published_at: item.published,
        updated_at: item.updated,
        image_url: item.image_url,
        language: item.language,
        views: item.views,
        hash: item.hash,
        unsanitised_body,
    }
}

