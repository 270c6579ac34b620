// The counters above the lists: cameras per state (a click filters the list) and open incidents.
import { el, $, on, emit } from './dom.js';
import { t } from './i18n.js';
import { api, errorText } from './api.js';
import { shared } from './state.js';
import { cameraStates, stateName } from './vocabulary.js';
import { fmtNum } from './format.js';
import { toast } from './messages.js';
import { monitoringStalled } from './header.js';

const MIN_INTERVAL = 2000; // ms: /api/summary at most every 2 s
let filterState = '';
let timer = null, last = 0, seq = 0, errShown = false;

function build() {
  const box = $('summary');
  box.replaceChildren(el('div', { class: 'count total', 'data-testid': 'summary-total' },
    el('span', { class: 'n', id: 'count-total', 'data-testid': 'count-total', text: '–' }),
    el('span', { class: 'l', 'data-i18n': 'totalCameras' })));
  for (const s of cameraStates()) {
    box.append(el('button', { type: 'button', class: 'count', 'data-testid': 'summary-' + s.code, 'aria-pressed': 'false', 'data-state': s.code,
      onclick: () => emit('filter-state', filterState === s.code ? '' : s.code) },
      el('span', { class: 'n', id: 'count-' + s.code, 'data-testid': 'count-' + s.code, text: '–' }),
      el('span', { class: 'l', 'data-state-name': s.code })));
  }
  box.append(el('div', { class: 'count issues', 'data-testid': 'summary-openIssues' },
    el('span', { class: 'n', id: 'count-openIssues', 'data-testid': 'count-openIssues', text: '–' }),
    el('span', { class: 'l', 'data-i18n': 'openIssues' })));
}

function setCount(id, n) {
  const node = $(id);
  if (!node) return;
  const v = Number(n) || 0;
  node.textContent = fmtNum(v);
  node.parentElement.dataset.nonzero = v > 0 ? 'true' : 'false';
}

/** Redraws the counters from the last summary. */
export function renderSummary() {
  const summary = shared.summary;
  setCount('count-total', summary.cameras);
  const by = summary.byState || {};
  for (const s of cameraStates()) {
    setCount('count-' + s.code, by[s.code]);
    const b = document.querySelector('[data-testid="summary-' + s.code + '"]');
    if (b) {
      b.setAttribute('aria-pressed', filterState === s.code ? 'true' : 'false');
      b.title = t('filterByState', { state: stateName(s.code) });
    }
  }
  setCount('count-openIssues', summary.openIssues);
  for (const n of $('summary').querySelectorAll('[data-i18n]')) n.textContent = t(n.dataset.i18n);
  for (const n of $('summary').querySelectorAll('[data-state-name]')) n.textContent = stateName(n.dataset.stateName);
  // While monitoring is stalled nobody can vouch for "OK".
  const okLabel = document.querySelector('[data-testid="summary-OK"] .l');
  if (okLabel && monitoringStalled()) okLabel.textContent = t('mon.okStale');
}

/** Asks for the summary soon: coalesces bursts, never more than once per 2 s. */
export function scheduleSummary() {
  if (timer) return;
  const wait = Math.max(250, MIN_INTERVAL - (Date.now() - last));
  timer = setTimeout(() => { timer = null; loadSummary(); }, wait);
}

/** Loads the summary now. */
export async function loadSummary() {
  last = Date.now();
  const mine = ++seq;
  try {
    const data = await api('/api/summary');
    if (mine !== seq) return;
    shared.summary = Object.assign({ cameras: 0, byState: {}, openIssues: 0, services: {} }, data || {});
    for (const k of Object.keys(shared.summary.services || {})) shared.services[k] = shared.summary.services[k];
    renderSummary();
    emit('services');
    emit('monitoring', shared.summary.monitoring);
    emit('summary');
    errShown = false;
  } catch (e) {
    if (mine !== seq) return;
    if (!errShown) { toast(t('errSummary', { msg: errorText(e) }), 'error'); errShown = true; }
  }
}

export function initSummary() {
  build();
  on('lang', renderSummary);
  on('monitoring-changed', renderSummary);
  // A stall produces no events: look at the summary (with its monitoring verdict) regularly too.
  setInterval(scheduleSummary, 15000);
  on('state-filter-changed', (s) => { filterState = s; renderSummary(); });
  renderSummary();
}
