// The header: live-connection indicator, the services' availability, the time zone and the language toggle.
import { el, $, on } from './dom.js';
import { t, lang, setLang } from './i18n.js';
import { shared } from './state.js';
import { zoneLabel } from './format.js';

const SERVICES = ['registry', 'prober', 'issues', 'notifier', 'gateway'];

/** Sets the live connection's state (`connecting`, `connected`, `reconnecting`, `unsupported`). */
export function setConn(s) { shared.conn = s; renderConn(); }

function renderConn() {
  const c = $('conn');
  c.dataset.conn = shared.conn;
  $('connText').textContent = t('conn.' + shared.conn);
  renderServices();
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
  renderConn();
  renderLang();
}
