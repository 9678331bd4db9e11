// slipway's dashboard: every view is drawn from slipwayd's JSON API (receiver/routes.h),
// called with the session cookie; changes carry the session's CSRF token. Streams: the
// rollout watcher's records and a job's log as server-sent events (EventSource), app
// logs, events and command output as NDJSON (fetch). No build step, no dependencies.
'use strict';

const main = document.getElementById('main');
const tabs = document.getElementById('tabs');
let session = null;        // {user, csrf, role}
let cleanups = [];         // what the current view must stop when the page changes
const ROLES = ['read', 'deploy', 'operate', 'admin'];

// ---- small helpers ------------------------------------------------------------------
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat()) if (kid !== null && kid !== undefined && kid !== false)
    el.append(kid instanceof Node ? kid : String(kid));
  return el;
}
const slug = s => String(s || '').replace(/[^a-z0-9]+/gi, '-').toLowerCase();
const badge = (s, testid) => h('span', { class: 'badge s-' + slug(s), 'data-testid': testid }, s || '?');
const short = c => (c ? String(c).slice(0, 7) : '');
function ago(t) {
  if (t === null || t === undefined || t === 0) return '';
  const ms = typeof t === 'number' ? t * 1000 : Date.parse(t);
  const s = Math.round((Date.now() - ms) / 1000);
  if (!isFinite(s)) return '';
  if (s < 60) return s + 's ago';
  if (s < 3600) return Math.round(s / 60) + 'm ago';
  if (s < 86400) return Math.round(s / 3600) + 'h ago';
  return Math.round(s / 86400) + 'd ago';
}
function when(t) {
  const ms = typeof t === 'number' ? t * 1000 : Date.parse(t);
  return h('time', { datetime: isFinite(ms) ? new Date(ms).toISOString() : '', title: isFinite(ms) ? new Date(ms).toLocaleString() : '' }, ago(t));
}
function took(secs) {
  if (typeof secs !== 'number') return '';
  return secs < 60 ? secs.toFixed(1) + 's' : Math.floor(secs / 60) + 'm' + Math.round(secs % 60) + 's';
}
function toast(text) {
  const t = document.getElementById('toast');
  t.textContent = text;
  setTimeout(() => { if (t.textContent === text) t.textContent = ''; }, 5000);
}
const can = need => session && ROLES.indexOf(session.role) >= ROLES.indexOf(need);

// ---- the API --------------------------------------------------------------------------
class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}
async function api(path, opts = {}) {
  const method = opts.method || 'GET';
  const headers = { Accept: 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && session) headers['X-CSRF-Token'] = session.csrf;
  const r = await fetch('/api/v1' + path, {
    method, headers, credentials: 'same-origin', signal: opts.signal,
    body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
  });
  if (r.status === 401) { signedOut(); throw new ApiError(401, 'signed out'); }
  if (!r.ok) {
    let msg = r.status + ' ' + r.statusText;
    try { msg = (await r.json()).error || msg; } catch (e) { /* not JSON */ }
    throw new ApiError(r.status, msg);
  }
  return opts.raw ? r : r.json();
}
// An NDJSON answer, one object at a time, until it ends or signal aborts.
async function ndjson(path, opts, onObj) {
  const r = await api(path, Object.assign({ raw: true }, opts));
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (line.trim()) onObj(JSON.parse(line));
    }
  }
  if (buf.trim()) onObj(JSON.parse(buf));
}
function stream(path, handlers) {
  const es = new EventSource('/api/v1' + path);
  for (const [ev, fn] of Object.entries(handlers)) es.addEventListener(ev, e => fn(e.data ? JSON.parse(e.data) : null));
  es.addEventListener('end', () => es.close());
  cleanups.push(() => es.close());
  return es;
}
function every(ms, fn) {
  const id = setInterval(fn, ms);
  cleanups.push(() => clearInterval(id));
}
function aborter() {
  const a = new AbortController();
  cleanups.push(() => a.abort());
  return a;
}

// ---- session --------------------------------------------------------------------------
function signedOut() {
  session = null;
  document.getElementById('user').textContent = '';
  document.getElementById('signout').hidden = true;
  tabs.hidden = true;
  main.replaceChildren(h('section', { class: 'notice', 'data-testid': 'signed-out' },
    h('h1', { tabindex: '-1' }, 'Sign in'),
    h('p', {}, 'Run ', h('code', {}, 'slipway dashboard'),
      ' and open the link it prints: it signs this browser in once, as your token\u2019s user.')));
}
async function loadSession(app) {
  const r = await fetch('/api/v1/session' + (app ? '?app=' + encodeURIComponent(app) : ''),
    { credentials: 'same-origin', headers: { Accept: 'application/json' } });
  if (!r.ok) { signedOut(); return false; }
  session = await r.json();
  document.getElementById('user').textContent = session.user + (app ? ' (' + session.role + ')' : '');
  document.getElementById('signout').hidden = false;
  return true;
}
document.getElementById('signout').addEventListener('click', async () => {
  await fetch('/logout', { method: 'POST', credentials: 'same-origin', headers: { 'X-CSRF-Token': session ? session.csrf : '' } });
  signedOut();
});

// ---- routing ----------------------------------------------------------------------------
const APP_TABS = [['', 'Overview'], ['releases', 'Releases'], ['builds', 'Builds'], ['logs', 'Logs'],
  ['events', 'Events'], ['config', 'Config'], ['scale', 'Scale'], ['webhooks', 'Webhooks']];
const VIEWS = { '': appView, releases: releasesView, builds: buildsView, logs: logsView, events: eventsView,
  config: configView, scale: scaleView, webhooks: webhooksView };

async function route() {
  cleanups.forEach(f => f());
  cleanups = [];
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const app = parts[0] === 'apps' ? parts[1] : null;
  if (!(await loadSession(app))) return;
  tabs.hidden = !app;
  if (app) {
    tabs.replaceChildren(...APP_TABS.map(([k, label]) => h('a', {
      href: '#/apps/' + encodeURIComponent(app) + (k ? '/' + k : ''),
      'aria-current': (parts[2] || '') === k ? 'page' : null }, label)));
  }
  main.replaceChildren(h('p', { class: 'muted' }, 'Loading\u2026'));
  try {
    if (!app) await appsView();
    else await (VIEWS[parts[2] || ''] || notFound)(app, parts[3]);
  } catch (e) {
    if (e.status !== 401) main.replaceChildren(h('h1', {}, 'Something went wrong'), h('p', { class: 'error', role: 'alert' }, e.message));
  }
  const h1 = main.querySelector('h1');
  if (h1) { h1.setAttribute('tabindex', '-1'); h1.focus({ preventScroll: true }); }
  document.title = (h1 ? h1.firstChild.textContent + ' \u00b7 ' : '') + 'slipway';
}
async function notFound() { main.replaceChildren(h('h1', {}, 'Not found')); }
window.addEventListener('hashchange', route);
window.addEventListener('DOMContentLoaded', route);

// ---- apps -------------------------------------------------------------------------------
function pushCell(b) {
  if (!b) return '\u2013';
  return h('span', {}, h('a', { href: '#/apps/' + b.app + '/builds/' + b.number }, '#' + b.number), ' ',
    h('code', {}, short(b.commit)), ' by ', b.pushed_by || '?', ' ', when(b.created_at));
}
function appRow(a, sub) {
  return h('tr', { 'data-app': a.name },
    h('td', { class: sub ? 'sub' : '' }, sub ? '\u2514 ' : '', h('a', { href: '#/apps/' + a.name }, a.name),
      a.review ? h('span', { class: 'muted' }, ' (' + a.review.branch + ')') : ''),
    h('td', {}, badge(a.state, 'state')),
    h('td', {}, a.live_release ? h('a', { href: '#/apps/' + a.name + '/releases/' + a.live_release.version }, 'v' + a.live_release.version) : '\u2013'),
    h('td', {}, pushCell(a.last_build)));
}
async function appsView() {
  const { apps } = await api('/apps');
  const rows = [];
  for (const a of apps.filter(x => !x.review)) {
    rows.push(appRow(a, false));
    for (const r of apps.filter(x => x.review && x.review.parent === a.name)) rows.push(appRow(r, true));
  }
  for (const r of apps.filter(x => x.review && !apps.some(p => p.name === x.review.parent))) rows.push(appRow(r, true));
  main.replaceChildren(h('h1', {}, 'Apps'),
    apps.length ? h('div', { class: 'scroll' }, h('table', { 'data-testid': 'apps' },
      h('thead', {}, h('tr', {}, h('th', {}, 'App'), h('th', {}, 'State'), h('th', {}, 'Live'), h('th', {}, 'Last push'))),
      h('tbody', {}, rows)))
      : h('p', { class: 'muted' }, 'No apps yet: git push to create one.'));
  every(10000, async () => { if (location.hash.replace(/^#\/?/, '') === '') appsView().catch(() => {}); });
}

// ---- an app: the rollout as it happens, or what runs ------------------------------------
function taskBox(cls, label, id, title) {
  return h('div', { class: 'task s-' + slug(cls) + (cls === 'old' || cls === 'draining' ? ' old' : ''), title: title || null },
    h('b', {}, id || '\u2026'), label);
}
// Draws the watcher's records: per process, old and new tasks, the counts, ECS's events.
function rolloutPanel() {
  const procs = h('div', { 'data-testid': 'rollout-processes' });
  const events = h('ul', { class: 'events', 'data-testid': 'ecs-events' });
  const status = h('p', { class: 'verdict s-waiting', 'data-testid': 'rollout-verdict' }, 'waiting for the rollout\u2026');
  const oldMax = {}, crashMax = {};
  const panel = h('section', { class: 'card', 'data-testid': 'rollout' }, h('h2', {}, 'Rollout'), status, procs,
    h('h3', {}, 'ECS events'), events);
  let ended = false;   // the job's own verdict came: the records no longer speak for it
  panel.record = rec => {
    if (!ended) {
      status.className = 'verdict s-' + rec.verdict;
      status.textContent = 'v' + rec.version + (rec.phase === 'rollback' ? ' (rolling back to the last live release)' : '') +
        (rec.verdict === 'waiting' ? ': deploying' : ' ' + rec.verdict) + (rec.reason ? ' \u2014 ' + rec.reason : '');
    }
    procs.replaceChildren(...rec.processes.map(p => {
      oldMax[p.process] = Math.max(oldMax[p.process] || 0, p.old_running);
      // the circuit breaker's count of the rollout stays in view while the rollback runs
      crashMax[p.process] = Math.max(crashMax[p.process] || 0, p.crashes);
      const boxes = [];
      const done = p.healthy >= p.desired;
      for (let i = 0; i < p.old_running; i++) boxes.push(taskBox(done ? 'draining' : 'old', done ? 'old, draining' : 'old, running'));
      for (let i = p.old_running; i < oldMax[p.process]; i++) boxes.push(taskBox('stopped', 'old, stopped'));
      for (const t of p.tasks) boxes.push(taskBox(t.healthy ? 'healthy' : 'starting', t.healthy ? 'new, healthy' : 'new, starting', t.id.slice(0, 8)));
      for (let i = 0; i < p.pending; i++) boxes.push(taskBox('pending', 'new, pending'));
      for (const id of p.stopped) boxes.push(taskBox('stopped', 'new, stopped', id.slice(0, 8), p.last_crash));
      return h('div', { class: 'proc', 'data-process': p.process },
        h('strong', {}, p.process), ' ', h('span', { class: 'muted' }, p.service),
        h('div', { class: 'tasks' }, boxes),
        h('div', { class: 'counts' },
          h('span', {}, 'health checks: ' + p.healthy + ' of ' + p.desired + ' healthy (' + p.health + ')'),
          h('span', {}, 'circuit breaker: ' + crashMax[p.process] + ' of ' + p.crash_limit + ' failures'),
          p.last_crash ? h('span', { class: 'error' }, 'last stop: ' + p.last_crash) : null,
          p.failure ? h('span', { class: 'error' }, p.failure) : null));
    }));
    for (const e of rec.events) events.append(h('li', {}, e));
  };
  panel.end = b => {
    ended = true;
    status.className = 'verdict s-' + (b.status === 'succeeded' ? 'live' : 'failed');
    status.textContent = (b.kind === 'build' ? 'build #' : 'job #') + b.number + ': ' +
      (b.status === 'failed' ? jobStatus(b) + ' \u2014 ' : '') + (b.summary || b.status);
  };
  return panel;
}
function logBox() {
  const pre = h('pre', { class: 'log', 'data-testid': 'log', tabindex: '0', 'aria-label': 'Log' });
  pre.line = text => {
    const stick = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 20;
    pre.append(text + '\n');
    if (stick) pre.scrollTop = pre.scrollHeight;
  };
  return pre;
}
// Follow job b of app: its rollout records and its log, live, to its verdict.
function followJob(app, b, onEnd) {
  const panel = rolloutPanel();
  const log = logBox();
  const base = '/apps/' + app + '/builds/' + b.number;
  stream(base + '/rollout', { rollout: r => panel.record(r) });
  stream(base + '/log', { line: l => log.line(l.line), end: e => { panel.end(e); if (onEnd) onEnd(e); } });
  return h('div', {}, h('p', {}, (b.kind === 'build' ? 'Build ' : 'Release job ') ,
    h('a', { href: '#' + base }, '#' + b.number), b.commit ? [' of ', h('code', {}, short(b.commit))] : '', ' by ', b.pushed_by || '?'),
    panel, h('details', { open: true }, h('summary', {}, 'Log'), log));
}
async function tasksTable(app) {
  let ps;
  try { ps = await api('/apps/' + app + '/ps'); } catch (e) { return h('p', { class: 'muted' }, 'Tasks: ' + e.message); }
  if (!ps.tasks.length) return h('p', { class: 'muted' }, 'No tasks running.');
  return h('div', { class: 'scroll' }, h('table', { 'data-testid': 'tasks' },
    h('thead', {}, h('tr', {}, ...['Process', 'Task', 'Release', 'Status', 'Health', 'Uptime'].map(x => h('th', {}, x)))),
    h('tbody', {}, ps.tasks.map(t => h('tr', {},
      h('td', {}, t.process), h('td', {}, h('code', {}, (t.id || '').slice(0, 8))), h('td', {}, t.release || ''),
      h('td', {}, badge((t.status || '').toLowerCase()), t.stop_reason ? h('div', { class: 'muted' }, t.stop_reason) : ''),
      h('td', {}, badge(t.health || 'unknown'), ' ', h('span', { class: 'muted' }, t.health_from || '')),
      h('td', {}, typeof t.uptime === 'number' ? took(t.uptime) : (t.uptime || '')))))));
}
async function appView(app) {
  const a = await api('/apps/' + app);
  const live = h('div', {});
  const timeline = h('div', {});
  const header = h('h1', {}, app, badge(a.state, 'app-state'));
  const summary = h('p', { class: 'muted' });
  const sum = x => {
    const url = x.review && x.review.url;
    summary.replaceChildren(...[x.live_release ? ['Live: ', h('a', { href: '#/apps/' + app + '/releases/' + x.live_release.version }, 'v' + x.live_release.version),
      ' \u00b7 ' + (x.live_release.description || '')] : 'No live release.', url ? [' \u00b7 ', h('a', { href: url }, url)] : '',
      ' \u00b7 git remote ', h('code', {}, location.origin + '/' + (x.review ? x.review.parent : app) + '.git')].flat());
  };
  sum(a);
  main.replaceChildren(header, summary, live, h('h2', {}, 'Releases'), timeline);
  let following = null;
  let seen = null;   // the newest job this page has shown or found over when it opened
  const refresh = async () => {
    const fresh = await api('/apps/' + app);
    header.replaceChildren(app, badge(fresh.state, 'app-state'));
    sum(fresh);
    timeline.replaceChildren(await releaseTimeline(app, 8));
  };
  const look = async () => {
    if (following) return;
    const { builds } = await api('/apps/' + app + '/builds?kind=all');
    const newest = builds.reduce((n, b) => Math.max(n, b.number), 0);
    const active = builds.find(b => b.status === 'queued' || b.status === 'running');
    if (seen === null) seen = active ? active.number - 1 : newest;
    if (active) {
      following = seen = active.number;
      live.replaceChildren(followJob(app, active, async () => { following = null; await refresh(); }));
      return;
    }
    // a job that began and ended between two looks: its verdict and last picture, not nothing
    const missed = builds.find(b => b.number === newest && b.number > seen);
    if (missed) {
      seen = missed.number;
      live.replaceChildren(h('div', {}, h('p', {}, (missed.kind === 'build' ? 'Build ' : 'Release job '),
        h('a', { href: '#/apps/' + app + '/builds/' + missed.number }, '#' + missed.number)), ...await endedJob(app, missed)));
      await refresh();
      return;
    }
    if (!live.querySelector('[data-testid="rollout"]')) live.replaceChildren(h('h2', {}, 'Running tasks'), await tasksTable(app));
  };
  timeline.replaceChildren(await releaseTimeline(app, 8));
  await look();
  every(2000, () => look().catch(() => {}));
}

// ---- releases ---------------------------------------------------------------------------
async function releaseTimeline(app, limit) {
  const { releases } = await api('/apps/' + app + '/releases');
  let liveSeen = false;
  const items = releases.slice(0, limit || 100).map(r => {
    let status = r.status;
    if (status === 'live') { if (liveSeen) status = 'superseded'; liveSeen = true; }
    return h('li', { 'data-version': r.version, 'data-status': status },
      h('a', { class: 'v', href: '#/apps/' + app + '/releases/' + r.version }, 'v' + r.version),
      h('div', {}, h('span', {}, badge(status), ' ', h('strong', {}, r.kind), ' ', r.description || ''),
        h('div', { class: 'meta' }, r.commit ? [h('code', {}, short(r.commit)), ' \u00b7 '] : '', 'by ' + (r.created_by || '?'), ' \u00b7 ',
          when(r.created_at), r.duration ? ' \u00b7 took ' + took(r.duration) : '')),
      h('span', {}),
      r.reason && status !== 'live' ? h('div', { class: 'why', 'data-testid': 'reason' }, r.reason) : null);
  });
  return items.length ? h('ol', { class: 'timeline', 'data-testid': 'timeline' }, items) : h('p', { class: 'muted' }, 'No releases yet.');
}
async function releasesView(app, version) {
  if (version) return releaseView(app, version.replace(/^v/, ''));
  main.replaceChildren(h('h1', {}, app + ': releases'), await releaseTimeline(app));
}
const formation = f => Object.entries(f || {}).map(([p, x]) => p + '=' + x.count + (x.memory ? ':' + x.memory : '')).join(', ');
async function releaseView(app, version) {
  const [r, { releases }] = await Promise.all([api('/apps/' + app + '/releases/' + version), api('/apps/' + app + '/releases')]);
  const live = releases.find(x => x.status === 'live');
  const cc = r.config_changes || {};
  const names = l => (l && l.length ? l.join(', ') : '\u2013');
  const rows = [['Status', badge(r.status === 'live' && live && live.version !== r.version ? 'superseded' : r.status)],
    ['Kind', r.kind], ['What', r.description], ['Commit', h('code', {}, r.commit || '\u2013')],
    ['Image', h('code', {}, r.image || '\u2013')], ['Digest', h('code', { 'data-testid': 'digest' }, r.digest || '\u2013')],
    ['Formation', formation(r.formation) || '\u2013'], ['Config vars', names(r.config_vars)],
    ['Changed vars', 'added ' + names(cc.added) + '; removed ' + names(cc.removed) + '; changed ' + names(cc.changed) +
      (cc.against ? ' (against v' + cc.against + ')' : '')],
    ['By', r.created_by], ['Created', when(r.created_at)], ['Took', took(r.duration) || '\u2013'],
    ['Job', r.job_number ? h('a', { href: '#/apps/' + app + '/builds/' + r.job_number }, '#' + r.job_number) : '\u2013']];
  if (r.phases) rows.push(['Phases', Object.entries(r.phases).map(([k, v]) => k + ' ' + (typeof v === 'number' ? '+' + v.toFixed(1) + 's' : JSON.stringify(v))).join(' \u00b7 ')]);
  if (r.reason) rows.push(['Why it failed', h('span', { class: 'error', 'data-testid': 'reason' }, r.reason)]);
  if (r.rolled_back_to) rows.push(['Rolled back to', 'v' + r.rolled_back_to]);
  const out = h('div', {});
  main.replaceChildren(h('h1', {}, app + ' v' + r.version), h('dl', { class: 'kv card' }, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])), out);
  // Rollback: to a release that went live (the CLI needs --force for others), not the live one
  if (!can('deploy')) return;
  const wentLive = r.status === 'live';
  if (live && live.version === r.version) { out.append(h('p', { class: 'muted' }, 'This is the live release.')); return; }
  if (!wentLive) { out.append(h('p', { class: 'muted' }, 'v' + r.version + ' never went live: it is no rollback target (the CLI\u2019s --force would be needed).')); return; }
  out.append(h('button', { type: 'button', class: 'danger', 'data-testid': 'rollback', onclick: () => confirmRollback(app, r, live, out) }, 'Roll back to v' + r.version + '\u2026'));
}
function confirmRollback(app, target, live, out) {
  const changes = [];
  if (live) {
    changes.push('v' + live.version + ' (' + (live.description || '') + ') stops serving; a new release runs v' + target.version + '\u2019s image.');
    if (live.digest !== target.digest) changes.push('Image: ' + short((live.digest || '').replace('sha256:', '')) + ' \u2192 ' + short((target.digest || '').replace('sha256:', '')) +
      (target.commit ? ' (commit ' + short(target.commit) + ')' : ''));
    if (formation(live.formation) !== formation(target.formation)) changes.push('Formation: ' + formation(live.formation) + ' \u2192 ' + formation(target.formation));
    const a = new Set(live.config_vars || []), b = new Set(target.config_vars || []);
    const added = [...b].filter(x => !a.has(x)), removed = [...a].filter(x => !b.has(x));
    changes.push('Config vars: ' + (added.length || removed.length ? (added.length ? 'back: ' + added.join(', ') + ' ' : '') + (removed.length ? 'gone: ' + removed.join(', ') : '') : 'the same names') + ' (values as in v' + target.version + ')');
  }
  const dlg = h('dialog', { 'aria-labelledby': 'rb-title', 'data-testid': 'confirm' },
    h('h2', { id: 'rb-title' }, 'Roll ' + app + ' back to v' + target.version + '?'),
    h('ul', {}, changes.map(c => h('li', {}, c))),
    h('div', { class: 'actions' },
      h('button', { type: 'button', onclick: () => dlg.close() }, 'Cancel'),
      h('button', { type: 'button', class: 'danger', 'data-testid': 'confirm-rollback', onclick: async () => {
        dlg.close();
        await runCommand(app, 'rollback', { version: target.version }, out);
      } }, 'Roll back')));
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
}
// POST a release command and show its lines to its verdict.
async function runCommand(app, what, body, out) {
  const log = logBox();
  const verdict = h('p', { class: 'verdict s-waiting', 'data-testid': 'command-verdict', role: 'status' }, what + ': running\u2026');
  out.replaceChildren(verdict, log);
  try {
    await ndjson('/apps/' + app + '/' + what, { method: 'POST', body }, o => {
      if (o.line !== undefined) log.line(o.line);
      if (o.status) {
        verdict.className = 'verdict s-' + (o.status === 'failed' ? 'failed' : 'live');
        verdict.textContent = what + ': ' + (o.status === 'live' ? 'v' + o.version + ' is live' : o.status) + (o.reason ? ' \u2014 ' + o.reason : '');
      }
    });
  } catch (e) {
    verdict.className = 'verdict s-failed';
    verdict.textContent = what + ' refused: ' + e.message;
  }
}

// ---- builds -----------------------------------------------------------------------------
function jobStatus(b) { return b.status === 'failed' && b.failed_stage ? b.failed_stage + ' failed' : b.status; }
async function buildsView(app, number) {
  if (number) return buildView(app, number);
  const all = location.search.includes('all') || sessionStorage.getItem('all-jobs') === '1';
  const { builds } = await api('/apps/' + app + '/builds?kind=' + (all ? 'all' : 'build'));
  const toggle = h('label', { class: 'inline' }, h('span', {}, h('input', { type: 'checkbox', checked: all, onchange: e => {
    sessionStorage.setItem('all-jobs', e.target.checked ? '1' : '0'); route(); } }), ' show release jobs (rollback, config, scale)'));
  main.replaceChildren(h('h1', {}, app + ': builds'), toggle, builds.length ? h('div', { class: 'scroll' }, h('table', { 'data-testid': 'builds' },
    h('thead', {}, h('tr', {}, ...['#', 'Status', 'What', 'By', 'When', 'Took', 'Outcome'].map(x => h('th', {}, x)))),
    h('tbody', {}, builds.map(b => h('tr', { 'data-number': b.number },
      h('td', {}, h('a', { href: '#/apps/' + app + '/builds/' + b.number }, '#' + b.number)),
      h('td', {}, badge(jobStatus(b))),
      h('td', {}, b.kind === 'build' ? [h('code', {}, short(b.commit)), ' ', b.branch || ''] : 'release job: ' + b.kind),
      h('td', {}, b.pushed_by || ''), h('td', {}, when(b.created_at)), h('td', {}, took(b.duration)),
      h('td', {}, b.summary || '')))))) : h('p', { class: 'muted' }, 'No builds yet.'));
}
async function buildView(app, number) {
  const b = await api('/apps/' + app + '/builds/' + number);
  main.replaceChildren(h('h1', {}, app + ' ' + (b.kind === 'build' ? 'build' : 'release job') + ' #' + b.number, badge(jobStatus(b))),
    h('dl', { class: 'kv card' }, [['What', b.kind === 'build' ? 'push of ' + short(b.commit) + ' (' + (b.branch || b.ref) + ')' : b.kind],
      ['By', b.pushed_by], ['Outcome', h('span', { 'data-testid': 'outcome' }, b.summary || '')], ['Image', h('code', {}, b.image || '\u2013')],
      ['Took', took(b.duration) || '\u2013']].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
  if (b.status === 'queued' || b.status === 'running') { main.append(followJob(app, b, () => {})); return; }
  main.append(...await endedJob(app, b));
}
// A job that is over: the rollout's last picture when there was one, and the log as it ended.
async function endedJob(app, b) {
  const base = '/apps/' + app + '/builds/' + b.number;
  const panel = rolloutPanel();
  let any = false;
  const log = logBox();
  await ndjson(base + '/rollout', {}, r => { if (r.processes) { panel.record(r); any = true; } });
  panel.end(b);
  const text = await (await api(base + '/log', { raw: true })).text();
  text.split('\n').forEach(l => { if (l) log.line(l); });
  return [any ? panel : '', h('h2', {}, 'Log'), log];
}

// ---- logs and events ----------------------------------------------------------------------
async function logsView(app) {
  const box = logBox();
  const proc = h('select', { id: 'proc' }, h('option', { value: '' }, 'all'), h('option', { value: 'web' }, 'web'), h('option', { value: 'worker' }, 'worker'));
  const start = () => {
    cleanups.forEach(f => f()); cleanups = [];
    box.replaceChildren();
    const a = aborter();
    const q = '?tail=1&lines=200' + (proc.value ? '&process=' + encodeURIComponent(proc.value) : '');
    ndjson('/apps/' + app + '/logs' + q, { signal: a.signal }, o => {
      if (o.warning) box.line('(' + o.warning + ')');
      else if (o.event) box.line(o.ts + '  slipway  ' + (o.event.release || '') + ' | ' + o.event.type + ': ' + o.event.message);
      else if (o.message !== undefined) box.line(o.ts + '  ' + o.process + '.' + (o.task || '').slice(0, 8) + ' ' + (o.release || '') + ' | ' + o.message);
    }).catch(e => { if (e.name !== 'AbortError') box.line('(' + e.message + ')'); });
  };
  proc.addEventListener('change', start);
  main.replaceChildren(h('h1', {}, app + ': logs'), h('form', { class: 'inline' }, h('label', { for: 'proc' }, 'Process', proc)),
    h('p', { class: 'muted' }, 'TIME PROCESS.TASK RELEASE | MESSAGE, streaming.'), box);
  start();
}
async function eventsView(app) {
  const list = h('ol', { class: 'events', 'data-testid': 'events', reversed: true });
  const add = e => list.prepend(h('li', {}, h('code', {}, e.type), ' ', e.release || '', ' ', e.message || '', ' ',
    h('span', { class: 'muted' }, '(' + (e.actor || 'slipway') + ', '), when(e.created_at), h('span', { class: 'muted' }, ')')));
  const { events } = await api('/apps/' + app + '/events');
  events.forEach(add);
  main.replaceChildren(h('h1', {}, app + ': events'), list);
  const a = aborter();
  const last = events.length ? events[events.length - 1].id : 0;
  ndjson('/apps/' + app + '/events?follow=1&after=' + last, { signal: a.signal }, e => { if (e.type) add(e); }).catch(() => {});
}

// ---- config, scale, webhooks ----------------------------------------------------------------
async function liveRelease(app) {
  const { releases } = await api('/apps/' + app + '/releases');
  return releases.find(r => r.status === 'live') || releases[0] || null;
}
async function configView(app) {
  const r = await liveRelease(app);
  const names = (r && r.config_vars) || [];
  const out = h('div', {});
  const table = h('table', { 'data-testid': 'config' }, h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Value'), h('th', {}, ''))),
    h('tbody', {}, names.map(n => h('tr', { 'data-name': n }, h('td', {}, h('code', {}, n)), h('td', { class: 'value' }, '\u2022\u2022\u2022\u2022'),
      h('td', {}, can('operate') ? h('button', { type: 'button', onclick: () => runCommand(app, 'config', { unset: [n] }, out) }, 'Unset') : '')))));
  main.replaceChildren(h('h1', {}, app + ': config'),
    h('p', { class: 'muted' }, r ? 'Names as of v' + r.version + '. Values stay hidden until revealed.' : 'No release yet.'), table, out);
  if (!can('operate')) { main.append(h('p', { class: 'muted' }, 'Changing or revealing config needs the operate role.')); return; }
  main.insertBefore(h('button', { type: 'button', 'data-testid': 'reveal', onclick: async e => {
    const { config } = await api('/apps/' + app + '/config');
    for (const tr of table.querySelectorAll('tr[data-name]')) tr.querySelector('.value').replaceChildren(h('code', {}, config[tr.dataset.name] ?? ''));
    e.target.disabled = true;
  } }, 'Reveal values'), table);
  const name = h('input', { id: 'cfg-name', required: true, pattern: '[A-Za-z_][A-Za-z0-9_]*', autocomplete: 'off' });
  const value = h('input', { id: 'cfg-value', autocomplete: 'off' });
  main.append(h('form', { class: 'inline', 'data-testid': 'config-set', onsubmit: ev => {
    ev.preventDefault(); runCommand(app, 'config', { set: { [name.value]: value.value } }, out);
  } }, h('label', { for: 'cfg-name' }, 'Name', name), h('label', { for: 'cfg-value' }, 'Value', value), h('button', { class: 'primary' }, 'Set')));
}
async function scaleView(app) {
  const r = await liveRelease(app);
  const f = (r && r.formation) || {};
  const out = h('div', {});
  const inputs = Object.entries(f).map(([p, x]) => ({ p, count: h('input', { id: 'n-' + p, type: 'number', min: '0', max: '100', value: x.count }),
    mem: h('input', { id: 'm-' + p, type: 'number', min: '16', step: '16', value: x.memory }) }));
  main.replaceChildren(h('h1', {}, app + ': scale'), h('p', { class: 'muted' }, r ? 'Formation of v' + r.version + ': ' + (formation(f) || 'none') : 'No release yet.'));
  if (!inputs.length) return;
  const form = h('form', { 'data-testid': 'scale', onsubmit: ev => {
    ev.preventDefault();
    runCommand(app, 'scale', { formation: inputs.map(i => i.p + '=' + i.count.value + ':' + i.mem.value) }, out);
  } }, inputs.map(i => h('div', { class: 'inline' }, h('strong', {}, i.p), h('label', { for: 'n-' + i.p }, 'Tasks', i.count),
    h('label', { for: 'm-' + i.p }, 'Memory (MB)', i.mem))));
  if (can('operate')) form.append(h('button', { class: 'primary' }, 'Scale'));
  else inputs.forEach(i => { i.count.disabled = true; i.mem.disabled = true; });
  main.append(form, out);
}
async function webhooksView(app) {
  let hooks, deliveries;
  try {
    [{ webhooks: hooks }, { deliveries }] = await Promise.all([api('/apps/' + app + '/webhooks'), api('/apps/' + app + '/webhooks/deliveries?limit=20')]);
  } catch (e) {
    main.replaceChildren(h('h1', {}, app + ': webhooks'), h('p', { class: 'muted' }, e.status === 403 ? 'Webhooks need the operate role.' : e.message));
    return;
  }
  const url = h('input', { id: 'wh-url', type: 'url', required: true, placeholder: 'https://example.com/hook' });
  const evs = h('input', { id: 'wh-events', placeholder: 'build.*,release.live' });
  main.replaceChildren(h('h1', {}, app + ': webhooks'),
    hooks.length ? h('table', { 'data-testid': 'webhooks' }, h('tbody', {}, hooks.map(w => h('tr', {}, h('td', {}, h('code', {}, w.url)), h('td', {}, w.events || 'all events'),
      h('td', {}, w.last_delivery ? [badge(w.last_delivery.status), ' ', w.last_delivery.response_code || ''] : 'no deliveries'),
      h('td', {}, h('button', { type: 'button', onclick: async () => { await api('/apps/' + app + '/webhooks/' + w.id, { method: 'DELETE' }); route(); } }, 'Remove'))))))
      : h('p', { class: 'muted' }, 'No webhooks.'),
    h('form', { class: 'inline', onsubmit: async ev => {
      ev.preventDefault();
      const r = await api('/apps/' + app + '/webhooks', { method: 'POST', body: { url: url.value, events: evs.value } });
      toast('Webhook added; its signing secret (shown once): ' + r.secret);
      route();
    } }, h('label', { for: 'wh-url' }, 'URL', url), h('label', { for: 'wh-events' }, 'Events', evs), h('button', { class: 'primary' }, 'Add')),
    h('h2', {}, 'Deliveries'),
    deliveries.length ? h('table', {}, h('tbody', {}, deliveries.map(d => h('tr', {}, h('td', {}, d.type), h('td', {}, badge(d.status)),
      h('td', {}, d.attempts + ' tries'), h('td', {}, d.response_code || d.error || ''), h('td', { class: 'hide-s' }, h('code', {}, d.url))))))
      : h('p', { class: 'muted' }, 'None yet.'));
}
