//! The articles one story may have in other editions: same cover picture file name,
//! published near it, from a source still followed (see `crate::stories` for the rule).

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{Store, from_ts, ts};
use crate::error::Result;
use crate::stories::StoryArticle;

impl Store {
    /// Articles with a language whose cover picture is named `picture` (`notify::picture_name`),
    /// published between `from` and `to`, from sources not removed — and `always`, whatever
    /// its source (a saved article of an edition no longer followed still finds its story).
    pub fn articles_with_picture(&self, picture: &str, from: DateTime<Utc>, to: DateTime<Utc>, always: i64) -> Result<Vec<StoryArticle>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT a.id, a.language, a.published_at, a.image_url FROM articles a JOIN sources s ON s.id = a.source_id
             WHERE a.published_at BETWEEN ?2 AND ?3 AND a.language IS NOT NULL AND instr(a.image_url, ?1) > 0
               AND (s.removed_at IS NULL OR a.id = ?4)
             ORDER BY a.published_at, a.id",
        )?;
        let rows = stmt.query_map(params![picture, ts(from), ts(to), always], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?, r.get::<_, String>(3)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, language, published_at, image_url) = row?;
            // `instr` found the name anywhere in the URL; the file name must be it.
            if crate::notify::picture_name(&image_url) == Some(picture) {
                out.push(StoryArticle { id, language, published_at: from_ts(published_at) });
            }
        }
        Ok(out)
    }
}
