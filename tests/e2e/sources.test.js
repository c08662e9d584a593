// Adding a source that is already followed, in the real app over the real commands: Rust
// hands back the source it has (it normalises the address first), and Settings lists it
// once and says so, instead of a second row. Checked in the file through the real CLI.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { By } from 'selenium-webdriver';
import { startFixtureServer, prepareProfile, startDriver, openApp, waitVisible, sourceUrlsOf, shutDown } from './harness.js';

let site, profile, driver, app, feedUrl;

const cli = (...args) => profile.cli(...args);
const sourceUrls = () => sourceUrlsOf(profile.cli);

before(async () => {
  site = await startFixtureServer();
  feedUrl = `${site.url}/rss.xml`;
  profile = prepareProfile([[feedUrl, 'feed']]);
  driver = await startDriver(profile);
  app = await openApp(driver);
});

after(() => shutDown({ app, driver, site }));

/** The rows of Settings → Sources that show `url`. */
async function rowsFor(url) {
  const rows = await app.findElements(By.css('.sources .source'));
  const texts = await Promise.all(rows.map((li) => li.getText()));
  return rows.filter((_, i) => texts[i].includes(url));
}

test('adding a source already followed lists it once and says so', async () => {
  await app.executeScript(() => { location.hash = '#/settings'; });
  await app.wait(async () => (await rowsFor(feedUrl)).length === 1, 20000, 'the followed source is listed');
  const before = (await app.findElements(By.css('.sources .source'))).length;

  // The same address, as a reader might paste it: spaces around it and a fragment.
  const input = await app.findElement(By.id('new-source'));
  await input.sendKeys(` ${feedUrl}#latest `);
  await app.findElement(By.css('.add-source button[type="submit"]')).click();

  const toast = await waitVisible(app, 'toast');
  // LANG is ru_RU: the interface speaks Russian.
  await app.wait(async () => /Вы уже читаете/.test(await toast.getText()), 10000, 'the reader is told it is already followed');
  assert.equal((await rowsFor(feedUrl)).length, 1, 'still one row for the source');
  assert.equal((await app.findElements(By.css('.sources .source'))).length, before, 'no row was added');
  assert.equal((await app.findElements(By.id('add-error'))).length, 0, 'no error is shown');
  assert.equal(await input.getAttribute('value'), '', 'the field is cleared');

  assert.deepEqual(sourceUrls(), [feedUrl], 'the file still has the one source');
});
