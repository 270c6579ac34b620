// The "register camera" form: client-side checks for the obvious, the server's refusal shown on
// the field it names (with a link to the existing camera for a duplicate).
import { el, $, on, emit } from './dom.js';
import { t } from './i18n.js';
import { api, errorText, errorDetail } from './api.js';
import { addSite } from './state.js';
import { toast } from './messages.js';

const FIELDS = [
  { name: 'address', type: 'text', required: true, placeholder: '10.0.0.1' },
  { name: 'id', type: 'text', placeholder: 'CAM-00001' },
  { name: 'name', type: 'text' },
  { name: 'hlsURL', type: 'url', placeholder: 'http://…/index.m3u8' },
  { name: 'site', type: 'text', list: 'siteList' },
  { name: 'lineTeam', type: 'text' },
  { name: 'vendor', type: 'text' },
  { name: 'intervalSeconds', type: 'number', min: '1', step: '1', placeholder: '60' }
];

function buildFields(keepValues) {
  const form = $('regForm');
  const values = {};
  const errors = {};
  if (keepValues) {
    for (const f of FIELDS) {
      const inp = $('reg-' + f.name);
      if (inp) values[f.name] = inp.value;
      const er = $('reg-err-' + f.name);
      if (er && !er.hidden) errors[f.name] = er.dataset.raw || '';
    }
  }
  for (const n of form.querySelectorAll('.fld')) n.remove();
  const actions = form.querySelector('.reg-actions');
  for (const f of FIELDS) {
    const inputId = 'reg-' + f.name;
    const errId = 'reg-err-' + f.name;
    const label = el('label', { for: inputId, text: t('field.' + f.name) });
    if (f.required) label.append(el('span', { class: 'req', 'aria-hidden': 'true', text: '*' }), el('span', { class: 'sr-only', text: ' (' + t('required') + ')' }));
    const input = el('input', {
      id: inputId, name: f.name, type: f.type, autocomplete: 'off', 'data-testid': 'field-' + f.name,
      placeholder: f.placeholder || null, list: f.list || null, min: f.min || null, step: f.step || null,
      required: f.required || null, 'aria-required': f.required ? 'true' : null, 'aria-describedby': errId,
      inputmode: f.type === 'number' ? 'numeric' : null
    });
    if (values[f.name] !== undefined) input.value = values[f.name];
    input.addEventListener('input', () => clearFieldError(f.name));
    const err = el('div', { id: errId, class: 'fld-err', role: 'alert', 'data-testid': 'error-' + f.name, hidden: true });
    const wrap = el('div', { class: 'fld' }, label, input, err);
    if (f.list) wrap.append(el('datalist', { id: f.list }));
    form.insertBefore(wrap, actions);
    if (errors[f.name] !== undefined) setFieldError(f.name, errors[f.name]);
  }
  emit('sites');
}
function setFieldError(name, message, existingID, detail) {
  const input = $('reg-' + name);
  const err = $('reg-err-' + name);
  if (!input || !err) return false;
  input.setAttribute('aria-invalid', 'true');
  err.dataset.raw = message;
  err.replaceChildren(el('span', { text: message, title: detail || null }));
  if (existingID) {
    err.append(el('button', { type: 'button', class: 'btn small', 'data-testid': 'existing-camera', text: t('existing', { id: existingID }),
      onclick: () => emit('open-camera', String(existingID)) }));
  }
  err.hidden = false;
  return true;
}
function clearFieldError(name) {
  const input = $('reg-' + name);
  const err = $('reg-err-' + name);
  if (input) input.removeAttribute('aria-invalid');
  if (err) { err.hidden = true; err.replaceChildren(); delete err.dataset.raw; }
}
function setMsg(text, kind) {
  const m = $('regMsg');
  m.textContent = text || '';
  m.className = 'reg-msg ' + (kind || '');
}

async function onRegister(ev) {
  ev.preventDefault();
  for (const f of FIELDS) clearFieldError(f.name);
  setMsg('');
  const body = {};
  let firstBad = null;
  for (const f of FIELDS) {
    const v = $('reg-' + f.name).value.trim();
    if (v === '') {
      if (f.required) { setFieldError(f.name, t('requiredMsg')); firstBad = firstBad || f.name; }
      continue;
    }
    if (f.name === 'intervalSeconds') {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1) { setFieldError(f.name, t('intervalInvalid')); firstBad = firstBad || f.name; continue; }
      body[f.name] = n;
    } else {
      body[f.name] = v;
    }
  }
  if (firstBad) { $('reg-' + firstBad).focus(); return; }
  const btn = $('regSubmit');
  btn.disabled = true;
  btn.textContent = t('submitting');
  try {
    const cam = await api('/api/cameras', { method: 'POST', body });
    const id = cam && cam.id != null ? String(cam.id) : String(body.id || body.address);
    $('regForm').reset(); // clears messages too, so set the success message after it
    setMsg(t('registered', { id }), 'ok');
    toast(t('registered', { id }), 'ok');
    if (cam && cam.site) addSite(String(cam.site));
    emit('camera-changed');
  } catch (e) {
    const err = e && e.error;
    const field = err && err.field ? String(err.field).replace(/^camera\./, '') : '';
    const text = errorText(e);
    if (field && setFieldError(field, text, err.existingID, errorDetail(e))) {
      $('reg-' + field).focus();
      setMsg(t('errRegister', { msg: text }), 'error');
    } else {
      setMsg(t('errRegister', { msg: text }), 'error');
    }
  } finally {
    btn.disabled = false;
    btn.textContent = t('submit');
  }
}

export function initRegister() {
  buildFields(false);
  $('regForm').addEventListener('submit', onRegister);
  $('regForm').addEventListener('reset', () => { for (const f of FIELDS) clearFieldError(f.name); setMsg(''); });
  on('lang', () => buildFields(true));
}
