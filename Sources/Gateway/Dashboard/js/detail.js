// The side panel: one camera (status, maintenance, definition, incidents, notifications, delete
// with confirmation) or one incident (with the cameras it groups).
import { el, $, str, on, emit, keepFocus } from './dom.js';
import { t } from './i18n.js';
import { api, errorText, errorDetail } from './api.js';
import { fmtAbs, fmtNum, parseTime, relTime } from './format.js';
import { showErr, hideErr } from './messages.js';
import { stateBadge, probeCell, reasonCell, selectRow } from './cameras.js';
import { issueItem } from './incidents.js';
import { noteItem } from './notes.js';
import { silenceSection, loadSilences } from './maintenance.js';
import { editSection } from './camera-edit.js';
import { historySection, resetHistory } from './history.js';
import { hasDevice, deviceSection, announceDeviceChange } from './device.js';

/** What the panel shows: a camera (`kind: 'camera'`) or an incident (`kind: 'incident'`). */
export const detail = { kind: null, id: null, data: null, gone: false, returnFocus: null, highlight: null };
let seq = 0;

/** Opens camera `id` in the panel; `incidentID` points at one of its incidents. */
export function openCamera(id, incidentID) { open('camera', String(id), incidentID); }
/** Opens incident `id` in the panel. */
export function openIncident(id) { open('incident', String(id)); }

function open(kind, id, highlight) {
  if (!$('drawer').hidden && detail.kind === kind && detail.id === id) { $('drawerClose').focus(); return; }
  Object.assign(detail, { kind, id, data: null, gone: false, highlight: highlight || null, scrolled: false, returnFocus: detail.returnFocus || document.activeElement });
  $('drawer').hidden = false;
  selectRow(kind === 'camera' ? id : null);
  render();
  $('drawerClose').focus();
  load();
  if (kind === 'camera') loadSilences(id);
  emit('detail-opened', { kind, id, highlight: detail.highlight });
}

/** Closes the panel and returns focus where it was. */
export function closeDetail() {
  if ($('drawer').hidden) return;
  $('drawer').hidden = true;
  const back = detail.returnFocus;
  Object.assign(detail, { kind: null, id: null, data: null, gone: false, returnFocus: null, highlight: null });
  seq++;
  selectRow(null);
  resetHistory();
  if (back && document.contains(back) && typeof back.focus === 'function') back.focus();
  emit('detail-closed');
}

async function load() {
  const { kind, id } = detail;
  if (!id) return;
  const mine = ++seq;
  try {
    if (kind === 'camera') {
      const d = await api('/api/cameras/' + encodeURIComponent(id));
      if (mine !== seq) return;
      detail.data = {
        camera: (d && d.camera) || { id },
        status: (d && d.status) || null,
        issues: (d && Array.isArray(d.issues)) ? d.issues : [],
        notifications: (d && Array.isArray(d.notifications)) ? d.notifications : [],
        onvif: (d && d.onvif) || null
      };
    } else {
      const issue = await api('/api/issues/' + encodeURIComponent(id));
      const children = await api('/api/issues?state=all&parent=' + encodeURIComponent(id) + '&limit=2000');
      if (mine !== seq) return;
      detail.data = { issue, children: (children && children.items) || [] };
    }
    detail.gone = false;
    hideErr('drawerErr');
    render();
  } catch (e) {
    if (mine !== seq) return;
    if (e && e.status === 404) { detail.gone = true; hideErr('drawerErr'); render(); }
    else showErr('drawerErr', t(kind === 'camera' ? 'errDetail' : 'errIncident', { msg: errorText(e) }), load, errorDetail(e));
  }
}

function kv(dl, key, value) {
  if (value === null || value === undefined || value === '') return;
  dl.append(el('dt', { text: t(key) }), value instanceof Node ? el('dd', null, value) : el('dd', { text: String(value) }));
}

/** Redraws the panel. */
export function render() { keepFocus(render0); }
function render0() {
  if (!detail.id) return;
  const body = $('drawerBody');
  body.replaceChildren();
  if (detail.kind === 'incident') return renderIncident(body);
  const d = detail.data;
  const cam = d ? d.camera : null;
  $('drawerTitle').textContent = t('detail') + ' · ' + detail.id + (cam && cam.name ? ' ' + cam.name : '');
  if (detail.gone) { body.append(el('p', { class: 'empty', 'data-testid': 'detail-gone', text: t('cameraGone') })); return; }
  if (!d) { body.append(el('p', { class: 'empty', text: t('loading') })); return; }

  const s = d.status;
  body.append(el('h3', { text: t('secStatus') }));
  if (s) {
    const dl = el('dl', { class: 'kv', 'data-testid': 'detail-status' });
    kv(dl, 'st.state', stateBadge(s.state, true));
    kv(dl, 'st.icmp', probeCell('icmp', s.icmp));
    kv(dl, 'st.hls', probeCell('hls', s.hls));
    if (s.reason) kv(dl, 'st.reason', reasonCell(s.reason, 'full'));
    if (s.flapping) kv(dl, 'st.flapping', t('flapNeeds', { n: fmtNum(Number(s.recoveryChecks) || 0) }));
    if (s.since) kv(dl, 'st.since', el('span', null, relTime(s.since), ' (' + fmtAbs(s.since) + ')'));
    if (s.updatedAt) kv(dl, 'st.updatedAt', el('span', null, relTime(s.updatedAt), ' (' + fmtAbs(s.updatedAt) + ')'));
    if (s.checkedAt) kv(dl, 'st.checkedAt', el('span', null, relTime(s.checkedAt), ' (' + fmtAbs(s.checkedAt) + ')'));
    kv(dl, 'st.issueID', s.issueID);
    body.append(dl);
  } else {
    body.append(el('p', { class: 'empty', text: t('noStatus') }));
  }

  body.append(el('h3', { text: t('secHistory') }), historySection(detail.id));

  body.append(el('h3', { text: t('secMaint') }));
  body.append(silenceSection(detail.id));

  body.append(el('h3', { text: t('secDefinition') }));
  const dl = el('dl', { class: 'kv', 'data-testid': 'detail-definition' });
  kv(dl, 'def.id', cam.id);
  kv(dl, 'def.name', cam.name);
  kv(dl, 'def.address', cam.address);
  kv(dl, 'def.hlsURL', cam.hlsURL);
  const checks = cam.checks || {};
  kv(dl, 'def.rtspURL', checks.rtspURL);
  kv(dl, 'def.onvifURL', checks.onvifURL);
  if (checks.onvifEvents) kv(dl, 'def.onvifEvents', t('yes'));
  if (checks.picture) kv(dl, 'def.picture', t('yes'));
  if (checks.pictureCrop) kv(dl, 'def.pictureCrop', [checks.pictureCrop.x, checks.pictureCrop.y, checks.pictureCrop.width, checks.pictureCrop.height].join(', '));
  kv(dl, 'def.site', cam.site);
  kv(dl, 'def.location', cam.location);
  if (cam.latitude != null && cam.longitude != null) kv(dl, 'def.latlng', cam.latitude + ', ' + cam.longitude);
  kv(dl, 'def.group', cam.group);
  if (Array.isArray(cam.tags) && cam.tags.length) kv(dl, 'def.tags', cam.tags.join(', '));
  kv(dl, 'def.lineTeam', cam.lineTeam);
  kv(dl, 'def.vendor', cam.vendor);
  if (typeof cam.enabled === 'boolean') kv(dl, 'def.enabled', cam.enabled ? t('yes') : t('no'));
  if (cam.intervalSeconds != null) kv(dl, 'def.intervalSeconds', t('seconds', { n: cam.intervalSeconds }));
  if (typeof cam.hasCredentials === 'boolean') kv(dl, 'def.hasCredentials', cam.hasCredentials ? t('yes') : t('no'));
  if (cam.createdAt) kv(dl, 'def.createdAt', fmtAbs(cam.createdAt));
  if (cam.updatedAt) kv(dl, 'def.updatedAt', fmtAbs(cam.updatedAt));
  kv(dl, 'def.version', cam.version);
  body.append(dl);

  if (hasDevice(cam, d.onvif)) body.append(el('h3', { text: t('secDevice') }), deviceSection(cam, d.onvif));

  body.append(el('h3', { text: t('secIssues') }));
  const il = el('ul', { class: 'list', 'data-testid': 'detail-issues' });
  const iss = d.issues.slice().sort((a, b) => (parseTime(b.openedAt) || 0) - (parseTime(a.openedAt) || 0));
  for (const i of iss) il.append(issueItem(i, true));
  if (!iss.length) il.append(el('li', { class: 'empty', text: t('noIssuesAll') }));
  body.append(il);

  body.append(el('h3', { text: t('secNotifications') }));
  const nl = el('ul', { class: 'list', 'data-testid': 'detail-notifications' });
  for (const n of d.notifications) nl.append(noteItem(n, true));
  if (!d.notifications.length) nl.append(el('li', { class: 'empty', text: t('noNotifications') }));
  body.append(nl);

  if (detail.highlight && !detail.scrolled) {
    detail.scrolled = true;
    const target = body.querySelector('[data-testid="detail-issue-' + CSS.escape(detail.highlight) + '"]');
    if (target) requestAnimationFrame(() => target.scrollIntoView({ block: 'nearest' }));
  }
  if (detail.highlight) {
    const target = body.querySelector('[data-testid="detail-issue-' + CSS.escape(detail.highlight) + '"]');
    if (target) target.classList.add('highlight');
  }
  body.append(el('h3', { text: t('secChange') }), editSection(cam));
}

function renderIncident(body) {
  const d = detail.data;
  $('drawerTitle').textContent = t('incidentDetail') + ' · ' + (d && d.issue ? (d.issue.site || d.issue.cameraID) : detail.id);
  if (detail.gone) { body.append(el('p', { class: 'empty', 'data-testid': 'detail-gone', text: t('incidentGone') })); return; }
  if (!d) { body.append(el('p', { class: 'empty', text: t('loading') })); return; }
  const il = el('ul', { class: 'list', 'data-testid': 'detail-incident' });
  il.append(issueItem(d.issue, true));
  body.append(il);
  if (d.children.length) {
    body.append(el('h3', { text: t('groupedCameras', { n: d.children.length }) }));
    const cl = el('ul', { class: 'list', 'data-testid': 'detail-children' });
    for (const c of d.children) {
      const li = issueItem(c, false);
      cl.append(li);
    }
    body.append(cl);
  }
}


let frame = 0;
function scheduleRender() {
  if (frame) return;
  frame = requestAnimationFrame(() => { frame = 0; render(); });
}

export function initDetail() {
  $('drawerClose').addEventListener('click', closeDetail);
  document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape' && !$('drawer').hidden) closeDetail(); });
  on('open-camera', openCamera);
  on('open-incident', openIncident);
  on('lang', () => { if (detail.id) render(); });
  on('detail-render', () => { if (detail.id) scheduleRender(); });
  on('detail-reload', () => { if (detail.id) load(); });
  on('camera', (d) => {
    if (detail.kind === 'camera' && detail.id === String(d.camera.id) && detail.data) {
      detail.data.camera = d.camera; detail.data.status = d.status || null; detail.gone = false; scheduleRender();
    }
  });
  on('onvif', (o) => { if (detail.kind === 'camera' && detail.id === String(o.cameraID) && detail.data) { detail.data.onvif = o; scheduleRender(); } });
  on('device_changed', (change) => {
    announceDeviceChange(change);
    if (detail.kind === 'camera' && detail.id === String(change.cameraID)) load();
  });
  on('deleted', (id) => { if (detail.kind === 'camera' && detail.id === id) { detail.gone = true; scheduleRender(); } });
  on('status', (s) => { if (detail.kind === 'camera' && detail.id === String(s.cameraID) && detail.data) { detail.data.status = s; scheduleRender(); } });
  const takeIssue = (i) => {
    if (!detail.data) return;
    if (detail.kind === 'camera' && detail.id === String(i.cameraID)) {
      const list = detail.data.issues;
      const k = list.findIndex((x) => String(x.id) === String(i.id));
      if (k >= 0) { if (!(Number(list[k].version) > Number(i.version))) list[k] = i; } else list.unshift(i);
      scheduleRender();
    } else if (detail.kind === 'incident') {
      if (String(i.id) === detail.id) { detail.data.issue = i; scheduleRender(); }
      else if (String(i.parentID || '') === detail.id) {
        const list = detail.data.children;
        const k = list.findIndex((x) => String(x.id) === String(i.id));
        if (k >= 0) list[k] = i; else list.push(i);
        scheduleRender();
      }
    }
  };
  on('issue', (d) => takeIssue(d.issue));
  on('issue-record', takeIssue);
  on('notification', (n) => {
    if (detail.kind === 'camera' && detail.data && detail.id === String(n.cameraID)) {
      const list = detail.data.notifications;
      const k = list.findIndex((x) => String(x.id) === String(n.id));
      if (k >= 0) list[k] = n; else list.unshift(n);
      scheduleRender();
    }
  });
}
