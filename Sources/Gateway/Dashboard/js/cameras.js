// The camera list: server-side paging, search and filters, live row updates.
import { el, $, str, on, emit } from './dom.js';
import { t } from './i18n.js';
import { api, errorText, errorDetail, query } from './api.js';
import { shared } from './state.js';
import { cameraStates, stateName, isCameraState, probeName, reasonText, needsAttention } from './vocabulary.js';
import { fmtNum, relTime } from './format.js';
import { showErr, hideErr, toast } from './messages.js';
import { scheduleSummary } from './summary.js';

const PAGE_SIZE = 100;
export const filters = { q: '', site: '', state: '' };
const page = { offset: 0, total: 0, items: [] };   // items: [{camera, status}]
const rowIndex = new Map();                          // id -> {item, tr}
let selectedID = null;

const STATE_ICON = { OK: '●', DEGRADED: '▲', LINE_DOWN: '✖', CAMERA_DOWN: '■', PICTURE_FAULT: '◧', UNKNOWN: '?' };

/** A state badge with its icon and name. */
export function stateBadge(state, big) {
  const s = isCameraState(state) ? state : 'UNKNOWN';
  return el('span', { class: 'badge' + (big ? ' big' : ''), 'data-state': s },
    el('span', { 'aria-hidden': 'true', text: STATE_ICON[s] || '?' }), stateName(s));
}

/** An ICMP/HLS status cell. */
export function probeCell(kind, v) {
  const val = str(v);
  return el('span', { class: 'probe', 'data-v': val }, val ? probeName(kind, val) : '—');
}

/** A reason: its words, the code and words in full on hover (and on tap, via the title). */
export function reasonCell(code, extraClass) {
  const c = str(code);
  if (!c) return el('span', { class: 'reason ' + (extraClass || '') });
  const words = reasonText(c);
  return el('span', { class: 'reason ' + (extraClass || ''), title: words + (words !== c ? ' [' + c + ']' : ''), 'data-code': c, tabindex: '0', text: words });
}

function renderStateFilter() {
  const sel = $('stateFilter');
  sel.replaceChildren(el('option', { value: '', text: t('allStates') }));
  for (const s of cameraStates()) sel.append(el('option', { value: s.code, text: stateName(s.code) }));
  sel.value = filters.state;
}
function renderSiteFilter() {
  const sel = $('siteFilter');
  sel.replaceChildren(el('option', { value: '', text: t('allSites') }));
  const list = shared.sites.slice();
  if (filters.site && !list.includes(filters.site)) list.push(filters.site);
  for (const s of list) sel.append(el('option', { value: s, text: s }));
  sel.value = filters.site;
  const dl = $('siteList');
  if (dl) { dl.replaceChildren(); for (const s of shared.sites) dl.append(el('option', { value: s })); }
}

/** Loads the known sites. */
export async function loadSites() {
  try {
    const data = await api('/api/sites');
    shared.sites = ((data && data.items) || []).filter((s) => typeof s === 'string' && s);
    renderSiteFilter();
  } catch (e) {
    toast(t('errSites', { msg: errorText(e) }), 'error', 0, errorDetail(e));
  }
}

let pageSeq = 0, pageAbort = null;
/** Loads the current page with the current filters. */
export async function loadPage() {
  const seq = ++pageSeq;
  if (pageAbort) pageAbort.abort();
  const ctrl = new AbortController();
  pageAbort = ctrl;
  const p = query({ q: filters.q, site: filters.site, state: filters.state, offset: page.offset, limit: PAGE_SIZE });
  $('tableWrap').setAttribute('aria-busy', 'true');
  try {
    const data = await api('/api/cameras?' + p, { signal: ctrl.signal });
    if (seq !== pageSeq) return;
    const total = Number(data && data.total) || 0;
    const items = (data && Array.isArray(data.items)) ? data.items.filter((it) => it && it.camera && it.camera.id != null) : [];
    if (items.length === 0 && page.offset > 0 && total > 0) {
      // Page fell off the end (cameras deleted): jump to the last page.
      page.offset = Math.max(0, Math.floor((total - 1) / PAGE_SIZE) * PAGE_SIZE);
      loadPage();
      return;
    }
    page.total = total;
    page.items = items;
    hideErr('camerasErr');
    $('stale').hidden = true;
    renderPage();
  } catch (e) {
    if (e && e.name === 'AbortError') return;
    if (seq !== pageSeq) return;
    showErr('camerasErr', t('errCameras', { msg: errorText(e) }), loadPage, errorDetail(e));
  } finally {
    if (seq === pageSeq) $('tableWrap').setAttribute('aria-busy', 'false');
  }
}

function renderPage() {
  const tbody = $('rows');
  rowIndex.clear();
  const frag = document.createDocumentFragment();
  for (const item of page.items) {
    const tr = buildRow(item);
    rowIndex.set(String(item.camera.id), { item, tr });
    frag.append(tr);
  }
  tbody.replaceChildren(frag);
  const empty = $('rowsEmpty');
  empty.hidden = page.items.length > 0;
  empty.textContent = t('noCameras');
  renderPager();
}
function renderPager() {
  const n = page.items.length;
  $('pageInfo').textContent = (page.total === 0 || n === 0)
    ? t('pageEmpty')
    : t('pageInfo', { from: fmtNum(page.offset + 1), to: fmtNum(page.offset + n), total: fmtNum(page.total) });
  $('prev').disabled = page.offset <= 0;
  $('next').disabled = page.offset + PAGE_SIZE >= page.total;
}
function buildRow(item) {
  const id = String(item.camera.id);
  const tr = el('tr', { class: 'row', tabindex: '0', 'data-testid': 'row-' + id });
  tr.dataset.id = id;
  tr.addEventListener('click', () => emit('open-camera', id));
  tr.addEventListener('keydown', (ev) => {
    if (ev.target === tr && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); emit('open-camera', id); }
  });
  fillRow(tr, item);
  return tr;
}
function fillRow(tr, item) {
  const c = item.camera || {};
  const s = item.status || null;
  const st = (s && isCameraState(s.state)) ? s.state : 'UNKNOWN';
  const id = str(c.id);
  tr.dataset.state = st;
  tr.classList.toggle('selected', selectedID === id);
  tr.replaceChildren(
    el('td', { class: 'mono', 'data-col': 'id', text: id }),
    el('td', { class: 'name', 'data-col': 'name', title: str(c.name), text: str(c.name) }),
    el('td', { class: 'mono', 'data-col': 'address', title: str(c.address) || null, text: str(c.address) }),
    el('td', { class: 'site', 'data-col': 'site', title: str(c.site) || null, text: str(c.site) }),
    el('td', { 'data-col': 'state' }, stateBadge(st)),
    el('td', { 'data-col': 'icmp' }, probeCell('icmp', s && s.icmp)),
    el('td', { 'data-col': 'hls' }, probeCell('hls', s && s.hls)),
    el('td', { 'data-col': 'reason' }, reasonCell(s && s.reason)),
    el('td', { 'data-col': 'since' }, s ? relTime(s.since) : '—')
  );
}
function flashRow(tr) {
  tr.classList.remove('flash');
  void tr.offsetWidth; // restart the animation
  tr.classList.add('flash');
}
function markStale() { $('stale').hidden = false; }

/** Removes a camera's row (deleted); returns whether it was on this page. */
export function removeRow(id) {
  const entry = rowIndex.get(id);
  if (!entry) return false;
  entry.tr.remove();
  rowIndex.delete(id);
  page.items = page.items.filter((it) => String(it.camera.id) !== id);
  page.total = Math.max(0, page.total - 1);
  if (page.items.length === 0) loadPage(); else { renderPager(); markStale(); }
  return true;
}

/** Marks the camera shown in the detail panel. */
export function selectRow(id) {
  selectedID = id;
  for (const e of rowIndex.values()) e.tr.classList.toggle('selected', String(e.item.camera.id) === id);
}

function setStateFilter(s) {
  filters.state = s;
  $('stateFilter').value = s;
  page.offset = 0;
  emit('state-filter-changed', s);
  loadPage();
}

export function initCameras() {
  renderStateFilter();
  renderSiteFilter();
  renderPager();
  let qTimer = 0;
  $('q').addEventListener('input', () => {
    clearTimeout(qTimer);
    qTimer = setTimeout(() => {
      const v = $('q').value.trim();
      if (v === filters.q) return;
      filters.q = v; page.offset = 0; loadPage();
    }, 300);
  });
  $('q').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter') { clearTimeout(qTimer); filters.q = $('q').value.trim(); page.offset = 0; loadPage(); }
  });
  $('siteFilter').addEventListener('change', () => { filters.site = $('siteFilter').value; page.offset = 0; loadPage(); });
  $('stateFilter').addEventListener('change', () => setStateFilter($('stateFilter').value));
  $('prev').addEventListener('click', () => { page.offset = Math.max(0, page.offset - PAGE_SIZE); loadPage(); $('tableWrap').scrollTop = 0; });
  $('next').addEventListener('click', () => { if (page.offset + PAGE_SIZE < page.total) { page.offset += PAGE_SIZE; loadPage(); $('tableWrap').scrollTop = 0; } });
  $('staleRefresh').addEventListener('click', () => { loadPage(); emit('refresh-summary'); });
  on('filter-state', (s) => { if (s && needsAttention(s)) return; setStateFilter(s); emit('show-view', 'cameras'); });
  on('lang', () => { renderStateFilter(); renderSiteFilter(); renderPage(); });
  on('sites', renderSiteFilter);
  on('camera', (d) => {
    const entry = rowIndex.get(String(d.camera.id));
    if (entry) { entry.item.camera = d.camera; entry.item.status = d.status || null; fillRow(entry.tr, entry.item); flashRow(entry.tr); }
    else markStale(); // a camera was added or changed elsewhere: offer a refresh, never auto-jump
  });
  on('deleted', (id) => removeRow(id));
  on('status', (s) => {
    const entry = rowIndex.get(String(s.cameraID));
    if (!entry) return;
    const prev = entry.item.status;
    entry.item.status = s;
    fillRow(entry.tr, entry.item);
    if (!prev || prev.state !== s.state) flashRow(entry.tr);
  });
  on('reload', loadPage);
  on('camera-changed', () => { loadPage(); scheduleSummary(); });
}
