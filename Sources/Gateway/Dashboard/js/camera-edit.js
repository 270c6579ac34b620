// Changing a camera from its panel: edit its fields (only what changed is sent, with the version
// seen, so a concurrent change is refused rather than overwritten), enable or disable its checks,
// delete it after a confirmation.
import { el, str, emit } from './dom.js';
import { t } from './i18n.js';
import { api, errorText, errorDetail } from './api.js';
import { toast } from './messages.js';
import { scheduleSummary } from './summary.js';

const FIELDS = [
  { name: 'name', type: 'text' }, { name: 'address', type: 'text', required: true }, { name: 'hlsURL', type: 'url' },
  { name: 'site', type: 'text', list: 'siteList' }, { name: 'location', type: 'text' }, { name: 'group', type: 'text' },
  { name: 'tags', type: 'text' }, { name: 'lineTeam', type: 'text', list: 'teamList' }, { name: 'vendor', type: 'text', list: 'vendorList' },
  { name: 'intervalSeconds', type: 'number' }
];
let editingID = null;
let form = null;

function value(cam, name) {
  if (name === 'tags') return Array.isArray(cam.tags) ? cam.tags.join(', ') : '';
  return cam[name] == null ? '' : String(cam[name]);
}

/** The buttons (edit, enable/disable, delete) and, while editing, the form, for camera `cam`. */
export function editSection(cam) {
  const id = str(cam.id);
  const box = el('div', { class: 'cam-edit', 'data-min-role': 'admin', 'data-testid': 'camera-edit' });
  const enabled = cam.enabled !== false;
  box.append(el('div', { class: 'iacts' },
    el('button', { type: 'button', class: 'btn small', 'data-testid': 'camera-edit-open', text: t('edit'), onclick: () => { editingID = id; form = null; emit('detail-render'); } }),
    el('button', { type: 'button', class: 'btn small', 'data-testid': enabled ? 'camera-disable' : 'camera-enable', text: t(enabled ? 'disable' : 'enable'),
      onclick: (ev) => setEnabled(cam, !enabled, ev.currentTarget) }),
    el('button', { type: 'button', class: 'btn small danger', 'data-testid': 'detail-delete', text: t('deleteLabel', { id }), onclick: () => remove(cam) })));
  if (editingID === id) box.append(form || (form = buildForm(cam)));
  return box;
}

function buildForm(cam) {
  const inputs = {};
  const errors = {};
  const f = el('form', { class: 'reg-form edit', novalidate: true, 'data-testid': 'camera-edit-form' });
  for (const d of FIELDS) {
    const input = el('input', { id: 'edit-' + d.name, type: d.type, autocomplete: 'off', list: d.list || null, 'data-testid': 'edit-' + d.name });
    input.value = value(cam, d.name);
    const err = el('div', { class: 'fld-err', role: 'alert', hidden: true, 'data-testid': 'edit-error-' + d.name });
    inputs[d.name] = input;
    errors[d.name] = err;
    f.append(el('div', { class: 'fld' }, el('label', { for: 'edit-' + d.name, text: t('field.' + d.name) }), input, err));
  }
  const msg = el('span', { class: 'reg-msg', role: 'status' });
  const save = el('button', { type: 'submit', class: 'btn primary', 'data-testid': 'edit-save', text: t('save') });
  f.append(el('div', { class: 'reg-actions' }, save,
    el('button', { type: 'button', class: 'btn', text: t('actCancel'), onclick: () => { editingID = null; form = null; emit('detail-render'); } }), msg));
  f.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    for (const e of Object.values(errors)) { e.hidden = true; e.textContent = ''; }
    const patch = {};
    for (const d of FIELDS) {
      const now = inputs[d.name].value.trim();
      if (now === value(cam, d.name)) continue;
      if (d.name === 'tags') patch.tags = now ? now.split(/[,;]/).map((s) => s.trim()).filter(Boolean) : null;
      else if (d.name === 'intervalSeconds') patch.intervalSeconds = now ? Number(now) : null;
      else patch[d.name] = now === '' && !d.required ? null : now;
    }
    if (!Object.keys(patch).length) { editingID = null; form = null; emit('detail-render'); return; }
    save.disabled = true;
    try {
      await api('/api/cameras/' + encodeURIComponent(cam.id), { method: 'PATCH', body: patch, headers: { 'If-Match': '"' + cam.version + '"' } });
      toast(t('savedCamera', { id: cam.id }), 'ok');
      editingID = null; form = null;
      emit('detail-reload');
      emit('camera-changed');
    } catch (e) {
      const field = e && e.error && e.error.field ? String(e.error.field).replace(/^camera\./, '') : '';
      const target = errors[field];
      if (target) { target.textContent = errorText(e); target.title = errorDetail(e); target.hidden = false; inputs[field].focus(); }
      msg.textContent = t('errSave', { msg: errorText(e) });
      msg.title = errorDetail(e);
      msg.className = 'reg-msg error';
    } finally {
      save.disabled = false;
    }
  });
  return f;
}

async function setEnabled(cam, enable, btn) {
  btn.disabled = true;
  try {
    await api('/api/cameras/' + encodeURIComponent(cam.id) + '/' + (enable ? 'enable' : 'disable'), { method: 'POST' });
    toast(t(enable ? 'enabledCamera' : 'disabledCamera', { id: cam.id }), 'ok');
    emit('detail-reload');
    emit('camera-changed');
  } catch (e) {
    btn.disabled = false;
    toast(t('errSave', { msg: errorText(e) }), 'error', 0, errorDetail(e));
  }
}

async function remove(cam) {
  const id = str(cam.id);
  if (!window.confirm(t('confirmDelete', { id, name: str(cam.name) || '—' }))) return;
  try {
    await api('/api/cameras/' + encodeURIComponent(id), { method: 'DELETE' });
    toast(t('deleted', { id }), 'ok');
    emit('deleted', id);
    scheduleSummary();
  } catch (e) {
    toast(t('errDelete', { id, msg: errorText(e) }), 'error', 0, errorDetail(e));
  }
}
