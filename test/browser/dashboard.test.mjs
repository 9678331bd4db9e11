// The dashboard in Debian's chromium (playwright-core drives it; no browser download).
// test_dashboard.py starts the stack, pushes v1 of the app and runs this with SW_* set:
//   - sign in through a ticket from `slipway dashboard`; the apps page lists the app;
//   - push v2 from here and watch the rollout view reach "live", v2 at the top of the timeline;
//   - push a crashing commit: the rollout fails, the timeline shows why;
//   - roll back to v1 from the release page (a confirmation names what changes): the
//     router answers v1 again;
//   - a read user sees the app but no rollback, config or scale controls, and forged
//     POSTs from its session are refused (403, naming the role) with nothing changed;
//   - a change without the CSRF token is refused; an expired and a replayed ticket too.
// Screenshots of the rollout view and the timeline go to SW_SCREENSHOTS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { chromium } from 'playwright-core';

const E = process.env;
const APP = E.SW_APP;
const shot = name => join(E.SW_SCREENSHOTS, name);
let browser, ctx, page, profile;

function ticketUrl(token = E.SW_TOKEN) {
  return execFileSync(E.SW_SLIPWAY, ['dashboard', '--no-open'], {
    env: { ...E, SLIPWAY_URL: E.SW_URL, SLIPWAY_TOKEN: token, DISPLAY: '', WAYLAND_DISPLAY: '' },
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}
function git(...args) {
  return execFileSync('git', args, { cwd: E.SW_REPO, env: E, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
function commit(files, message) {
  for (const [name, text] of Object.entries(files)) writeFileSync(join(E.SW_REPO, name), text);
  git('add', '-A');
  git('commit', '-q', '-m', message);
  return git('rev-parse', 'HEAD').trim();
}
// A push in the background: resolves to {code, output} when git is done.
function push() {
  return new Promise(resolve => {
    const p = spawn('git', ['push', E.SW_REMOTE, 'HEAD:main'], { cwd: E.SW_REPO, env: E });
    let output = '';
    p.stdout.on('data', d => { output += d; });
    p.stderr.on('data', d => { output += d; });
    p.on('close', code => resolve({ code, output }));
  });
}
function viaRouter(path = '/') {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: Number(E.SW_ROUTER_PORT), path, headers: { Host: APP + '.localhost' }, timeout: 5000 },
      res => { let b = ''; res.on('data', d => { b += d; }); res.on('end', () => resolve({ status: res.statusCode, body: b.trim() })); });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}
async function eventually(what, fn, ms = 60000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    if (Date.now() > end) throw new Error('timed out waiting for ' + what + ': ' + (last && last.message ? last.message : last));
    await new Promise(r => setTimeout(r, 500));
  }
}
async function api(path, token = E.SW_TOKEN) {
  const r = await fetch(E.SW_URL + '/api/v1' + path, { headers: { Authorization: 'Bearer ' + token } });
  return r.json();
}
// Open a view of the page by a full load (a fresh document each time, so no view's timers
// or streams carry over from the test before).
let loads = 0;
async function view(p, hash) {
  await p.goto(E.SW_URL + '/?load=' + (++loads) + '#' + hash);
}
async function newContext() {
  return browser.newContext({ viewport: { width: 1200, height: 900 } });
}

before(async () => {
  profile = mkdtempSync(join(tmpdir(), 'sw-chromium-'));
  browser = await chromium.launch({
    executablePath: E.SW_CHROMIUM,
    headless: true,
    // as root, on a machine without a network: nothing of Chromium's own goes out
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage', '--crash-dumps-dir=' + profile],
  });
  ctx = await newContext();
  page = await ctx.newPage();
  page.setDefaultTimeout(30000);
});
after(async () => {
  if (browser) await browser.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('sign in through a ticket from `slipway dashboard`; the apps page lists the app', async () => {
  const url = ticketUrl();
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/login\?ticket=[0-9a-f]{64}$/);
  const res = await page.goto(url);
  assert.equal(new URL(page.url()).pathname, '/');   // redirected home, signed in
  assert.ok(res.ok());
  const cookies = await ctx.cookies();
  const c = cookies.find(x => x.name === 'slipway_session');
  assert.ok(c && c.httpOnly && c.sameSite === 'Strict', JSON.stringify(cookies));
  const csp = (await (await page.request.get(E.SW_URL + '/')).headers())['content-security-policy'];
  assert.match(csp, /default-src 'self'/);
  await page.getByTestId('apps').waitFor();
  const row = page.locator(`[data-testid="apps"] tr[data-app="${APP}"]`);
  await row.waitFor();
  assert.equal(await row.getByTestId('state').textContent(), 'live');
  assert.match(await page.getByTestId('user').textContent(), /admin/);
  // the first page, all of it (HTML, script, style, icon, the API's answers): under 100 KB
  const bytes = await page.evaluate(() => [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
    .reduce((n, e) => n + (e.transferSize || e.encodedBodySize || 0), 0));
  console.log(`first page: ${bytes} bytes transferred`);
  assert.ok(bytes > 0 && bytes < 100 * 1024, String(bytes));
  // usable on a phone: nothing wider than the screen
  await page.setViewportSize({ width: 390, height: 800 });
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390));
  await page.setViewportSize({ width: 1200, height: 900 });
});

test('a push drawn live: the rollout view reaches "live", the new release tops the timeline', async () => {
  await view(page, '/apps/' + APP);
  await page.getByTestId('timeline').waitFor();
  const sha = commit({ Dockerfile: JSON.parse(E.SW_DOCKERFILE).replace('v1', 'v2') }, 'v2');
  const pushed = push();
  const panel = page.getByTestId('rollout');
  await panel.waitFor({ timeout: 90000 });
  // the watcher's records: a process with its tasks, drawn while it deploys
  await page.locator('[data-testid="rollout-processes"] [data-process="web"] .task').first().waitFor({ timeout: 90000 });
  await page.screenshot({ path: shot('rollout-deploying.png'), fullPage: true });
  await eventually('the verdict', async () => /build #2: v2 live/.test(await page.getByTestId('rollout-verdict').textContent()), 120000);
  await page.screenshot({ path: shot('rollout-live.png'), fullPage: true });
  const r = await pushed;
  assert.equal(r.code, 0, r.output);
  const top = page.locator('[data-testid="timeline"] li').first();
  await eventually('v2 on top', async () => (await top.getAttribute('data-version')) === '2' && (await top.getAttribute('data-status')) === 'live');
  assert.match(await top.textContent(), new RegExp(sha.slice(0, 7)));
  await page.screenshot({ path: shot('timeline.png'), fullPage: true });
  assert.equal((await viaRouter()).body, 'v2');
});

test('a crashing commit: the failed release and its reason', async () => {
  commit({ Procfile: 'web: echo booting; exit 3\n', Dockerfile: JSON.parse(E.SW_DOCKERFILE).replace('v1', 'v3') }, 'crash');
  const pushed = push();
  await page.getByTestId('rollout').waitFor({ timeout: 90000 });
  // the job's verdict: its release failed (and was rolled back), with the reason
  await eventually('the failure', async () => /build #3: release failed .*exit code 3/.test(
    await page.getByTestId('rollout-verdict').textContent()), 150000);
  const r = await pushed;
  assert.notEqual(r.code, 0, r.output);
  await page.screenshot({ path: shot('rollout-failed.png'), fullPage: true });
  await view(page, '/apps/' + APP + '/releases');
  const top = page.locator('[data-testid="timeline"] li').first();
  await top.waitFor();
  assert.equal(await top.getAttribute('data-version'), '3');
  assert.match(await top.getAttribute('data-status'), /rolled back|failed/);
  assert.match(await top.getByTestId('reason').textContent(), /exit code 3/);
  await page.screenshot({ path: shot('timeline-failed.png'), fullPage: true });
  // the builds say what failed: the release, not the build
  await view(page, '/apps/' + APP + '/builds');
  assert.match(await page.locator('[data-testid="builds"] tbody tr').first().textContent(), /release failed/);
  // git's own remote: the commit that crashed is undone
  git('reset', '-q', '--hard', 'HEAD~1');
  assert.equal((await viaRouter()).body, 'v2');
});

test('roll back from the page: a confirmation names the change; the router answers v1', async () => {
  // a failed release is no target
  await view(page, '/apps/' + APP + '/releases/3');
  await page.getByRole('heading', { name: APP + ' v3' }).waitFor();
  assert.equal(await page.getByTestId('rollback').count(), 0);
  await view(page, '/apps/' + APP + '/releases/1');
  const button = page.getByTestId('rollback');
  await button.waitFor();
  await button.focus();
  await page.keyboard.press('Enter');   // keyboard reaches it: a real button
  const dialog = page.getByTestId('confirm');
  await dialog.waitFor();
  const text = await dialog.textContent();
  assert.match(text, /Roll web back to v1\?/);
  assert.match(text, /v2 .* stops serving/);
  assert.match(text, /Image: /);
  await page.getByTestId('confirm-rollback').click();
  await eventually('the rollback live', async () => /v4 is live/.test(await page.getByTestId('command-verdict').textContent()), 120000);
  await eventually('v1 through the router', async () => (await viaRouter()).body === 'v1', 30000);
  const rel = await api('/apps/' + APP + '/releases/4');
  assert.equal(rel.kind, 'rollback');
  assert.equal(rel.rollback_of, 1);
});

test('a change without the CSRF token is refused, and so is signing out without it', async () => {
  const status = await page.evaluate(async app => (await fetch('/api/v1/apps/' + app + '/scale', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ formation: ['web=3'] }),
  })).status, APP);
  assert.equal(status, 403);
  const releases = (await api('/apps/' + APP + '/releases')).releases;
  assert.equal(releases[0].version, 4);
});

test('a read user sees the apps but no deploy, rollback, config or scale controls; forged POSTs are refused, nothing changed', async () => {
  assert.ok(E.SW_READ_TOKEN, 'test_dashboard.py makes a read user');
  const readCtx = await newContext();
  const p = await readCtx.newPage();
  p.setDefaultTimeout(30000);
  await p.goto(ticketUrl(E.SW_READ_TOKEN));
  // the apps page: the app it may read, with its state
  await p.getByTestId('apps').waitFor();
  const row = p.locator(`[data-testid="apps"] tr[data-app="${APP}"]`);
  await row.waitFor();
  assert.equal(await row.getByTestId('state').textContent(), 'live');
  assert.match(await p.getByTestId('user').textContent(), /viewer/);
  // a release the admin may roll back to (the same view shows the admin the button) ...
  await view(page, '/apps/' + APP + '/releases/2');
  await page.getByTestId('rollback').waitFor();
  // ... shows the read user its record and no button
  await view(p, '/apps/' + APP + '/releases/2');
  await p.getByTestId('digest').waitFor();
  assert.match(await p.getByTestId('user').textContent(), /viewer \(read\)/);
  assert.equal(await p.getByTestId('rollback').count(), 0);
  // config: names only, no reveal, no set, no unset
  await view(p, '/apps/' + APP + '/config');
  await p.getByTestId('config').waitFor();
  assert.equal(await p.getByTestId('reveal').count(), 0);
  assert.equal(await p.getByTestId('config-set').count(), 0);
  assert.equal(await p.getByRole('button', { name: 'Unset' }).count(), 0);
  assert.match(await p.textContent('main'), /needs the operate role/);
  // scale: the formation, read-only
  await view(p, '/apps/' + APP + '/scale');
  await p.getByTestId('scale').waitFor();
  assert.equal(await p.getByRole('button', { name: 'Scale' }).count(), 0);
  assert.ok(await p.locator('#n-web').isDisabled());
  // forged requests from the read session, with its CSRF token: each refused, naming the role
  const releasesBefore = (await api('/apps/' + APP + '/releases')).releases;
  const configBefore = await api('/apps/' + APP + '/config');
  const forged = await p.evaluate(async app => {
    const s = await (await fetch('/api/v1/session')).json();
    const send = async (method, what, body) => {
      const r = await fetch('/api/v1/apps/' + app + '/' + what, {
        method, headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf }, body: body && JSON.stringify(body),
      });
      return { status: r.status, body: await r.text() };
    };
    return {
      rollback: await send('POST', 'rollback', { version: 2 }),
      config: await send('POST', 'config', { set: { FORGED: '1' } }),
      scale: await send('POST', 'scale', { formation: ['web=3'] }),
      reveal: await send('GET', 'config'),
      rollout: await send('GET', 'builds/2/rollout'),   // what it may read: the rollout view's records
    };
  }, APP);
  assert.equal(forged.rollback.status, 403, forged.rollback.body);
  assert.match(forged.rollback.body, /deploy role needed/);
  assert.equal(forged.rollout.status, 200, forged.rollout.body);
  for (const what of ['config', 'scale', 'reveal']) {
    assert.equal(forged[what].status, 403, what + ': ' + forged[what].body);
    assert.match(forged[what].body, /operate role needed/, what);
  }
  const releasesAfter = (await api('/apps/' + APP + '/releases')).releases;
  assert.deepEqual(releasesAfter.map(r => [r.version, r.status]), releasesBefore.map(r => [r.version, r.status]));
  assert.deepEqual(await api('/apps/' + APP + '/config'), configBefore);
  assert.equal((await viaRouter()).body, 'v1');
  await readCtx.close();
});

test('an expired ticket and a replayed ticket are refused', async () => {
  const fresh = await newContext();
  const p = await fresh.newPage();
  const stale = ticketUrl();
  await new Promise(r => setTimeout(r, (Number(E.SW_TICKET_SECS) + 1) * 1000));
  let res = await p.goto(stale);
  assert.equal(res.status(), 403);
  assert.match(await p.textContent('main'), /not valid/);
  assert.equal((await fresh.cookies()).filter(c => c.name === 'slipway_session').length, 0);
  // used once: a second browser gets nothing from it
  const once = ticketUrl();
  res = await page.goto(once);
  assert.ok(res.ok());
  res = await p.goto(once);
  assert.equal(res.status(), 403);
  assert.equal((await fresh.cookies()).filter(c => c.name === 'slipway_session').length, 0);
  await fresh.close();
});

test('sign-out ends the session on the server', async () => {
  await view(page, '/');
  await page.getByTestId('apps').waitFor();
  const [cookie] = (await ctx.cookies()).filter(c => c.name === 'slipway_session');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByTestId('signed-out').waitFor();
  // the old cookie, replayed by hand, is dead
  const r = await fetch(E.SW_URL + '/api/v1/apps', { headers: { Cookie: 'slipway_session=' + cookie.value } });
  assert.equal(r.status, 401);
});
