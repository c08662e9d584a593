// The desktop app as a client of the push relay, end to end: the real relay binary
// (target/debug/caliber-relay) polls the fixture site every second; the reader types the
// relay's address in Settings; a breaking story published on the site is on screen (seen
// by dunst, the real notification daemon on this suite's private D-Bus) within 10 s,
// though the app's own sync runs only every 15 minutes; the app's next sync does not
// announce it again; and with the relay down, Settings says so and the app's own sync
// still alerts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { By } from 'selenium-webdriver';
import {
  freePort, root, temporaryDir, startFixtureServer, prepareProfile, startDriver, openApp, waitVisible, byTestId, screenshot, startNotificationDaemon, shutDown,
} from './harness.js';

const BREAKING_TITLE = 'Срочно: землетрясение магнитудой 5 в Каспийском море';
const SECOND_BREAKING_TITLE = 'Срочно: в Баку прошёл сильный ливень';
const relayBinary = join(process.env.CARGO_TARGET_DIR ?? join(root, 'target'), 'debug', 'caliber-relay');

let site, profile, driver, app, daemon, relay;
let relayLog = '';

const dunstctl = (...args) => execFileSync('dunstctl', args, { encoding: 'utf8', timeout: 5000 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const notifySummaries = () => daemon.summaries();
/** When the daemon was asked to show `summary`. */
const seenAt = (summary) => daemon.calls().find(([, s]) => s === summary)[0];

async function waitFor(what, ms, check) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await sleep(50);
  }
  assert.fail(`timed out after ${ms} ms waiting for ${what}`);
}

const polls = () => relayLog.split('\n').filter((l) => l.includes('caliber-relay: poll:')).length;

async function openSettings() {
  await app.executeScript(() => { location.hash = '#/settings'; });
  return waitVisible(app, 'relay-url');
}

async function showRelaySection() {
  await app.executeScript(() => document.querySelector('[data-testid="relay-status"]').scrollIntoView({ block: 'center' }));
}

const relayState = async () => (await app.findElement(byTestId('relay-status'))).getAttribute('data-state');

before(async () => {
  assert.ok(process.env.DBUS_SESSION_BUS_ADDRESS, 'run under dbus-run-session');
  daemon = await startNotificationDaemon();
  site = await startFixtureServer();
  const relayPort = await freePort();
  relay = spawn(relayBinary, [
    '--db', join(temporaryDir('caliber-relay-'), 'relay.db'),
    '--listen', `127.0.0.1:${relayPort}`, '--site', `${site.url}/`, '--editions', 'ru', '--interval', '1',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  relay.stderr.on('data', (d) => { relayLog += d.toString(); });
  relay.url = `http://127.0.0.1:${relayPort}`;
  // Up when its API answers (the app's first attempt would otherwise meet a closed port and
  // back off).
  await waitFor('the relay\'s API', 30000, async () => (await fetch(`${relay.url}/healthz`).catch(() => null))?.ok === true);
  profile = prepareProfile([[`${site.url}/`, 'site']]);
  driver = await startDriver(profile);
  app = await openApp(driver);
});

after(async () => {
  relay?.kill('SIGKILL');
  await shutDown({ app, driver, site });
  await daemon?.stop();
});

test('the relay address typed in Settings connects, and says so', async () => {
  // The app's first sync (a baseline) is done when the list is there.
  await app.wait(async () => (await app.findElements(byTestId('article-card'))).length >= 3, 30000);
  const field = await openSettings();
  assert.equal(await relayState(), 'off');
  await field.clear();
  await field.sendKeys('relay.example');
  await (await waitVisible(app, 'relay-save')).click();
  await app.wait(async () => (await app.findElements(By.css('#relay-error'))).length > 0, 5000, 'the address is refused');
  assert.equal(await relayState(), 'off', 'a bad address is not used');
  await field.clear();
  await field.sendKeys(relay.url);
  await (await waitVisible(app, 'relay-save')).click();
  await waitFor('"connected" in Settings', 10000, async () => (await relayState()) === 'connected');
  const text = await (await app.findElement(byTestId('relay-status'))).getText();
  assert.match(text, /^Подключено/);
  await showRelaySection();
  await screenshot(app, 'settings-relay-connected');
});

test('a breaking story published on the site is on screen within 10 s, through the relay', async (t) => {
  // The relay's first poll is its baseline: publish after it.
  await waitFor('the relay\'s first poll', 30000, () => polls() >= 1);
  assert.deepEqual(notifySummaries(), [], 'nothing announced before');
  const published = Date.now();
  await site.control('breaking');
  await waitFor('the notification at the daemon', 10000, () => notifySummaries().includes(BREAKING_TITLE));
  const seen = seenAt(BREAKING_TITLE);
  t.diagnostic(`publish → notification on screen through the relay: ${seen - published} ms (relay polling every 1 s)`);
  assert.ok(seen - published < 10000);
  assert.deepEqual(notifySummaries(), [BREAKING_TITLE], 'the ordinary story is not announced');
});

test('the app\'s own next sync does not announce it again, and the notification opens the article', async () => {
  await app.executeScript(() => { location.hash = '#/'; });
  await (await waitVisible(app, 'sync-now')).click();
  await app.wait(async () => {
    const titles = await Promise.all((await app.findElements(byTestId('article-card'))).map((c) => c.getText()));
    return titles.some((text) => text.includes(BREAKING_TITLE));
  }, 20000, 'the story in the list after the sync');
  await sleep(2500);
  assert.equal(notifySummaries().filter((s) => s === BREAKING_TITLE).length, 1, 'exactly one notification');
  assert.deepEqual(notifySummaries(), [BREAKING_TITLE]);
  await openSettings();
  dunstctl('action', '0');
  const title = await waitVisible(app, 'article-title', 10000);
  await app.wait(async () => (await title.getText()) === BREAKING_TITLE, 10000);
});

test('with the relay down, Settings says it is unreachable and the app\'s own sync still alerts', async (t) => {
  relay.kill('SIGKILL');
  await openSettings();
  await waitFor('"unreachable" in Settings', 10000, async () => (await relayState()) === 'unreachable');
  const text = await (await app.findElement(byTestId('relay-status'))).getText();
  assert.match(text, /^Сервер недоступен/);
  await showRelaySection();
  await screenshot(app, 'settings-relay-unreachable');
  await app.executeScript(() => { location.hash = '#/'; });
  const syncButton = await waitVisible(app, 'sync-now');
  // A sync already running (the button is disabled meanwhile) would not see the new story.
  await app.wait(() => syncButton.isEnabled(), 30000, 'no sync running');
  await site.control('more-breaking');
  const published = Date.now();
  // The poll's turn comes every 15 minutes by default; the button is that turn, now.
  await syncButton.click();
  await app.wait(async () => {
    const titles = await Promise.all((await app.findElements(byTestId('article-card'))).map((c) => c.getText()));
    return titles.some((text) => text.includes(SECOND_BREAKING_TITLE));
  }, 30000, 'the second story in the list after the sync');
  await waitFor('the local poll\'s notification', 10000, () => notifySummaries().includes(SECOND_BREAKING_TITLE));
  const seen = seenAt(SECOND_BREAKING_TITLE);
  t.diagnostic(`publish → notification on screen through the app's own sync, once its turn comes: ${seen - published} ms`);
  await sleep(1000);
  assert.deepEqual(notifySummaries(), [BREAKING_TITLE, SECOND_BREAKING_TITLE]);
});
