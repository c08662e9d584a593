// Breaking-news notifications end to end: the real app, a real notification daemon (dunst)
// on the private D-Bus session this suite runs in (`dbus-run-session`), dbus-monitor
// watching every Notify call, and the fixture site publishing one breaking and one
// ordinary article.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startFixtureServer, prepareProfile, startDriver, openApp, waitVisible, byTestId, startNotificationDaemon } from './harness.js';

const BREAKING_TITLE = 'Срочно: землетрясение магнитудой 5 в Каспийском море';
const ORDINARY_TITLE = 'В Баку открылась выставка ковров';

let site, profile, driver, app, daemon;

const dunstctl = (...args) => execFileSync('dunstctl', args, { encoding: 'utf8', timeout: 5000 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Summaries of every notification the daemon was asked to show, from dbus-monitor. */
const notifySummaries = () => daemon.summaries();

function historySummaries() {
  const history = JSON.parse(dunstctl('history'));
  return history.data[0].map((n) => n.summary.data);
}

async function syncAndWait() {
  const before = notifySummaries().length;
  await (await waitVisible(app, 'sync-now')).click();
  // Notifications follow the sync; give the daemon a moment.
  await sleep(2500);
  return notifySummaries().slice(before);
}

before(async () => {
  assert.ok(process.env.DBUS_SESSION_BUS_ADDRESS, 'run under dbus-run-session');
  daemon = await startNotificationDaemon();
  site = await startFixtureServer();
  profile = prepareProfile([[`${site.url}/`, 'site']]);
  driver = await startDriver(profile);
  app = await openApp(driver);
});

after(async () => {
  try { await app?.quit(); } catch { /* gone */ }
  driver?.stop();
  site?.stop();
  await daemon?.stop();
});

test('the first sync is a baseline: no notification', async () => {
  await app.wait(async () => (await app.findElements(byTestId('article-card'))).length >= 3, 30000);
  const shown = await syncAndWait();
  assert.deepEqual(shown, []);
  assert.deepEqual(notifySummaries(), []);
});

test('one breaking and one ordinary article: exactly one notification, the breaking one', async () => {
  await site.control('breaking');
  const shown = await syncAndWait();
  assert.deepEqual(shown, [BREAKING_TITLE]);
  assert.ok(!notifySummaries().includes(ORDINARY_TITLE));
});

test('activating the notification opens that article', async () => {
  await app.executeScript(() => { location.hash = '#/settings'; });
  dunstctl('action', '0');
  const title = await waitVisible(app, 'article-title', 10000);
  await app.wait(async () => (await title.getText()) === BREAKING_TITLE, 10000);
});

test('the daemon holds exactly that one notification', async () => {
  dunstctl('close-all');
  await sleep(300);
  assert.deepEqual(historySummaries(), [BREAKING_TITLE]);
});

test('a restart and a re-sync add none', async () => {
  await app.quit();
  app = await openApp(driver);
  await app.wait(async () => (await app.findElements(byTestId('article-card'))).length >= 3, 30000);
  const shown = await syncAndWait();
  assert.deepEqual(shown, []);
  dunstctl('close-all');
  assert.deepEqual(historySummaries(), [BREAKING_TITLE]);
  assert.equal(notifySummaries().filter((s) => s === BREAKING_TITLE).length, 1);
});

/** D-Bus connections the app holds on the session bus, from the bus itself (busctl). */
function appConnections() {
  const lines = execFileSync('busctl', ['--user', 'list', '--unique', '--no-legend', '--no-pager'], { encoding: 'utf8', timeout: 5000 });
  return lines.split('\n').filter((l) => l.split(/\s+/)[2] === 'caliber-app').length;
}

test('many notifications at once: never more than 4 wait for a click, each with its own D-Bus connection', async (t) => {
  await app.executeScript(() => { location.hash = '#/settings'; });
  const button = await waitVisible(app, 'send-test-notification');
  await sleep(1000);
  const idle = appConnections();
  const shownBefore = notifySummaries().length;
  for (let i = 0; i < 8; i++) await button.click();
  await app.wait(async () => notifySummaries().length >= shownBefore + 8, 10000, 'eight notifications shown');
  // dunst keeps each on screen for 10 s: long enough to see who still listens.
  await sleep(1500);
  const waiting = appConnections() - idle;
  t.diagnostic(`idle ${idle} connections, with eight notifications shown ${idle + waiting}`);
  assert.ok(waiting <= 4, `${waiting} connections held by eight notifications`);
  dunstctl('close-all');
  await sleep(1000);
  assert.equal(appConnections(), idle, 'closed notifications hold nothing');
});
