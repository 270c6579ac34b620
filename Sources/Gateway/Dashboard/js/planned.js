// Planned work: maintenance windows for a camera, site, tag, line team or vendor — now, at a later
// time, or every week (e.g. every Sunday 02:00–04:00); listed with whether each is in force and
// its next occurrence (computed by the server), editable, ended early, deleted.
import { el, $, str, on, emit } from './dom.js';
import { t, lang } from './i18n.js';
import { api, errorText, errorDetail, fieldName } from './api.js';
import { shared } from './state.js';
import { scopes, scopeName } from './vocabulary.js';
import { fmtAbs, fmtNum, timeZone } from './format.js';
import { showErr, hideErr, toast } from './messages.js';

export let silences = [];
let editing = null; // id of the window being edited
const DAY_KEYS = [1, 2, 3, 4, 5, 6, 7]; // ISO: 1 = Monday … 7 = Sunday

let seq = 0;
/** Loads every maintenance window and tells the views. */
export async function loadSilences() {
  const mine = ++seq;
  try {
    const data = await api('/api/silences');
    if (mine !== seq) return;
    silences = ((data && data.items) || []).filter((s) => s && s.id != null);
    hideErr('mwErr');
    render();
    emit('silences-loaded', silences);
  } catch (e) {
    if (mine !== seq) return;
    showErr('mwErr', t('errSilence', { msg: errorText(e) }), loadSilences, errorDetail(e));
  }
}

function dayName(d) {
  // 2024-01-01 was a Monday.
  return new Date(Date.UTC(2024, 0, d)).toLocaleDateString(lang === 'ko' ? 'ko-KR' : 'en-GB', { weekday: 'short', timeZone: 'UTC' });
}

/** A window's schedule in words. */
export function scheduleText(s) {
  const r = s.recurrence;
  if (!r) return (s.startsAt ? fmtAbs(s.startsAt) : t('mw.fromCreation')) + ' → ' + fmtAbs(s.until);
  const days = r.days.slice().sort().map(dayName).join(' ');
  const [h, m] = r.start.split(':').map(Number);
  const endMin = (h * 60 + m + r.minutes) % 1440;
  const end = String(Math.floor(endMin / 60)).padStart(2, '0') + ':' + String(endMin % 60).padStart(2, '0');
  return t('mw.every', { days, start: r.start, end, zone: r.timeZone }) + (r.minutes >= 1440 ? ' (' + t('mw.minutesN', { n: fmtNum(r.minutes) }) + ')' : '');
}

/** Whether it is in force now, else its next occurrence, in words. */
export function statusText(s) {
  if (s.inForce) return t('mw.inForceUntil', { time: fmtAbs(s.nextEnd) });
  if (s.nextStart) return t('mw.nextAt', { start: fmtAbs(s.nextStart), end: fmtAbs(s.nextEnd) });
  return t('mw.noneAhead');
}

function render() {
  const tbody = $('mwRows');
  const frag = document.createDocumentFragment();
  const list = silences.slice().sort((a, b) => (b.inForce - a.inForce) || String(a.nextStart || '').localeCompare(String(b.nextStart || '')));
  for (const s of list) {
    const id = str(s.id);
    const tr = el('tr', { 'data-testid': 'mw-' + id, 'data-in-force': s.inForce ? 'true' : 'false' },
      el('td', { text: scopeName(s.scope) }),
      el('td', { class: 'mono', text: str(s.value) }),
      el('td', { 'data-col': 'schedule', text: scheduleText(s) }),
      el('td', { 'data-col': 'status' }, el('span', { class: s.inForce ? 'tag silenced' : 'muted', text: statusText(s) })),
      el('td', { text: [str(s.reason), s.createdBy ? t('silBy', { who: s.createdBy }) : ''].filter(Boolean).join(' · ') }),
      el('td', { class: 'acts' },
        el('button', { type: 'button', class: 'btn small', 'data-min-role': 'operator', 'data-testid': 'mw-edit-' + id, text: t('mw.edit'), onclick: () => startEdit(s) }),
        s.inForce ? el('button', { type: 'button', class: 'btn small', 'data-min-role': 'operator', 'data-testid': 'mw-end-' + id, text: t('silEnd'), onclick: (ev) => endNow(s, ev.currentTarget) }) : null,
        el('button', { type: 'button', class: 'btn small danger', 'data-min-role': 'operator', 'data-testid': 'mw-delete-' + id, text: t('del'), onclick: (ev) => remove(s, ev.currentTarget) })));
    frag.append(tr);
  }
  tbody.replaceChildren(frag);
  $('mwEmpty').hidden = silences.length > 0;
  $('mwEmpty').textContent = t('silNone');
  $('plannedCount').textContent = fmtNum(silences.filter((s) => s.inForce).length);
}

// ---------------------------------------------------------------- the form
function kind() { const c = document.querySelector('input[name="mwKind"]:checked'); return c ? c.value : 'now'; }
function showKind() { for (const p of document.querySelectorAll('.mw-part')) p.hidden = p.dataset.part !== kind(); }
function setKind(k) { for (const r of document.querySelectorAll('input[name="mwKind"]')) r.checked = r.value === k; showKind(); }

function renderForm() {
  const sel = $('mwScope');
  const value = sel.value || 'camera';
  sel.replaceChildren();
  for (const s of scopes()) sel.append(el('option', { value: s, text: scopeName(s) }));
  sel.value = value;
  const days = $('mwDays');
  const checked = new Set(Array.from(days.querySelectorAll('input:checked')).map((i) => Number(i.value)));
  days.replaceChildren();
  for (const d of DAY_KEYS) {
    const box = el('input', { type: 'checkbox', value: String(d), 'data-testid': 'mw-day-' + d });
    box.checked = checked.has(d);
    days.append(el('label', { class: 'toggle' }, box, el('span', { text: dayName(d) })));
  }
  if (!$('mwZone').value) $('mwZone').value = timeZone;
  $('mwTitle').textContent = t(editing ? 'mw.editing' : 'mw.new');
  $('mwSave').textContent = t(editing ? 'mw.update' : 'mw.save');
  $('mwCancel').hidden = !editing;
  suggest();
}

function suggest() {
  const list = $('mwValues');
  list.replaceChildren();
  const scope = $('mwScope').value;
  const values = scope === 'site' ? shared.sites : scope === 'lineTeam' ? (shared.teams || []).filter((x) => x.role === 'line-team').map((x) => x.id)
    : scope === 'vendor' ? (shared.teams || []).filter((x) => x.role === 'vendor').map((x) => x.id) : [];
  for (const v of values) list.append(el('option', { value: v }));
}

/** `datetime-local` value (the browser's zone) of an ISO time. */
function localInput(iso) {
  const d = new Date(iso);
  if (isNaN(d)) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + 'T' + pad(d.getHours()) + ':' + pad(d.getMinutes());
}

function startEdit(s) {
  editing = String(s.id);
  $('mwScope').value = s.scope;
  $('mwValue').value = s.value;
  $('mwReason').value = s.reason || '';
  if (s.recurrence) {
    setKind('weekly');
    for (const box of $('mwDays').querySelectorAll('input')) box.checked = s.recurrence.days.includes(Number(box.value));
    $('mwTime').value = s.recurrence.start;
    $('mwDuration').value = String(s.recurrence.minutes);
    $('mwZone').value = s.recurrence.timeZone;
    $('mwSeriesEnd').value = localInput(s.until).slice(0, 10);
  } else {
    setKind('once');
    $('mwStart').value = s.startsAt ? localInput(s.startsAt) : localInput(new Date().toISOString());
    $('mwEnd').value = localInput(s.until);
  }
  renderForm();
  $('mwValue').focus();
}

function resetForm() {
  editing = null;
  $('mwForm').reset();
  $('mwZone').value = timeZone;
  setKind('now');
  renderForm();
}

function body() {
  const b = { scope: $('mwScope').value, value: $('mwValue').value.trim(), reason: $('mwReason').value.trim() };
  const k = kind();
  if (k === 'now') b.minutes = Math.round(Number($('mwMinutes').value));
  if (k === 'once') {
    const start = new Date($('mwStart').value), end = new Date($('mwEnd').value);
    if (!isNaN(start)) b.startsAt = start.toISOString();
    if (!isNaN(end)) b.until = end.toISOString();
  }
  if (k === 'weekly') {
    b.recurrence = {
      days: Array.from($('mwDays').querySelectorAll('input:checked')).map((i) => Number(i.value)),
      start: $('mwTime').value, minutes: Math.round(Number($('mwDuration').value)), timeZone: $('mwZone').value.trim()
    };
    const end = $('mwSeriesEnd').value;
    if (end) b.until = new Date(end + 'T23:59:59').toISOString();
  }
  return b;
}

function setMsg(text, kind_, detail) {
  const m = $('mwMsg');
  m.textContent = text || '';
  m.title = detail || '';
  m.className = 'reg-msg ' + (kind_ || '');
}

async function save(ev) {
  ev.preventDefault();
  const b = body();
  if (!b.value) { setMsg(t('mw.needValue'), 'error'); $('mwValue').focus(); return; }
  if (b.recurrence && !b.recurrence.days.length) { setMsg(t('mw.needDays'), 'error'); return; }
  $('mwSave').disabled = true;
  try {
    if (editing) await api('/api/silences/' + encodeURIComponent(editing), { method: 'PUT', body: b });
    else await api('/api/silences', { method: 'POST', body: b });
    toast(t(editing ? 'mw.updated' : 'mw.saved'), 'ok');
    resetForm();
    setMsg(t('mw.savedShort'), 'ok');
    loadSilences();
  } catch (e) {
    const field = e && e.error && e.error.field ? fieldName(e.error.field) : '';
    setMsg(t('errSilence', { msg: errorText(e) + (field && lang === 'en' ? ' (' + field + ')' : '') }), 'error', errorDetail(e));
  } finally {
    $('mwSave').disabled = false;
  }
}

async function endNow(s, btn) {
  btn.disabled = true;
  try {
    await api('/api/silences/' + encodeURIComponent(s.id) + '/end', { method: 'POST' });
    toast(t('mw.ended'), 'ok');
    loadSilences();
  } catch (e) {
    btn.disabled = false;
    toast(t('errSilence', { msg: errorText(e) }), 'error', 0, errorDetail(e));
  }
}

async function remove(s, btn) {
  if (!window.confirm(t('mw.confirmDelete', { scope: scopeName(s.scope), value: s.value }))) return;
  btn.disabled = true;
  try {
    await api('/api/silences/' + encodeURIComponent(s.id), { method: 'DELETE' });
    toast(t('mw.deleted'), 'ok');
    loadSilences();
  } catch (e) {
    btn.disabled = false;
    toast(t('errSilence', { msg: errorText(e) }), 'error', 0, errorDetail(e));
  }
}

export function initPlanned() {
  renderForm();
  setKind('now');
  for (const r of document.querySelectorAll('input[name="mwKind"]')) r.addEventListener('change', showKind);
  $('mwScope').addEventListener('change', suggest);
  $('mwForm').addEventListener('submit', save);
  $('mwCancel').addEventListener('click', resetForm);
  on('lang', () => { renderForm(); render(); });
  on('sites', suggest);
  on('teams', suggest);
  on('silences-changed', loadSilences);
  on('view-shown', (v) => { if (v === 'planned') loadSilences(); });
  on('resync', loadSilences);
  // A window starts or ends on its schedule: refresh the "in force" column now and then.
  setInterval(() => { if (document.body.dataset.view === 'planned') loadSilences(); }, 30000);
}
