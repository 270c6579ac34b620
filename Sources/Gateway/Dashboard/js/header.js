// The header: live-connection indicator, the services' availability, the time zone and the language toggle.
import { el, $, on, emit } from './dom.js';
import { t, lang, setLang } from './i18n.js';
import { shared } from './state.js';
import { zoneLabel, relTime, fmtAbs } from './format.js';

const SERVICES = ['registry', 'prober', 'issues', 'notifier', 'gateway'];

/** Sets the live connection's state (`connecting`, `connected`, `reconnecting`, `unsupported`). */
export function setConn(s) { shared.conn = s; renderConn(); }

/** Whether the gateway says monitoring has stalled (`/api/summary` .monitoring, pushed live too). */
export function monitoringStalled() { return !!(shared.monitoring && shared.monitoring.state === 'stalled'); }

/** Takes the gateway's monitoring verdict `{state, reasons, servicesOffline, lastResultAt}`. */
export function setMonitoring(m) {
  const was = monitoringStalled();
  shared.monitoring = (m && typeof m === 'object') ? m : null;
  renderConn();
  if (was !== monitoringStalled()) emit('monitoring-changed');
}

function renderConn() {
  const c = $('conn');
  // Connected to the gateway is not the same as monitoring: never say "Live" on stale data.
  const shown = (shared.conn === 'connected' && monitoringStalled()) ? 'stalled' : shared.conn;
  c.dataset.conn = shown;
  $('connText').textContent = t('conn.' + shown);
  renderServices();
  renderMonitoring();
}

function renderMonitoring() {
  const box = $('stallBanner');
  const stalled = monitoringStalled();
  $('summary').dataset.stale = stalled ? 'true' : 'false';
  box.hidden = !stalled;
  if (!stalled) { box.replaceChildren(); return; }
  const m = shared.monitoring;
  const why = (m.reasons || []).map((r) => {
    if (r === 'service_offline') return t('mon.service_offline', { names: (m.servicesOffline || []).join(', ') });
    const k = 'mon.' + r, s = t(k);
    return s === k ? String(r) : s;
  });
  if (m.lastResultAt) why.push(t('mon.lastResult', { when: relTime(m.lastResultAt) + ' (' + fmtAbs(m.lastResultAt) + ')' }));
  box.replaceChildren(el('span', { text: '⚠ ' + t('mon.stalled') }), el('span', { class: 'why', text: why.join(' · ') }));
}

/** Redraws the service pills. */
export function renderServices() {
  const ul = $('services');
  const names = SERVICES.slice();
  for (const n of Object.keys(shared.services)) if (!names.includes(n)) names.push(n);
  ul.replaceChildren();
  for (const name of names) {
    let st = shared.services[name] || 'unknown';
    // While the live stream is down the gateway is not reachable from here.
    if (name === 'gateway' && shared.conn === 'reconnecting') st = 'offline';
    const key = (st === 'online' || st === 'offline') ? st : 'unknown';
    const label = t('svc.' + name);
    ul.append(el('li', { class: 'svc', 'data-svc-state': key, 'data-testid': 'service-' + name },
      el('span', { text: label === 'svc.' + name ? name : label }),
      el('span', { class: 'svc-state', text: t('svcState.' + key) })));
  }
}

function renderLang() {
  for (const s of document.querySelectorAll('#langToggle span[data-l]')) s.classList.toggle('on', s.dataset.l === lang);
  $('langToggle').setAttribute('aria-label', lang === 'ko' ? 'Switch to English' : '한국어로 전환');
  $('langToggle').title = $('langToggle').getAttribute('aria-label');
  $('zone').textContent = t('timeZone', { zone: zoneLabel() });
}

export function initHeader() {
  $('langToggle').addEventListener('click', () => setLang(lang === 'ko' ? 'en' : 'ko'));
  on('lang', () => { renderConn(); renderLang(); });
  on('services', renderServices);
  on('monitoring', setMonitoring);
  renderConn();
  renderLang();
}
