// The problems view, the default: what needs a person, worst first (line down, camera down,
// degraded, stalled), one line per site incident (expand to see its cameras), sortable and
// filterable by every column, filters kept in the URL, bulk actions on a selection.
import { el, $, str, on, emit, keepFocus } from './dom.js';
import { t } from './i18n.js';
import { api, errorText, errorDetail, query as encodeQuery } from './api.js';
import { shared } from './state.js';
import { cameraStates, stateName, issueStateName, actionsFor, actionName, kindName, needsAttention } from './vocabulary.js';
import { fmtNum, relTime } from './format.js';
import { showErr, hideErr } from './messages.js';
import { stateBadge, reasonCell } from './cameras.js';
import { issueControls, sendAction } from './incidents.js';
import { readRoute, updateRoute } from './router.js';

const PAGE_SIZE = 100;
const filters = { q: '', site: '', state: '', team: '', vendor: '', issueState: '', sort: '' };
const page = { offset: 0, total: 0, cameras: 0, items: [] };
const expanded = new Map();   // site incident id -> child entries (loaded) or null (loading)
const selection = new Map();  // key -> entry
const COLUMNS = [
  { key: 'select' },
  { key: 'state', sort: 'severity', label: 'colState' },
  { key: 'id', sort: 'id', label: 'colId' },
  { key: 'name', sort: 'name', label: 'colName' },
  { key: 'site', sort: 'site', label: 'colSite' },
  { key: 'reason', sort: 'reason', label: 'colReason' },
  { key: 'since', sort: 'since', label: 'colSince' },
  { key: 'team', sort: 'team', label: 'colTeam' },
  { key: 'incident', sort: 'issueState', label: 'colIncident' },
  { key: 'actions', label: 'colActions' }
];
// Quick actions on a problem line; the rest are in the incident's panel.
const QUICK = ['acknowledge', 'dispatch'];

function entryKey(e) { return e.kind === 'site' ? 'site:' + str(e.incident && e.incident.id) : 'camera:' + str(e.camera && e.camera.id); }

// ---------------------------------------------------------------- filters
function renderFilters() {
  const st = $('pState');
  st.replaceChildren(el('option', { value: '', text: t('allProblemStates') }));
  for (const s of cameraStates()) if (s.needsAttention) st.append(el('option', { value: s.code, text: stateName(s.code) }));
  st.append(el('option', { value: 'STALLED', text: t('stalled') }));
  st.value = filters.state;
  const is = $('pIssue');
  is.replaceChildren(el('option', { value: '', text: t('allIncidentStates') }));
  for (const code of ['OPEN', 'ACKNOWLEDGED', 'DISPATCHED']) is.append(el('option', { value: code, text: issueStateName(code) }));
  is.append(el('option', { value: 'NONE', text: t('noIncident') }));
  is.value = filters.issueState;
  const site = $('pSite');
  site.replaceChildren(el('option', { value: '', text: t('allSites') }));
  const sites = shared.sites.slice();
  if (filters.site && !sites.includes(filters.site)) sites.push(filters.site);
  for (const s of sites) site.append(el('option', { value: s, text: s }));
  site.value = filters.site;
  $('pq').value = filters.q;
  $('pTeam').value = filters.team;
  $('pVendor').value = filters.vendor;
}

function fromRoute(route) {
  for (const k of Object.keys(filters)) filters[k] = route[k] || '';
}

function filtersChanged() {
  page.offset = 0;
  updateRoute(Object.assign({}, filters));
  load();
}

// ---------------------------------------------------------------- loading
let seq = 0, abort = null, timer = 0, lastLoad = 0, marked = false;
function query(extra) {
  const p = {};
  for (const k of ['q', 'site', 'state', 'team', 'vendor', 'issueState', 'sort']) if (filters[k]) p[k] = filters[k];
  return encodeQuery(Object.assign(p, extra || {}));
}

/** Loads the problems page now. */
export async function load() {
  const mine = ++seq;
  if (abort) abort.abort();
  abort = new AbortController();
  lastLoad = Date.now();
  $('problemsWrap').setAttribute('aria-busy', 'true');
  try {
    const data = await api('/api/problems?' + query({ offset: String(page.offset), limit: String(PAGE_SIZE) }), { signal: abort.signal });
    if (mine !== seq) return;
    page.total = Number(data && data.total) || 0;
    page.cameras = Number(data && data.cameras) || 0;
    page.items = (data && Array.isArray(data.items)) ? data.items : [];
    if (!page.items.length && page.offset > 0 && page.total > 0) { page.offset = 0; load(); return; }
    // Keep open groups open and their children fresh.
    for (const id of expanded.keys()) loadChildren(id);
    hideErr('problemsErr');
    render();
    // Time to interactive, as the browser tests and the benchmark read it.
    if (!marked) { marked = true; performance.mark('cctvout-problems-rendered'); }
  } catch (e) {
    if (e && e.name === 'AbortError') return;
    if (mine !== seq) return;
    showErr('problemsErr', t('errProblems', { msg: errorText(e) }), load, errorDetail(e));
  } finally {
    if (mine === seq) $('problemsWrap').setAttribute('aria-busy', 'false');
  }
}

/** Reloads soon after live changes: at most once a second, never in a burst. */
function scheduleLoad() {
  if (timer) return;
  timer = setTimeout(() => { timer = 0; load(); }, Math.max(300, 1000 - (Date.now() - lastLoad)));
}

async function loadChildren(incidentID) {
  if (!expanded.has(incidentID)) expanded.set(incidentID, null);
  try {
    const data = await api('/api/problems?' + query({ parent: incidentID, limit: '1000' }));
    if (!expanded.has(incidentID)) return;
    expanded.set(incidentID, (data && data.items) || []);
  } catch (e) {
    expanded.set(incidentID, []);
    showErr('problemsErr', t('errProblems', { msg: errorText(e) }), load, errorDetail(e));
  }
  render();
}

// ---------------------------------------------------------------- rendering
function renderHead() {
  const tr = $('problemsHead');
  const current = filters.sort || 'severity';
  const desc = current.startsWith('-');
  const key = desc ? current.slice(1) : current;
  tr.replaceChildren();
  for (const c of COLUMNS) {
    if (c.key === 'select') {
      const all = el('input', { type: 'checkbox', 'aria-label': t('selectAll'), 'data-testid': 'select-all' });
      all.checked = page.items.length > 0 && page.items.every((e) => selection.has(entryKey(e)));
      all.addEventListener('change', () => { for (const e of page.items) { if (all.checked) selection.set(entryKey(e), e); else selection.delete(entryKey(e)); } render(); });
      tr.append(el('th', { scope: 'col', class: 'c-select', 'data-col': 'select' }, all));
      continue;
    }
    if (!c.sort) { tr.append(el('th', { scope: 'col', class: 'c-' + c.key, 'data-col': c.key }, el('span', { class: 'sr-only', text: t(c.label) }))); continue; }
    const active = key === c.sort;
    const btn = el('button', { type: 'button', class: 'sort', 'data-testid': 'sort-' + c.sort, text: t(c.label) + (active ? (desc ? ' ▼' : ' ▲') : '') });
    btn.addEventListener('click', () => { filters.sort = active && !desc ? '-' + c.sort : (active ? '' : c.sort); if (filters.sort === 'severity') filters.sort = ''; filtersChanged(); });
    tr.append(el('th', { scope: 'col', class: 'c-' + c.key, 'data-col': c.key, 'aria-sort': active ? (desc ? 'descending' : 'ascending') : 'none' }, btn));
  }
}

function selectBox(e) {
  const k = entryKey(e);
  const box = el('input', { type: 'checkbox', 'aria-label': t('selectRow', { id: k.replace(/^\w+:/, '') }), 'data-testid': 'select-' + k });
  box.checked = selection.has(k);
  box.addEventListener('click', (ev) => ev.stopPropagation());
  box.addEventListener('change', () => { if (box.checked) selection.set(k, e); else selection.delete(k); renderBulk(); });
  return box;
}

function cameraRow(e, child) {
  const c = e.camera || {};
  const s = e.status || null;
  const id = str(c.id);
  const state = e.stalled ? 'UNKNOWN' : (s ? s.state : 'UNKNOWN');
  const tr = el('tr', { class: 'prow' + (child ? ' child' : ''), tabindex: '0', 'data-testid': 'problem-' + id, 'data-state': state, 'data-stalled': e.stalled ? 'true' : 'false' });
  const open = () => emit('open-camera', id);
  tr.addEventListener('click', open);
  tr.addEventListener('keydown', (ev) => { if (ev.target === tr && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); open(); } });
  const team = e.issue ? e.issue.responsibleTeam : (state === 'CAMERA_DOWN' || state === 'PICTURE_FAULT' ? c.vendor : c.lineTeam);
  tr.append(
    el('td', { class: 'c-select', 'data-col': 'select' }, selectBox(e)),
    el('td', { class: 'c-state', 'data-col': 'state' }, e.stalled ? el('span', { class: 'badge', 'data-state': 'STALLED', text: '‖ ' + t('stalled') }) : stateBadge(state)),
    el('td', { class: 'c-id mono', 'data-col': 'id', text: id }),
    el('td', { class: 'c-name', 'data-col': 'name', title: str(c.name) || null, text: str(c.name) }),
    el('td', { class: 'c-site', 'data-col': 'site', title: str(c.site) || null, text: str(c.site) }),
    el('td', { class: 'c-reason', 'data-col': 'reason' }, reasonCell(e.stalled ? 'stalled' : s && s.reason)),
    el('td', { class: 'c-since', 'data-col': 'since' }, s ? relTime(s.since) : '—'),
    el('td', { class: 'c-team', 'data-col': 'team', title: str(team) || null, text: str(team) }),
    el('td', { class: 'c-incident', 'data-col': 'incident' }, incidentCell(e.issue)),
    el('td', { class: 'c-actions', 'data-col': 'actions' }, e.issue ? issueControls(e.issue, 'x', QUICK) : ''));
  return tr;
}

function incidentCell(issue) {
  if (!issue) return el('span', { class: 'muted', text: '—' });
  return el('span', { class: 'ist', 'data-issue-state': str(issue.state), title: kindName(issue.kind) + ' · ' + str(issue.id), text: issueStateName(issue.state) + (issue.silenced ? ' · ' + t('badgeSilenced') : '') });
}

function siteRow(e) {
  const inc = e.incident || {};
  const id = str(inc.id);
  const open = expanded.has(id);
  const worst = cameraStates().find((s) => (e.byState || {})[s.code]);
  const tr = el('tr', { class: 'prow group', tabindex: '0', 'data-testid': 'problem-group-' + id, 'data-state': worst ? worst.code : 'UNKNOWN', 'aria-expanded': open ? 'true' : 'false' });
  const toggle = el('button', { type: 'button', class: 'btn small expand', 'aria-expanded': open ? 'true' : 'false', 'data-testid': 'expand-' + id,
    'aria-label': t(open ? 'collapse' : 'expand'), text: open ? '▾' : '▸' });
  const flip = (ev) => { if (ev) ev.stopPropagation(); if (expanded.has(id)) { expanded.delete(id); render(); } else { expanded.set(id, null); render(); loadChildren(id); } };
  toggle.addEventListener('click', flip);
  tr.addEventListener('click', () => emit('open-incident', id));
  tr.addEventListener('keydown', (ev) => { if (ev.target === tr && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); flip(); } });
  const counts = el('span', { class: 'counts' });
  for (const s of cameraStates()) {
    const n = (e.byState || {})[s.code];
    if (n) counts.append(el('span', { class: 'badge small', 'data-state': s.code, title: stateName(s.code), text: fmtNum(n) }));
  }
  tr.append(
    el('td', { class: 'c-select', 'data-col': 'select' }, selectBox(e)),
    el('td', { class: 'c-state', 'data-col': 'state' }, toggle, ' ', stateBadge(worst ? worst.code : 'UNKNOWN')),
    el('td', { class: 'c-id mono', 'data-col': 'id', text: t('siteGroup', { n: fmtNum(Number(e.count) || 0) }) }),
    el('td', { class: 'c-name', 'data-col': 'name' }, el('span', { text: t('siteOutageOf', { site: str(inc.site) }) }), ' ', counts),
    el('td', { class: 'c-site', 'data-col': 'site', text: str(inc.site) }),
    el('td', { class: 'c-reason', 'data-col': 'reason' }, reasonCell(inc.reason)),
    el('td', { class: 'c-since', 'data-col': 'since' }, inc.openedAt ? relTime(inc.openedAt) : '—'),
    el('td', { class: 'c-team', 'data-col': 'team', text: str(inc.responsibleTeam) }),
    el('td', { class: 'c-incident', 'data-col': 'incident' }, incidentCell(inc)),
    el('td', { class: 'c-actions', 'data-col': 'actions' }, inc.id ? issueControls(inc, 'x', QUICK) : ''));
  return tr;
}

/** Redraws the list (keeping a half-typed action form). */
export function render() { keepFocus(render0); }
function render0() {
  renderHead();
  const frag = document.createDocumentFragment();
  for (const e of page.items) {
    if (e.kind === 'site') {
      frag.append(siteRow(e));
      const id = str(e.incident && e.incident.id);
      if (expanded.has(id)) {
        const kids = expanded.get(id);
        if (kids === null) frag.append(el('tr', { class: 'prow child' }, el('td', { colspan: String(COLUMNS.length), class: 'empty', text: t('loading') })));
        else for (const k of kids) frag.append(cameraRow(k, true));
      }
    } else {
      frag.append(cameraRow(e, false));
    }
  }
  $('problemRows').replaceChildren(frag);
  const empty = $('problemsEmpty');
  empty.hidden = page.items.length > 0;
  empty.textContent = anyFilter() ? t('noProblemsFiltered') : t('noProblems');
  $('pInfo').textContent = page.total === 0 ? t('pageEmpty')
    : t('problemsInfo', { from: fmtNum(page.offset + 1), to: fmtNum(page.offset + page.items.length), total: fmtNum(page.total), cameras: fmtNum(page.cameras) });
  $('pPrev').disabled = page.offset <= 0;
  $('pNext').disabled = page.offset + PAGE_SIZE >= page.total;
  $('problemsCount').textContent = fmtNum(page.total);
  renderBulk();
}
function anyFilter() { return ['q', 'site', 'state', 'team', 'vendor', 'issueState'].some((k) => filters[k]); }

// ---------------------------------------------------------------- bulk actions
function renderBulk() {
  const n = selection.size;
  $('bulkBar').hidden = n === 0;
  $('bulkCount').textContent = t('selected', { n: fmtNum(n) });
  for (const b of $('bulkBar').querySelectorAll('[data-bulk="acknowledge"],[data-bulk="dispatch"]')) b.textContent = actionName(b.dataset.bulk);
}

/** Runs `work` over `items`, 4 at a time; returns {done, skipped, failed, firstError}. */
async function runAll(items, work) {
  const result = { done: 0, skipped: 0, failed: 0, firstError: null };
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const item = items[next++];
      try { (await work(item)) === false ? result.skipped++ : result.done++; } catch (e) { result.failed++; result.firstError = result.firstError || e; }
    }
  }
  await Promise.all([worker(), worker(), worker(), worker()]);
  return result;
}

async function bulk(kind) {
  const entries = Array.from(selection.values());
  const msg = $('bulkMsg');
  msg.textContent = t('working');
  let result;
  if (kind === 'acknowledge' || kind === 'dispatch') {
    result = await runAll(entries, async (e) => {
      const issue = e.kind === 'site' ? e.incident : e.issue;
      if (!issue || !actionsFor(issue.state).some((a) => a.path === kind)) return false;
      await sendAction(issue.id, kind, '');
      return true;
    });
  } else if (kind === 'maintenance') {
    const minutes = Math.max(1, Math.round(Number($('bulkMinutes').value) || 60));
    result = await runAll(entries, async (e) => {
      const scope = e.kind === 'site' ? 'site' : 'camera';
      const value = e.kind === 'site' ? str(e.incident && e.incident.site) : str(e.camera && e.camera.id);
      if (!value) return false;
      await api('/api/silences', { method: 'POST', body: { scope, value, minutes, reason: t('bulkReason') } });
      return true;
    });
    emit('silences-changed');
  } else {
    result = await runAll(entries, async (e) => {
      if (e.kind !== 'camera' || !e.camera) return false;
      await api('/api/cameras/' + encodeURIComponent(e.camera.id) + '/' + kind, { method: 'POST' });
      return true;
    });
  }
  msg.textContent = t('bulkResult', { done: result.done, skipped: result.skipped, failed: result.failed })
    + (result.firstError ? ' — ' + errorText(result.firstError) : '');
  msg.title = result.firstError ? errorDetail(result.firstError) : '';
  if (!result.failed) selection.clear();
  load();
}

// ---------------------------------------------------------------- wiring
export function initProblems() {
  fromRoute(readRoute());
  renderFilters();
  let qTimer = 0;
  $('pq').addEventListener('input', () => { clearTimeout(qTimer); qTimer = setTimeout(() => { filters.q = $('pq').value.trim(); filtersChanged(); }, 300); });
  for (const [id, key] of [['pTeam', 'team'], ['pVendor', 'vendor']]) {
    let tm = 0;
    $(id).addEventListener('input', () => { clearTimeout(tm); tm = setTimeout(() => { filters[key] = $(id).value.trim(); filtersChanged(); }, 400); });
  }
  for (const [id, key] of [['pSite', 'site'], ['pState', 'state'], ['pIssue', 'issueState']]) {
    $(id).addEventListener('change', () => { filters[key] = $(id).value; filtersChanged(); });
  }
  $('pClear').addEventListener('click', () => { for (const k of Object.keys(filters)) filters[k] = ''; renderFilters(); filtersChanged(); });
  $('pPrev').addEventListener('click', () => { page.offset = Math.max(0, page.offset - PAGE_SIZE); load(); });
  $('pNext').addEventListener('click', () => { if (page.offset + PAGE_SIZE < page.total) { page.offset += PAGE_SIZE; load(); } });
  for (const b of $('bulkBar').querySelectorAll('[data-bulk]')) b.addEventListener('click', () => bulk(b.dataset.bulk));
  $('bulkClear').addEventListener('click', () => { selection.clear(); render(); });
  on('lang', () => { renderFilters(); render(); });
  on('sites', renderFilters);
  on('route', (route) => {
    const before = JSON.stringify(filters);
    fromRoute(route);
    if (JSON.stringify(filters) !== before) { renderFilters(); page.offset = 0; load(); }
  });
  on('problems-render', render);
  on('filter-state', (s) => { if (s && !needsAttention(s)) return; filters.state = s; renderFilters(); filtersChanged(); emit('show-view', 'problems'); });
  for (const name of ['status', 'issue', 'camera', 'deleted', 'issue-record']) on(name, scheduleLoad);
  on('resync', load);
  render();
}
