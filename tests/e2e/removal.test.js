// Removing a source in the real app: the app says what removal does and asks first;
// Cancel changes nothing; Remove drops the source but never the articles the reader saved.
// Observed outside the app, through the real `caliber` CLI on the same database file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { By, until } from 'selenium-webdriver';
import { startFixtureServer, prepareProfile, startDriver, openApp, byTestId, waitVisible, sourceUrlsOf, shutDown } from './harness.js';

let site, profile, driver, app, feedUrl, savedId;

const cli = (...args) => profile.cli(...args);
const sourceUrls = () => sourceUrlsOf(profile.cli);

before(async () => {
  site = await startFixtureServer();
  feedUrl = `${site.url}/rss.xml`;
  profile = prepareProfile([[feedUrl, 'feed']]);
  cli('sync', '--no-images');
  const articles = JSON.parse(cli('articles', '--json'));
  assert.ok(articles.length >= 2, 'the fixture feed gives articles');
  savedId = articles[0].id;
  cli('mark', String(savedId), '--save', '--read');
  driver = await startDriver(profile);
  app = await openApp(driver);
});

after(() => shutDown({ app, driver, site }));

async function trashButton() {
  await app.executeScript(() => { location.hash = '#/settings'; });
  return app.wait(async () => (await app.findElements(By.css(`.source button[aria-label$="${feedUrl}"]`)))[0], 20000, 'no remove button for the feed');
}

test('removing a source asks first and keeps the saved article', async () => {
  await (await trashButton()).click();
  const ask = await waitVisible(app, 'confirm-remove');
  // LANG is ru_RU: the interface speaks Russian.
  assert.match(await ask.getText(), /сохранённые вами статьи останутся/);
  const [, cancel] = await ask.findElements(By.css('button'));
  await cancel.click();
  await app.wait(async () => (await app.findElements(byTestId('confirm-remove'))).length === 0, 5000, 'Cancel closes the question');
  assert.ok(sourceUrls().includes(feedUrl), 'Cancel removed nothing');

  await (await trashButton()).click();
  const [remove] = await (await waitVisible(app, 'confirm-remove')).findElements(By.css('button'));
  await remove.click();
  await app.wait(async () => (await app.findElements(By.css(`.source button[aria-label$="${feedUrl}"]`))).length === 0, 10000, 'the row goes');
  const toast = await waitVisible(app, 'toast');
  assert.match(await toast.getText(), /сохранена 1 статья/);

  assert.ok(!sourceUrls().includes(feedUrl), 'the source is gone from the file');
  const saved = JSON.parse(cli('articles', '--saved', '--json'));
  assert.deepEqual(saved.map((a) => a.id), [savedId], 'the saved article is still in the file');
  assert.equal(saved[0].read, true, 'with its read mark');
  assert.ok(JSON.parse(cli('articles', '--json')).length === 1, 'unsaved articles went with the source');
});

test('unfollowing an edition asks first; Cancel keeps it, Remove drops it', async () => {
  // Following adds the edition's sources without touching the network (no sync is started).
  const azFollowed = () => JSON.parse(cli('editions', 'list', '--json')).find((e) => e.code === 'az').followed;
  await app.executeScript(() => { location.hash = '#/settings'; });
  const box = async () => app.wait(until.elementLocated(By.xpath("//label[.//span[@lang='az']]/input[@type='checkbox']")), 20000, 'no AZ edition');
  await (await box()).click();
  await app.wait(async () => azFollowed(), 10000, 'AZ is followed');

  await (await box()).click();
  const ask = await waitVisible(app, 'confirm-unfollow');
  assert.match(await ask.getText(), /сохранённые вами статьи останутся/);
  assert.equal(await (await box()).isSelected(), true, 'nothing is unfollowed before the answer');
  const [, cancel] = await ask.findElements(By.css('button'));
  await cancel.click();
  await app.wait(async () => (await app.findElements(byTestId('confirm-unfollow'))).length === 0, 5000, 'Cancel closes the question');
  assert.equal(azFollowed(), true, 'Cancel unfollowed nothing');

  await (await box()).click();
  const [remove] = await (await waitVisible(app, 'confirm-unfollow')).findElements(By.css('button'));
  await remove.click();
  await app.wait(async () => !azFollowed(), 10000, 'AZ is no longer followed in the file');
  assert.deepEqual(JSON.parse(cli('articles', '--saved', '--json')).map((a) => a.id), [savedId], 'the saved article stays');
});
