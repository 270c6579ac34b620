// A camera's history in its panel: ICMP round-trip time and loss, HLS latency and bitrate over
// 24 h / 7 d / 30 d (Chart.js from Debian's libjs-chart.js, served by the gateway), and the state
// timeline with the availability of the period.
import { el, str } from './dom.js';
import { t, lang } from './i18n.js';
import { api, errorText } from './api.js';
import { stateName } from './vocabulary.js';
import { fmtAbs, fmtNum } from './format.js';

let chartLib = null;
let chartLibFailed = false;
const charts = [];
let range = '24h';
let current = { id: null, data: null, loading: false, error: '' };
let section = null;

async function library() {
  if (chartLib || chartLibFailed) return chartLib;
  try {
    const mod = await import('/vendor/chart.js/chart.mjs');
    mod.Chart.register(...mod.registerables);
    chartLib = mod.Chart;
  } catch (e) {
    chartLibFailed = true;
  }
  return chartLib;
}

/** The history section of camera `id`'s panel (loads on first show, keeps its node across re-renders). */
export function historySection(id) {
  if (current.id !== id) { current = { id, data: null, loading: false, error: '' }; section = null; load(); }
  if (!section) section = build();
  return section;
}

async function load() {
  const id = current.id;
  current.loading = true;
  try {
    const data = await api('/api/cameras/' + encodeURIComponent(id) + '/history?range=' + range);
    if (id !== current.id) return;
    current.data = data;
    current.error = '';
  } catch (e) {
    if (id !== current.id) return;
    current.error = t('errHistory', { msg: errorText(e) });
  }
  current.loading = false;
  if (section) fill(section);
}

function build() {
  const node = el('div', { class: 'history', 'data-testid': 'history' });
  fill(node);
  return node;
}

function fill(node) {
  for (const c of charts.splice(0)) c.destroy();
  const bar = el('div', { class: 'iacts', role: 'group', 'aria-label': t('histRange') });
  for (const r of ['24h', '7d', '30d']) {
    bar.append(el('button', { type: 'button', class: 'btn small' + (r === range ? ' primary' : ''), 'aria-pressed': r === range ? 'true' : 'false',
      'data-testid': 'history-range-' + r, text: t('range.' + r), onclick: () => { range = r; current.data = null; fill(node); load(); } }));
  }
  node.replaceChildren(bar);
  if (current.error) { node.append(el('div', { class: 'ierr', text: current.error })); return; }
  const d = current.data;
  if (!d) { node.append(el('p', { class: 'empty', text: t('loading') })); return; }
  node.append(timeline(d));
  const icmp = el('canvas', { 'aria-label': t('chartICMP'), role: 'img', 'data-testid': 'chart-icmp' });
  const hls = el('canvas', { 'aria-label': t('chartHLS'), role: 'img', 'data-testid': 'chart-hls' });
  node.append(el('h4', { text: t('chartICMP') }), el('div', { class: 'chart' }, icmp), el('h4', { text: t('chartHLS') }), el('div', { class: 'chart' }, hls));
  const note = el('p', { class: 'l2', hidden: true });
  node.append(note);
  library().then((Chart) => {
    if (!Chart) { note.textContent = t('chartsMissing'); note.hidden = false; return; }
    if (!document.contains(icmp)) return;
    const pts = d.points || [];
    const xs = pts.map((p) => Date.parse(p.t));
    const span = Date.parse(d.to) - Date.parse(d.from);
    const base = {
      responsive: true, maintainAspectRatio: false, animation: false, parsing: false, normalized: true,
      interaction: { mode: 'nearest', intersect: false },
      plugins: { legend: { labels: { color: '#c9d6e3' } }, tooltip: { callbacks: { title: (items) => items.length ? fmtAbs(items[0].parsed.x) : '' } } },
      scales: {
        x: { type: 'linear', min: Date.parse(d.from), max: Date.parse(d.to), ticks: { color: '#9badbf', maxTicksLimit: 7, callback: (v) => tick(v, span) }, grid: { color: '#1b2531' } },
        y: { beginAtZero: true, ticks: { color: '#9badbf' }, grid: { color: '#1b2531' } },
        y2: { beginAtZero: true, position: 'right', ticks: { color: '#9badbf' }, grid: { display: false } }
      }
    };
    // A few points (a fresh camera): draw them, a line needs two.
    const dots = pts.length < 30 ? 3 : 0;
    const series = (key, scale) => pts.map((p, i) => ({ x: xs[i], y: p[key] == null ? null : p[key] * (scale || 1) }));
    charts.push(new Chart(icmp, { type: 'line', options: base, data: { datasets: [
      { label: t('rttAvg'), data: series('rttAvgMs'), borderColor: '#4ea1ff', pointRadius: dots, spanGaps: false, yAxisID: 'y' },
      { label: t('rttMax'), data: series('rttMaxMs'), borderColor: '#7f8ea3', borderDash: [4, 3], pointRadius: dots, yAxisID: 'y' },
      { label: t('loss'), data: series('lossPercent'), borderColor: '#f5a30b', pointRadius: dots, yAxisID: 'y2' }
    ] } }));
    charts.push(new Chart(hls, { type: 'line', options: base, data: { datasets: [
      { label: t('latency'), data: series('latencyMs'), borderColor: '#e04ef0', pointRadius: dots, yAxisID: 'y' },
      { label: t('bitrate'), data: series('bitrateKbps'), borderColor: '#22c55e', pointRadius: dots, yAxisID: 'y2' }
    ] } }));
  });
}

function tick(v, span) {
  const d = new Date(v);
  const opts = span > 2 * 86400000 ? { month: 'numeric', day: 'numeric' } : { hour: '2-digit', minute: '2-digit', hour12: false };
  return d.toLocaleString(lang === 'ko' ? 'ko-KR' : 'en-GB', opts);
}

/** The state timeline: one coloured stretch per state change, and the period's availability. */
function timeline(d) {
  const from = Date.parse(d.from), to = Date.parse(d.to);
  const bar = el('div', { class: 'timeline', 'data-testid': 'state-timeline', role: 'img', 'aria-label': t('stateTimeline') });
  const states = (d.states || []).map((s) => ({ at: Math.max(from, Date.parse(s.at)), state: s.state }));
  if (!states.length || states[0].at > from) states.unshift({ at: from, state: 'UNKNOWN' });
  for (let i = 0; i < states.length; i++) {
    const end = i + 1 < states.length ? states[i + 1].at : to;
    if (end <= states[i].at) continue;
    bar.append(el('span', { class: 'seg', 'data-state': states[i].state, style: { 'flex-grow': String(end - states[i].at) },
      title: stateName(states[i].state) + ' · ' + fmtAbs(states[i].at) + ' – ' + fmtAbs(end) }));
  }
  const du = d.durations || {};
  const monitored = (du.ok || 0) + (du.degraded || 0) + (du.lineDown || 0) + (du.cameraDown || 0);
  const availability = monitored > 0 ? (monitored - (du.lineDown || 0) - (du.cameraDown || 0)) / monitored * 100 : null;
  const text = availability == null ? t('noHistory') : t('availabilityOf', { pct: availability.toFixed(3), down: fmtDuration((du.lineDown || 0) + (du.cameraDown || 0)) });
  return el('div', null, el('h4', { text: t('stateTimeline') }), bar, el('p', { class: 'l2', 'data-testid': 'availability', text }));
}

/** Seconds as `3 h 12 min`. */
export function fmtDuration(seconds) {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
  return h ? t('dur.hm', { h: fmtNum(h), m }) : t('dur.m', { m: Math.max(m, s > 0 ? 1 : 0) });
}

/** Forgets the section (the panel closed or shows another camera). */
export function resetHistory() { for (const c of charts.splice(0)) c.destroy(); current = { id: null, data: null, loading: false, error: '' }; section = null; }
