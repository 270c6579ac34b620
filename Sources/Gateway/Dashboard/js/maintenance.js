// The maintenance section of a camera's panel: every window that covers the camera (its own, its
// site's, tag's, line team's or vendor's; chosen by the server), and a quick "maintenance now for N min".
import { el, str, emit, on } from './dom.js';
import { t } from './i18n.js';
import { api, errorText, errorDetail } from './api.js';
import { toast } from './messages.js';
import { scopeName } from './vocabulary.js';
import { scheduleText, statusText } from './planned.js';

let silences = [];
let forCamera = null;
let seq = 0;
let ui = null;

/** Loads the windows that cover camera `id`. */
export async function loadSilences(id) {
  if (id !== undefined) forCamera = id;
  if (!forCamera) return;
  const mine = ++seq;
  try {
    const data = await api('/api/silences?camera=' + encodeURIComponent(forCamera));
    if (mine !== seq) return;
    silences = ((data && data.items) || []).filter((s) => s && s.id != null);
    showMsg('');
  } catch (e) {
    if (mine !== seq) return;
    showMsg(t('errSilence', { msg: errorText(e) }), errorDetail(e));
  }
  emit('detail-render');
}

function showMsg(m, detail) {
  const u = form();
  u.msg.textContent = m || '';
  u.msg.title = detail || '';
  u.msg.hidden = !m;
}

function form() {
  if (ui) return ui;
  const minutes = el('input', { type: 'number', min: '1', step: '1', 'data-testid': 'silence-minutes' });
  minutes.value = '60';
  const reason = el('input', { type: 'text', autocomplete: 'off', 'data-testid': 'silence-reason' });
  const btn = el('button', { type: 'submit', class: 'btn small primary', 'data-testid': 'silence-start' });
  const minLbl = el('span');
  const msg = el('div', { class: 'ierr', role: 'alert', hidden: true, 'data-testid': 'silence-error' });
  const node = el('form', { class: 'silence', novalidate: true, 'data-testid': 'silence-form', 'data-min-role': 'operator' }, minutes, minLbl, reason, btn);
  ui = { node, minutes, reason, btn, minLbl, msg };
  node.addEventListener('submit', (ev) => { ev.preventDefault(); start(); });
  return ui;
}

/** The maintenance section of camera `cameraID`'s panel. */
export function silenceSection(cameraID) {
  const u = form();
  if (forCamera !== cameraID) { forCamera = cameraID; silences = []; }
  u.minLbl.textContent = t('silMinutes');
  u.minutes.setAttribute('aria-label', t('silMinutes'));
  u.reason.placeholder = t('silReason'); u.reason.setAttribute('aria-label', t('silReason'));
  u.btn.textContent = t('silStart');
  const ul = el('ul', { class: 'list', 'data-testid': 'silence-list' });
  for (const s of silences) {
    const sid = str(s.id);
    ul.append(el('li', { 'data-testid': 'silence-' + sid, 'data-in-force': s.inForce ? 'true' : 'false' },
      el('div', { class: 'l1' },
        el('span', { class: s.inForce ? 'tag silenced' : 'tag', text: s.inForce ? t('badgeSilenced') : t('mw.planned') }),
        el('span', { text: scopeName(s.scope) + ': ' + str(s.value) }),
        s.inForce ? el('button', { type: 'button', class: 'btn small danger', 'data-min-role': 'operator', 'data-testid': 'silence-end-' + sid, text: t('silEnd'), onclick: (ev) => end(sid, ev.currentTarget) }) : null),
      el('div', { class: 'l2', text: scheduleText(s) + ' · ' + statusText(s) }),
      el('div', { class: 'l2', text: [s.reason ? str(s.reason) : '', s.createdBy ? t('silBy', { who: s.createdBy }) : ''].filter(Boolean).join(' · ') })));
  }
  if (!silences.length) ul.append(el('li', { class: 'empty', text: t('silNone') }));
  return el('div', null, u.node, u.msg, ul);
}

async function start() {
  const u = form();
  const minutes = Number(u.minutes.value);
  if (!Number.isFinite(minutes) || minutes <= 0) { showMsg(t('errSilence', { msg: t('silMinutes') + ' > 0' })); u.minutes.focus(); return; }
  u.btn.disabled = true;
  try {
    await api('/api/silences', { method: 'POST', body: { scope: 'camera', value: forCamera, minutes: Math.round(minutes), reason: u.reason.value.trim() } });
    showMsg('');
    u.reason.value = '';
    toast(t('silStarted'), 'ok');
    loadSilences();
    emit('silences-changed');
  } catch (e) {
    showMsg(t('errSilence', { msg: errorText(e) }), errorDetail(e));
  } finally {
    u.btn.disabled = false;
  }
}

async function end(id, btn) {
  if (btn) btn.disabled = true;
  try {
    await api('/api/silences/' + encodeURIComponent(id) + '/end', { method: 'POST' });
    loadSilences();
    emit('silences-changed');
  } catch (e) {
    if (btn) btn.disabled = false;
    showMsg(t('errSilence', { msg: errorText(e) }), errorDetail(e));
  }
}

on('silences-loaded', () => { if (forCamera) loadSilences(); });
