// An update over a reader's database from the release before the index changed (schema 11,
// a fixture the CLI of that release wrote: core/tests/fixtures/upgrade/). Migration 0012
// queues every article for a new index; the app opens the database without waiting for it
// (CoreConfig::index_at_open) and indexes once its window shows (src-tauri/src/lib.rs).
// The real app, its file on disk read by a separate SQLite, and its search box.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { prepareProfile, startDriver, openApp, byTestId, waitVisible, shutDown } from './harness.js';

const fixture = fileURLToPath(new URL('../../core/tests/fixtures/upgrade/schema-11.db', import.meta.url));

let profile, driver, app;

/** One number from the app's database, read by Python's SQLite (read-only), not by the app. */
function sql(db, query) {
  const script = 'import sqlite3, sys\nc = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)\nprint(c.execute(sys.argv[2]).fetchone()[0])';
  return Number(execFileSync('python3', ['-c', script, db, query], { encoding: 'utf8' }).trim());
}

before(async () => {
  profile = prepareProfile([]);
  copyFileSync(fixture, profile.db);
  assert.equal(sql(profile.db, 'PRAGMA user_version'), 11);
  driver = await startDriver(profile);
  app = await openApp(driver);
});

after(() => shutDown({ app, driver }));

test('an app updated over a database from before the index change lists its articles at once and then finds them by search', async () => {
  const articles = sql(profile.db, 'SELECT count(*) FROM articles');
  assert.ok(articles >= 10, `the fixture holds ${articles} articles`);
  await waitVisible(app, 'article-card');
  assert.equal(sql(profile.db, 'PRAGMA user_version'), 12, 'migrated');
  // The window's first list came before the index: the app waits a second after serving it.
  assert.equal(sql(profile.db, 'SELECT count(*) FROM index_queue'), articles, 'every article still queued when the first card shows');
  // Indexed in the background once the window shows: the queue empties. (The index itself is
  // not read here: Debian's SQLite is older than its `contentless_delete`.)
  await app.wait(async () => sql(profile.db, 'SELECT count(*) FROM index_queue') === 0, 30000, 'the articles queued by the upgrade are indexed');

  await app.executeScript(() => { location.hash = '#/search'; });
  const input = await waitVisible(app, 'search-input');
  await input.sendKeys('Geneva');
  const result = await waitVisible(app, 'search-result');
  assert.match(await result.getText(), /Ceasefire talks resume in Geneva/);
  const results = await app.findElements(byTestId('search-result'));
  assert.equal(results.length, 1);
});
