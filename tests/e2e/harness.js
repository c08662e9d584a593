// Shared plumbing for the end-to-end tests: the fixture news server, a data dir prepared
// with the real `caliber` CLI, tauri-driver, and WebDriver sessions of the real app.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, readdirSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Builder, By, Condition, error as webdriverError, until } from 'selenium-webdriver';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../..');
const targetDir = process.env.CARGO_TARGET_DIR ? resolve(process.env.CARGO_TARGET_DIR) : join(root, 'target');
export const appBinary = process.env.CALIBER_APP_BINARY ?? join(targetDir, 'debug', 'caliber-app');
export const cliBinary = process.env.CALIBER_CLI_BINARY ?? join(targetDir, 'debug', 'caliber');
export const screenshotDir = join(root, 'docs', 'screenshots');

/**
 * A temporary directory removed when this test file's process exits (each profile holds a
 * database, WebKit's caches and logs: a machine running the suite daily collected them).
 * CALIBER_E2E_KEEP=1 keeps them, to look into a failure.
 */
const temporaryDirs = [];
export function temporaryDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporaryDirs.push(dir);
  return dir;
}
process.on('exit', () => {
  if (process.env.CALIBER_E2E_KEEP === '1') return;
  for (const dir of temporaryDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      /* still in use by a process that outlived the test: left for the system's tmp cleaner */
    }
  }
});

export function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
    srv.on('error', fail);
  });
}

function waitForLine(child, pattern, what, ms = 20000) {
  return new Promise((ok, fail) => {
    let seen = '';
    const timer = setTimeout(() => fail(new Error(`${what} did not start: ${seen}`)), ms);
    const onData = (d) => {
      seen += d.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        ok(seen);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => fail(new Error(`${what} exited with ${code}: ${seen}`)));
  });
}

/** The fixture news server (tests/fixture-server/server.py) on free ports: it binds port 0 and
 * prints the ports it got (a port found free first could be taken before the server binds it). */
export async function startFixtureServer() {
  const child = spawn('python3', [join(root, 'tests/fixture-server/server.py'), '--port', '0', '--control-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const address = /fixture site on http:\/\/127\.0\.0\.1:(\d+)\/ \(control on :(\d+)\)/;
  const [, port, controlPort] = (await waitForLine(child, address, 'fixture server')).match(address);
  const control = async (mode) => {
    const res = await fetch(`http://127.0.0.1:${controlPort}/mode/${mode}`, { method: 'POST' });
    if (!res.ok) throw new Error(`mode ${mode}: ${res.status}`);
  };
  const hits = async () => (await (await fetch(`http://127.0.0.1:${controlPort}/hits`)).json()).hits;
  /** Every request the site got, in order: { path (with the query), ua (User-Agent) }. */
  const requests = async () => (await (await fetch(`http://127.0.0.1:${controlPort}/log`)).json()).log;
  return { url: `http://127.0.0.1:${port}`, control, hits, requests, stop: () => child.kill() };
}

/** The real `caliber` CLI on one database: how the tests prepare and observe it from outside the app. */
export function cliOn(db) {
  return (...args) => execFileSync(cliBinary, ['--db', db, ...args], { encoding: 'utf8', stdio: 'pipe', timeout: 60000, maxBuffer: 64 << 20 });
}

/** The URLs of the sources followed, as the CLI lists them. */
export const sourceUrlsOf = (cli) => JSON.parse(cli('sources', 'list', '--json')).map((s) => s.url);

/** A fresh HOME and data dir; the database is prepared with the real CLI, as a user could. */
export function prepareProfile(sources) {
  const home = temporaryDir('caliber-e2e-');
  const dataDir = join(home, 'data');
  mkdirSync(dataDir, { recursive: true });
  const db = join(dataDir, 'caliber.db');
  const cli = cliOn(db);
  for (const [url, kind] of sources) cli('sources', 'add', url, '--kind', kind);
  return { home, dataDir, db, cli };
}

/** Quit the app and stop its driver and the fixture site, whatever state a test left them in. */
export async function shutDown({ app, driver, site }) {
  try { await app?.quit(); } catch { /* already gone */ }
  driver?.stop();
  site?.stop();
}

/**
 * A logging stand-in for the system opener. tauri-plugin-opener opens URLs with the `open`
 * crate, which on Linux runs `xdg-open URL` first (falling back to gio, gnome-open, kde-open
 * only when xdg-open is missing or fails). This `xdg-open` appends each argument to a log
 * and exits 0. Put `path` in the PATH the driver (and so the app) gets.
 */
export function fakeOpener() {
  const dir = temporaryDir('caliber-opener-');
  const log = join(dir, 'opened.log');
  // Its environment too, one `NAME=value` per line (the last program opened), to see what
  // the app passes on to what it starts.
  const envLog = join(dir, 'environment.log');
  const script = `#!/bin/sh\nenv > '${envLog}'\nfor a in "$@"; do printf '%s\\n' "$a"; done >> '${log}'\nexit 0\n`;
  writeFileSync(join(dir, 'xdg-open'), script, { mode: 0o755 });
  const opened = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
  /** The environment the last program opened was started with, by name. */
  const environment = () => new Map(
    readFileSync(envLog, 'utf8').split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  /** What was opened after the first `before` entries, once something was (or after `ms`). */
  const openedSince = async (before, ms = 10000) => {
    const until = Date.now() + ms;
    while (opened().length <= before && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300));
    return opened().slice(before);
  };
  return { path: `${dir}:${process.env.PATH}`, opened, openedSince, environment };
}

/** tauri-driver with WebKitWebDriver; the app it launches inherits this environment. */
export async function startDriver(profile, extraEnv = {}) {
  const port = await freePort();
  const nativePort = await freePort();
  const env = {
    ...process.env,
    HOME: profile.home,
    XDG_DATA_HOME: join(profile.home, '.local/share'),
    XDG_CONFIG_HOME: join(profile.home, '.config'),
    XDG_CACHE_HOME: join(profile.home, '.cache'),
    CALIBER_DATA_DIR: profile.dataDir,
    LANG: 'ru_RU.UTF-8',
    LC_ALL: '',
    ...extraEnv,
  };
  const driverBin = process.env.TAURI_DRIVER || join(process.env.HOME ?? '/root', '.cargo/bin/tauri-driver');
  // Its own process group: stopping it also stops WebKitWebDriver and the app they
  // launched, even an app left running in the tray after its session ended (an orphan
  // holding our log pipes kept the test process alive).
  const child = spawn(driverBin, ['--port', String(port), '--native-port', String(nativePort), '--native-driver', '/usr/bin/WebKitWebDriver'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const log = [];
  child.stdout.on('data', (d) => log.push(d.toString()));
  child.stderr.on('data', (d) => log.push(d.toString()));
  // tauri-driver prints nothing when ready; poll its status endpoint.
  for (let i = 0; i < 100; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/status`);
      if (res.ok || res.status === 404) break;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const stop = () => {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
    child.stdout.destroy();
    child.stderr.destroy();
  };
  return { port, log, stop };
}

// ---- The app's processes, seen from outside ---------------------------------------------

const procs = () => readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);

/** A process's parent, start time (clock ticks after boot) and name, or null once it is gone. */
export function processStat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(rest[1]), startTicks: Number(rest[19]), comm: s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')) };
  } catch {
    return null;
  }
}

/** The process running the app's binary, or null. */
export function appPid() {
  const binary = realpathSync(appBinary);
  for (const pid of procs()) {
    try {
      if (readlinkSync(`/proc/${pid}/exe`) === binary) return pid;
    } catch {
      /* not ours, or gone */
    }
  }
  return null;
}

/** `pid` and every process under it (for the app: WebKit's web and network processes). */
export function processTree(pid) {
  const all = procs().map((p) => ({ pid: p, ...processStat(p) })).filter((p) => p.ppid !== undefined);
  const tree = [pid];
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) if (!tree.includes(p.pid) && tree.includes(p.ppid)) (tree.push(p.pid), (grew = true));
  }
  return tree.map((p) => ({ pid: p, comm: processStat(p)?.comm ?? '?' }));
}

export async function openApp(driver) {
  const session = await new Builder()
    .usingServer(`http://127.0.0.1:${driver.port}/`)
    .withCapabilities({ browserName: 'wry', 'tauri:options': { application: appBinary } })
    .build();
  await session.manage().setTimeouts({ implicit: 0, pageLoad: 30000, script: 30000 });
  ignoreStaleElementsWhileWaiting(session);
  await session.wait(until.elementLocated(By.css('body')), 20000);
  return session;
}

/**
 * A wait's condition that meets a node the UI has just replaced (Svelte re-rendered the
 * list between our find and our read) has seen nothing yet: it polls again and reads the
 * new nodes, as Selenium's FluentWait does. WebKitWebDriver even throws this from
 * findElements itself when a node goes mid-search, which failed CI on a toast leaving.
 * Every other error still fails the wait at once.
 */
export function ignoreStaleElementsWhileWaiting(session) {
  const wait = session.wait.bind(session);
  const tolerant = (fn) => async (driver) => {
    try {
      return await fn(driver);
    } catch (err) {
      if (err instanceof webdriverError.StaleElementReferenceError) return false;
      throw err;
    }
  };
  session.wait = (condition, ...rest) => {
    if (condition instanceof Condition) condition.fn = tolerant(condition.fn);
    else if (typeof condition === 'function') condition = tolerant(condition);
    return wait(condition, ...rest);
  };
}

export const byTestId = (id) => By.css(`[data-testid="${id}"]`);

export async function waitVisible(session, id, ms = 15000) {
  const el = await session.wait(until.elementLocated(byTestId(id)), ms, `no ${id}`);
  await session.wait(until.elementIsVisible(el), ms, `${id} not visible`);
  return el;
}

export async function computed(session, id, property) {
  return session.executeScript(
    (sel, prop) => getComputedStyle(document.querySelector(sel))[prop],
    `[data-testid="${id}"]`,
    property,
  );
}

/** Two animation frames, so a screenshot shows the DOM as it is now. */
export async function settle(session) {
  await session.executeAsyncScript((done) => requestAnimationFrame(() => requestAnimationFrame(() => done())));
}

export async function screenshot(session, name) {
  await settle(session);
  // Let running transitions end: a theme switch fades backgrounds for 150 ms while text
  // colour changes at once, and a picture taken mid-fade showed light buttons with light
  // labels (phone-article-dark.png, 2026-12-02).
  await session.executeAsyncScript((done) => {
    const running = document.getAnimations ? document.getAnimations() : [];
    Promise.race([Promise.allSettled(running.map((a) => a.finished)), new Promise((r) => setTimeout(r, 1000))]).then(() => done());
  });
  await settle(session);
  mkdirSync(screenshotDir, { recursive: true });
  // WebKitGTK's WebDriver takes a screenshot after the web view's next drawing. Without
  // compositing (the app turns it off) a page with nothing left to draw never draws
  // again and the command never returns, so one pixel in a corner changes by 1/255 of
  // its opacity every 30 ms while the screenshot is taken: invisible, but a drawing.
  await session.executeScript(() => {
    const pixel = document.createElement('div');
    pixel.id = 'e2e-repaint-pixel';
    pixel.setAttribute('aria-hidden', 'true');
    pixel.style.cssText = 'position:fixed;right:0;bottom:0;width:1px;height:1px;pointer-events:none;z-index:2147483647';
    document.body.append(pixel);
    let odd = false;
    const timer = setInterval(() => {
      odd = !odd;
      pixel.style.background = odd ? 'rgba(127,127,127,0.004)' : 'rgba(127,127,127,0.008)';
    }, 30);
    setTimeout(() => { clearInterval(timer); pixel.remove(); }, 10000);
    pixel.dataset.timer = String(timer);
  });
  const png = await session.takeScreenshot();
  await session.executeScript(() => {
    const pixel = document.getElementById('e2e-repaint-pixel');
    if (pixel) { clearInterval(Number(pixel.dataset.timer)); pixel.remove(); }
  });
  writeFileSync(join(screenshotDir, `${name}.png`), png, 'base64');
}

/**
 * The pixels of an X window as the X server holds them (`xwd`), not as WebKit's own
 * snapshot gives them: what a reader sees. `title` names the window (its WM_NAME).
 * Returns its size and `colour(x, y)` (0xRRGGBB, window coordinates).
 */
export function windowPixels(title) {
  const tree = execFileSync('xwininfo', ['-root', '-tree'], { encoding: 'utf8', timeout: 5000 });
  const line = tree.split('\n').find((l) => l.includes(`"${title}"`));
  if (!line) throw new Error(`no window named ${title}`);
  const id = /0x[0-9a-f]+/.exec(line)[0];
  const raw = execFileSync('xwd', ['-id', id, '-silent'], { timeout: 10000, maxBuffer: 64 << 20 });
  const field = (i) => raw.readUInt32BE(i * 4);
  const [headerSize, format, width, height, byteOrder, bytesPerLine, colours] = [field(0), field(2), field(4), field(5), field(7), field(12), field(19)];
  const bytesPerPixel = bytesPerLine / width;
  if (format !== 2 || bytesPerPixel !== 4) throw new Error(`xwd: format ${format}, ${bytesPerPixel} bytes per pixel`);
  const pixels = headerSize + colours * 12;
  const colour = (x, y) => {
    const at = pixels + y * bytesPerLine + x * 4;
    return (byteOrder === 0 ? raw.readUInt32LE(at) : raw.readUInt32BE(at)) & 0xffffff;
  };
  return { width, height, colour };
}

export function clipboardText() {
  return execFileSync('xclip', ['-selection', 'clipboard', '-o'], { encoding: 'utf8', timeout: 5000 });
}

/**
 * dunst, the real notification daemon, on the private D-Bus session the suite runs in
 * (`dbus-run-session`), and dbus-monitor watching every Notify call. Identical
 * notifications stay separate (dunst merges duplicates by default, closing the older one),
 * so a test sees each one the app shows.
 */
export async function startNotificationDaemon() {
  const dunstrc = join(temporaryDir('caliber-dunst-'), 'dunstrc');
  writeFileSync(dunstrc, '[global]\n    stack_duplicates = false\n');
  // The daemon of an earlier test file in the same session may still hold the name for a
  // moment: this one exits then, and is started again until it owns the name itself.
  const owner = () => {
    try {
      const out = execFileSync('busctl', ['--user', 'call', 'org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
        'GetConnectionUnixProcessID', 's', 'org.freedesktop.Notifications'], { encoding: 'utf8', stdio: 'pipe', timeout: 5000 });
      return Number(out.trim().split(/\s+/)[1]);
    } catch {
      return null;
    }
  };
  let dunst = null;
  for (let tries = 0; ; tries++) {
    if (!dunst || dunst.exitCode !== null) dunst = spawn('dunst', ['-config', dunstrc], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 200));
    if (owner() === dunst.pid) break;
    if (tries > 50) throw new Error('dunst did not take org.freedesktop.Notifications');
  }
  const monitor = spawn('dbus-monitor', ['--session', "interface='org.freedesktop.Notifications'"], { stdio: ['ignore', 'pipe', 'ignore'] });
  let log = '';
  const notifyCalls = () => log.split(/(?=method call)/).filter((c) => c.includes('member=Notify'));
  // When each call was first seen; its text is read from the whole log when asked (a call
  // may arrive in more than one chunk).
  const times = [];
  monitor.stdout.on('data', (d) => {
    log += d.toString();
    const count = notifyCalls().length;
    while (times.length < count) times.push(Date.now());
  });
  await new Promise((r) => setTimeout(r, 800));
  // Notify(app_name, replaces_id, app_icon, summary, body, …): the 3rd string argument.
  const summaries = () => notifyCalls().map((c) => [...c.matchAll(/string "([^"]*)"/g)].map((m) => m[1])[2]);
  return {
    /** [time seen (ms), summary] of every call, in order. */
    calls: () => summaries().map((summary, i) => [times[i], summary]),
    /** Summaries of every notification the daemon was asked to show. */
    summaries,
    /** Stops both and waits for the daemon to be gone (and its name free for the next). */
    stop: async () => {
      monitor.kill();
      if (dunst.exitCode === null && dunst.signalCode === null) {
        const gone = new Promise((r) => dunst.once('exit', r));
        dunst.kill();
        await gone;
      }
    },
  };
}
