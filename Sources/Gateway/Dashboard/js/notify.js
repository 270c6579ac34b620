// Who is told (admin): the notifier's teams with their channels, default teams per role and per
// site, escalation; saved to the notifier and applied at once, imported and exported as the
// contacts file's JSON. Each channel has "send test" (showing what the endpoint answered) and its
// health (last success, failing since, breaker). The banner over the page says when some
// incidents would reach nobody.
import { can } from './session.js';
import { el, $, str, on, emit } from './dom.js';
import { t, lang } from './i18n.js';
import { api, errorText, errorDetail } from './api.js';
import { shared } from './state.js';
import { kindName } from './vocabulary.js';
import { fmtAbs, fmtNum, relTime } from './format.js';
import { showErr, hideErr, toast } from './messages.js';

const STORED = '__stored__';
const ROLES = ['line-team', 'vendor', 'operators'];
const KINDS = ['LINE', 'LINE_DEGRADED', 'CAMERA'];
const TYPES = {
  webhook: ['url', 'secret'], slack: ['url'], teams: ['url', 'format'], telegram: ['token', 'chatID', 'apiBase'], discord: ['url'],
  email: ['url', 'from', 'to', 'username', 'password', 'requireTLS', 'caFile']
};
const SECRET = new Set(['secret', 'token', 'password']);

let book = null;          // the contacts being edited (the file's JSON shape)
let dirty = false;
let status = { directory: null, health: null, coverage: [] };

// ---------------------------------------------------------------- loading
/** Loads the contacts (secrets shown as stored). */
export async function loadContacts() {
  try {
    book = await api('/api/notify/contacts');
    book.teams = book.teams || [];
    dirty = false;
    hideErr('ntErr');
    renderEditor();
  } catch (e) {
    showErr('ntErr', t('errContacts', { msg: errorText(e) }), loadContacts, errorDetail(e));
  }
}

/** Loads channel health and coverage, then redraws the table and the banner. */
export async function loadStatus() {
  try {
    status = await api('/api/notify/health');
    shared.teams = (status.directory && status.directory.teams) || [];
    emit('teams');
    renderHealth();
    renderBanner();
  } catch (e) { /* the banner keeps its last state; the page shows its own error */ }
}

// ---------------------------------------------------------------- banner
function renderBanner() {
  const box = $('banners');
  for (const n of box.querySelectorAll('[data-banner="notify"]')) n.remove();
  const add = (text, kind, testid) => box.append(el('div', { class: 'banner ' + (kind || ''), role: 'alert', 'data-banner': 'notify', 'data-testid': testid },
    el('span', { text }), ' ', el('a', { href: '#view=notify', text: t('nt.fix') })));
  for (const p of status.coverage || []) {
    const role = t('nt.role.' + p.role);
    if (p.code === 'no_team') add(t('cov.noTeam', { role, n: fmtNum(p.cameras) }), 'danger', 'banner-no-team-' + p.role);
    else if (p.code === 'team_without_channel') add(t('cov.noChannel', { role, team: p.team, n: fmtNum(p.cameras) }), 'danger', 'banner-no-channel-' + p.team);
    else if (p.code === 'unknown_team') add(t('cov.unknown', { role, team: p.team, n: fmtNum(p.cameras) }), '', 'banner-unknown-' + p.team);
  }
  const failing = ((status.health && status.health.channels) || []).filter((c) => c.failingSince);
  for (const c of failing) add(t('cov.failing', { id: c.id, since: fmtAbs(c.failingSince), error: str(c.lastError) }), 'danger', 'banner-failing-' + c.id);
}

// ---------------------------------------------------------------- health table
function renderHealth() {
  $('ntHealthHead').replaceChildren(...['nt.channel', 'nt.team', 'nt.type', 'nt.target', 'nt.state', 'nt.lastSuccess', 'nt.failingSince', 'nt.lastError', 'colActions']
    .map((k) => el('th', { scope: 'col', text: t(k) })));
  const rows = document.createDocumentFragment();
  for (const c of (status.health && status.health.channels) || []) {
    const breaker = c.breakerOpenUntil && Date.parse(c.breakerOpenUntil) > Date.now();
    const state = c.failingSince ? (breaker ? 'breaker' : 'failing') : c.lastSuccessAt ? 'ok' : 'unused';
    const answer = el('div', { class: 'l2', 'data-testid': 'test-answer-' + c.id });
    rows.append(el('tr', { 'data-testid': 'health-' + c.id, 'data-health': state },
      el('td', { class: 'mono', text: c.id }), el('td', { text: c.team }), el('td', { text: c.type }), el('td', { text: c.target }),
      el('td', null, el('span', { class: 'hstate', 'data-health': state, text: t('nt.h.' + state) + (breaker ? ' · ' + t('nt.breakerUntil', { time: fmtAbs(c.breakerOpenUntil) }) : '') })),
      el('td', null, c.lastSuccessAt ? relTime(c.lastSuccessAt) : '—'),
      el('td', null, c.failingSince ? relTime(c.failingSince) : '—'),
      el('td', { class: 'reason', title: str(c.lastError), text: str(c.lastError) }),
      el('td', null, testButton(c.id, answer), answer)));
  }
  if (!((status.health && status.health.channels) || []).length) rows.append(el('tr', null, el('td', { colspan: '9', class: 'empty', text: t('nt.noChannels') })));
  $('ntHealth').replaceChildren(rows);
}

function testButton(channelID, answerBox) {
  return el('button', { type: 'button', class: 'btn small', 'data-testid': 'test-' + channelID, text: t('nt.test'), onclick: async (ev) => {
    const b = ev.currentTarget;
    b.disabled = true;
    answerBox.textContent = t('working');
    try {
      const r = await api('/api/notify/channels/' + encodeURIComponent(channelID) + '/test', { method: 'POST' });
      answerBox.textContent = (r.delivered ? '✔ ' + t('delivered') : '✘ ' + t('failed')) + (r.status != null ? ' · ' + r.status : '')
        + ' · ' + Math.round(r.durationMs) + ' ms' + (r.answer ? ' · ' + t('nt.answer') + ': ' + r.answer : '');
      answerBox.dataset.delivered = r.delivered ? 'true' : 'false';
      loadStatus();
    } catch (e) {
      answerBox.textContent = '✘ ' + errorText(e);
      answerBox.title = errorDetail(e);
    } finally {
      b.disabled = false;
    }
  } });
}

// ---------------------------------------------------------------- editor
function input(value, onchange, attrs) {
  const i = el('input', Object.assign({ type: 'text', autocomplete: 'off' }, attrs || {}));
  i.value = value == null ? '' : String(value);
  i.addEventListener('input', () => { onchange(i.value); dirty = true; });
  return i;
}
function select(options, value, onchange, attrs) {
  const s = el('select', attrs || null);
  for (const [v, label] of options) s.append(el('option', { value: v, text: label }));
  s.value = value == null ? '' : value;
  s.addEventListener('change', () => { onchange(s.value); dirty = true; renderEditor(); });
  return s;
}
function field(label, control) { return el('label', { class: 'fld' }, el('span', { class: 'lbl', text: label }), control); }

function channelEditor(team, channel, ci) {
  const box = el('div', { class: 'nt-channel', 'data-testid': 'nt-channel-' + str(channel.id) });
  const remove = el('button', { type: 'button', class: 'btn small danger', text: t('del'), onclick: () => { team.channels.splice(ci, 1); dirty = true; renderEditor(); } });
  box.append(field(t('nt.channelID'), input(channel.id, (v) => { channel.id = v; }, { 'data-testid': 'nt-channel-id' })),
    field(t('nt.type'), select(Object.keys(TYPES).map((k) => [k, k]), channel.type, (v) => {
      for (const f of Object.values(TYPES).flat()) if (!TYPES[v].includes(f)) delete channel[f];
      channel.type = v;
    }, { 'data-testid': 'nt-channel-type' })));
  for (const f of TYPES[channel.type] || []) {
    if (f === 'requireTLS') {
      const c = el('input', { type: 'checkbox' });
      c.checked = channel.requireTLS === true;
      c.addEventListener('change', () => { channel.requireTLS = c.checked || undefined; dirty = true; });
      box.append(el('label', { class: 'toggle' }, c, el('span', { text: 'requireTLS' })));
    } else if (f === 'format') {
      box.append(field('format', select([['adaptive', 'adaptive'], ['messagecard', 'messagecard']], channel.format || 'adaptive', (v) => { channel.format = v; })));
    } else if (f === 'to') {
      box.append(field('to', input((channel.to || []).join(', '), (v) => { channel.to = v.split(/[,;\s]+/).filter(Boolean); }, { 'data-testid': 'nt-channel-to' })));
    } else if (SECRET.has(f)) {
      const stored = channel[f] === STORED;
      box.append(field(f, input(stored ? '' : channel[f], (v) => { channel[f] = v ? v : (stored ? STORED : undefined); },
        { type: 'password', placeholder: stored ? t('nt.stored') : '', 'data-testid': 'nt-channel-' + f })));
    } else {
      box.append(field(f, input(channel[f], (v) => { channel[f] = v || undefined; }, { 'data-testid': 'nt-channel-' + f, type: f === 'url' || f === 'apiBase' ? 'url' : 'text' })));
    }
  }
  const kinds = el('span', { class: 'days' });
  for (const k of KINDS) {
    const c = el('input', { type: 'checkbox' });
    c.checked = !channel.kinds || channel.kinds.includes(k);
    c.addEventListener('change', () => {
      const on_ = Array.from(kinds.querySelectorAll('input')).map((x, i) => x.checked ? KINDS[i] : null).filter(Boolean);
      channel.kinds = on_.length === KINDS.length ? undefined : on_;
      dirty = true;
    });
    kinds.append(el('label', { class: 'toggle' }, c, el('span', { text: kindName(k) })));
  }
  box.append(el('div', { class: 'fld' }, el('span', { class: 'lbl', text: t('nt.kinds') }), kinds), remove);
  return box;
}

function teamEditor(team, ti) {
  const others = book.teams.filter((x) => x !== team).map((x) => [x.id, x.id + ' · ' + x.name]);
  const card = el('div', { class: 'nt-team card', 'data-testid': 'nt-team-' + str(team.id) });
  card.append(el('div', { class: 'nt-row' },
    field(t('nt.teamID'), input(team.id, (v) => { team.id = v; }, { 'data-testid': 'nt-team-id' })),
    field(t('nt.teamName'), input(team.name, (v) => { team.name = v; }, { 'data-testid': 'nt-team-name' })),
    field(t('nt.role'), select(ROLES.map((r) => [r, t('nt.role.' + r)]), team.role, (v) => { team.role = v; }, { 'data-testid': 'nt-team-role' })),
    field(t('nt.language'), select([['ko', '한국어'], ['en', 'English']], team.language || 'ko', (v) => { team.language = v; })),
    field(t('nt.escalateTo'), select([['', '—']].concat(others), team.escalateTo || '', (v) => { team.escalateTo = v || undefined; }, { 'data-testid': 'nt-team-escalate' })),
    el('button', { type: 'button', class: 'btn small danger', text: t('del'), 'data-testid': 'nt-team-delete', onclick: () => {
      if (!window.confirm(t('nt.confirmDeleteTeam', { id: team.id }))) return;
      book.teams.splice(ti, 1); dirty = true; renderEditor();
    } })));
  team.channels = team.channels || [];
  team.channels.forEach((c, ci) => card.append(channelEditor(team, c, ci)));
  card.append(el('button', { type: 'button', class: 'btn small', 'data-testid': 'nt-add-channel', text: t('nt.addChannel'), onclick: () => {
    team.channels.push({ id: team.id + '-' + (team.channels.length + 1), type: 'webhook', url: '' }); dirty = true; renderEditor();
  } }));
  return card;
}

function renderEditor() {
  if (!book) return;
  $('ntTeams').replaceChildren(...book.teams.map(teamEditor));
  const defaults = book.defaults || {};
  $('ntDefaults').replaceChildren(...ROLES.map((role) => field(t('nt.role.' + role),
    select([['', t('nt.firstOfRole')]].concat(book.teams.filter((x) => x.role === role).map((x) => [x.id, x.id + ' · ' + x.name])), defaults[role] || '',
      (v) => { book.defaults = book.defaults || {}; if (v) book.defaults[role] = v; else delete book.defaults[role]; }, { 'data-testid': 'nt-default-' + role }))));
  const sites = book.siteDefaults || {};
  const list = el('div', null);
  for (const site of Object.keys(sites).sort()) {
    for (const role of Object.keys(sites[site]).sort()) {
      list.append(el('div', { class: 'nt-row', 'data-testid': 'nt-site-' + site + '-' + role },
        el('span', { class: 'mono', text: site }), el('span', { text: t('nt.role.' + role) }),
        select(book.teams.filter((x) => x.role === role).map((x) => [x.id, x.id + ' · ' + x.name]), sites[site][role], (v) => { sites[site][role] = v; }),
        el('button', { type: 'button', class: 'btn small danger', text: t('del'), onclick: () => {
          delete sites[site][role]; if (!Object.keys(sites[site]).length) delete sites[site]; dirty = true; renderEditor();
        } })));
    }
  }
  $('ntSiteDefaults').replaceChildren(list);
}

function setMsg(text, kind, detail) { const m = $('ntMsg'); m.textContent = text || ''; m.className = 'reg-msg ' + (kind || ''); m.title = detail || ''; }

async function save(body) {
  setMsg(t('working'));
  try {
    book = await api('/api/notify/contacts', { method: 'PUT', raw: body || JSON.stringify(clean(book)), contentType: 'application/json' });
    book.teams = book.teams || [];
    dirty = false;
    setMsg(t('nt.saved'), 'ok');
    toast(t('nt.saved'), 'ok');
    renderEditor();
    setTimeout(loadStatus, 500);
  } catch (e) {
    setMsg(t('nt.saveFailed', { msg: errorText(e) + (e.error && e.error.field && lang === 'ko' ? ' — ' + e.message : '') }), 'error', errorDetail(e));
  }
}

/** The contacts without empty optional fields (the notifier rejects e.g. an empty secret). */
function clean(b) {
  const copy = JSON.parse(JSON.stringify(b));
  for (const team of copy.teams || []) {
    if (!team.escalateTo) delete team.escalateTo;
    for (const c of team.channels || []) for (const k of Object.keys(c)) if (c[k] === '' || c[k] === undefined || c[k] === null) delete c[k];
  }
  if (copy.defaults && !Object.keys(copy.defaults).length) delete copy.defaults;
  if (copy.siteDefaults && !Object.keys(copy.siteDefaults).length) delete copy.siteDefaults;
  return copy;
}

export function initNotify() {
  $('ntSave').addEventListener('click', () => save());
  $('ntReload').addEventListener('click', () => { if (!dirty || window.confirm(t('nt.discard'))) loadContacts(); });
  $('ntAddTeam').addEventListener('click', () => {
    book.teams.push({ id: 'TEAM-' + (book.teams.length + 1), name: t('nt.newTeam'), role: 'line-team', language: lang, channels: [] });
    dirty = true; renderEditor();
  });
  $('ntAddSite').addEventListener('click', () => {
    const site = window.prompt(t('nt.siteName'), shared.sites[0] || '');
    if (!site) return;
    const team = book.teams.find((x) => x.role === 'line-team');
    if (!team) return;
    book.siteDefaults = book.siteDefaults || {};
    book.siteDefaults[site] = book.siteDefaults[site] || {};
    book.siteDefaults[site]['line-team'] = team.id;
    dirty = true; renderEditor();
  });
  $('ntImport').addEventListener('change', async () => {
    const f = $('ntImport').files && $('ntImport').files[0];
    if (f) await save(await f.text());
    $('ntImport').value = '';
  });
  on('view-shown', (v) => { if (v === 'notify') { if (can('admin')) loadContacts(); loadStatus(); } });
  on('notifier', loadStatus);
  on('lang', () => { renderEditor(); renderHealth(); renderBanner(); });
  on('resync', loadStatus);
  loadStatus();
  setInterval(loadStatus, 60000);
}
