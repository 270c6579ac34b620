// Numbers and times. Times are shown in the browser's own time zone, always with the zone named.
import { el, str } from './dom.js';
import { lang, t } from './i18n.js';

/** The browser's time zone, e.g. `Asia/Seoul`. */
export const timeZone = (() => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch (e) { return 'UTC'; } })();

/** A number with the language's grouping. */
export function fmtNum(n) {
  try { return new Intl.NumberFormat(lang === 'ko' ? 'ko-KR' : 'en-US').format(n); } catch (e) { return String(n); }
}

/** Milliseconds since the epoch of an ISO time, or NaN. */
export function parseTime(iso) {
  if (!iso) return NaN;
  const ms = Date.parse(iso);
  return isNaN(ms) ? NaN : ms;
}

/** An absolute time in the browser's zone with the zone's short name, e.g. `2026. 11. 24. 21:15:11 GMT+9`. */
export function fmtAbs(iso) {
  const ms = typeof iso === 'number' ? iso : parseTime(iso);
  if (isNaN(ms)) return str(iso);
  try {
    return new Date(ms).toLocaleString(lang === 'ko' ? 'ko-KR' : 'en-GB', { hour12: false, timeZoneName: 'short' });
  } catch (e) { return new Date(ms).toISOString(); }
}

/** The zone's name and offset for the header, e.g. `Asia/Seoul (GMT+9)`. */
export function zoneLabel() {
  let offset = '';
  try {
    const parts = new Intl.DateTimeFormat('en-US', { timeZoneName: 'shortOffset' }).formatToParts(new Date());
    offset = (parts.find((p) => p.type === 'timeZoneName') || {}).value || '';
  } catch (e) { offset = ''; }
  return timeZone + (offset ? ' (' + offset + ')' : '');
}

/** How long ago `ms` was, in words. */
export function fmtRel(ms) {
  if (isNaN(ms)) return '—';
  const d = Math.max(0, Math.floor((Date.now() - ms) / 1000));
  if (d < 5) return t('rel.now');
  if (d < 60) return t('rel.s', { n: d });
  if (d < 3600) return t('rel.m', { n: Math.floor(d / 60) });
  if (d < 86400) return t('rel.h', { n: Math.floor(d / 3600) });
  return t('rel.d', { n: Math.floor(d / 86400) });
}

/** A `<time>` that keeps its relative text fresh (see `tickTimes`); the absolute time with zone on hover. */
export function relTime(iso, prefixKey) {
  const ms = parseTime(iso);
  const node = el('time', { class: 'rel', datetime: iso ? str(iso) : null, title: iso ? fmtAbs(iso) : null });
  node.dataset.ts = isNaN(ms) ? '' : String(ms);
  if (prefixKey) node.dataset.prefix = prefixKey;
  node.textContent = relText(node);
  return node;
}
function relText(node) {
  const ms = node.dataset.ts === '' ? NaN : Number(node.dataset.ts);
  const rel = fmtRel(ms);
  return node.dataset.prefix ? t(node.dataset.prefix, { time: rel }) : rel;
}
/** Refreshes every relative time on the page. */
export function tickTimes() {
  for (const node of document.querySelectorAll('time.rel')) {
    const s = relText(node);
    if (node.textContent !== s) node.textContent = s;
    if (node.dataset.ts) node.title = fmtAbs(Number(node.dataset.ts));
  }
}
