//! The reference the sanitiser is held to: the same policy as an ammonia 4.2 `Builder`, which
//! `sanitize_html` used until issue 15 (`tree`'s header). Built for the tests
//! (`differential`) and, with the `reference-sanitizer` feature, for the property tests and
//! fuzz targets through `fuzzing`; never part of a sync.

use std::borrow::Cow;
use std::collections::HashSet;

use ammonia::{Builder, UrlRelative, UrlRelativeEvaluate};

use super::{URL_DROPPED, filter_url_attribute, finish_pass, is_url_attribute, policy_pass, resolve_relative};

struct ResolveAgainstBase;

impl<'a> UrlRelativeEvaluate<'a> for ResolveAgainstBase {
    fn evaluate<'url>(&self, relative: &'url str) -> Option<Cow<'url, str>> {
        resolve_relative(relative).map(Cow::Owned)
    }
}

/// The policy as ammonia takes it.
pub(crate) fn reference_policy() -> Builder<'static> {
    let mut builder = Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .attribute_filter(|element, attribute, value| {
            if !is_url_attribute(element, attribute) {
                return Some(Cow::Borrowed(value));
            }
            filter_url_attribute(element, attribute, value)
        })
        .url_relative(UrlRelative::Custom(Box::new(ResolveAgainstBase)))
        .link_rel(Some("noopener noreferrer"))
        .add_tag_attributes("img", ["loading"])
        .rm_tag_attributes("blockquote", ["cite"])
        .rm_tag_attributes("q", ["cite"])
        .rm_tag_attributes("del", ["cite"])
        .rm_tag_attributes("ins", ["cite"])
        .rm_tags(["map", "area"]);
    builder
}

thread_local! {
    static REFERENCE: Builder<'static> = reference_policy();
}

/// One pass of the reference, as `policy_pass` makes one (the thread's base set).
fn reference_pass(html: &str) -> String {
    REFERENCE.with(|policy| {
        let mut out = Vec::new();
        policy.clean(html).write_to(&mut out).expect("writing to memory fails only when memory does");
        finish_pass(String::from_utf8(out).expect("html5ever writes UTF-8"))
    })
}

/// One pass of the policy and one of the reference on `html`, each as (output, whether a
/// URL was dropped): equal, or the sanitiser has drifted from the reference.
pub(crate) fn both_passes(html: &str) -> ((String, bool), (String, bool)) {
    let run = |pass: fn(&str) -> String| {
        URL_DROPPED.with(|dropped| dropped.set(false));
        let out = pass(html);
        (out, URL_DROPPED.with(std::cell::Cell::get))
    };
    (run(policy_pass), run(reference_pass))
}
