// The alert history: who was told what, through which channel, delivered or not.
import { el, $, str, on } from './dom.js';
import { t } from './i18n.js';
import { api, errorText, errorDetail } from './api.js';
import { relTime } from './format.js';
import { showErr, hideErr } from './messages.js';

const MAX_NOTES = 50;
let notes = [];
const fresh = new Set();

const EVENT_KEYS = {
  opened: 'ev.opened', updated: 'ev.updated', resolved: 'ev.resolved', escalated: 'ev.escalated', reminder: 'ev.reminder',
  // Camera notices (one-off, not incidents).
  clock_skewed: 'ev.clock_skewed', clock_fixed: 'ev.clock_fixed', device_replaced: 'ev.device_replaced', firmware_changed: 'ev.firmware_changed',
};
function eventName(ev) { return EVENT_KEYS[ev] ? t(EVENT_KEYS[ev]) : ev; }

let seq = 0;
/** Loads the latest notifications. */
export async function loadNotes() {
  const mine = ++seq;
  try {
    const data = await api('/api/notifications?limit=' + MAX_NOTES);
    if (mine !== seq) return;
    notes = ((data && data.items) || []).filter((n) => n && n.id != null).slice(0, MAX_NOTES);
    hideErr('notesErr');
    renderNotes();
  } catch (e) {
    if (mine !== seq) return;
    showErr('notesErr', t('errNotes', { msg: errorText(e) }), loadNotes, errorDetail(e));
  }
}

function addNote(n) {
  if (!n || n.id == null) return;
  const id = String(n.id);
  const idx = notes.findIndex((x) => String(x.id) === id);
  if (idx >= 0) notes[idx] = n; else { notes.unshift(n); fresh.add(id); }
  if (notes.length > MAX_NOTES) notes.length = MAX_NOTES;
  scheduleRender();
}

/** One notification as a list item. */
export function noteItem(n, inDetail) {
  const ok = n.delivered === true;
  const ev = str(n.event);
  const li = el('li', { class: 'note' + (fresh.has(String(n.id)) && !inDetail ? ' new' : ''), 'data-testid': (inDetail ? 'detail-notification-' : 'notification-') + str(n.id), 'data-delivered': ok ? 'true' : 'false' });
  li.append(el('div', { class: 'l1' },
    el('span', { class: ok ? 'ok' : 'fail', title: ok ? t('delivered') : t('failed') },
      el('span', { 'aria-hidden': 'true', text: ok ? '✔' : '✘' }), el('span', { class: 'sr-only', text: ok ? t('delivered') : t('failed') })),
    el('span', { class: 'ev', text: eventName(ev) }),
    inDetail ? null : el('span', { class: 'mono', text: str(n.cameraID) }),
    el('span', { class: 'time' }, relTime(n.at))));
  const target = (n.channel ? n.channel + ' → ' : '') + str(n.target);
  const parts = [target, t('attempts', { n: Number(n.attempts) || 0 })];
  if (n.httpStatus) parts.push('HTTP ' + n.httpStatus);
  li.append(el('div', { class: 'l2', text: parts.join(' · ') }));
  if (n.error) li.append(el('div', { class: 'l2', text: str(n.error) }));
  return li;
}

function renderNotes() {
  const ul = $('notes');
  const frag = document.createDocumentFragment();
  for (const n of notes) frag.append(noteItem(n, false));
  if (notes.length === 0) frag.append(el('li', { class: 'empty', 'data-testid': 'notifications-empty', text: t('noNotifications') }));
  ul.replaceChildren(frag);
  fresh.clear();
}

let frame = 0;
function scheduleRender() {
  if (frame) return;
  frame = requestAnimationFrame(() => { frame = 0; renderNotes(); });
}

export function initNotes() {
  on('lang', renderNotes);
  on('notification', addNote);
  renderNotes();
}
