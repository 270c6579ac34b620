// Incidents: the side list (site incidents with their grouped cameras below), each with the
// lifecycle actions the server's rules allow in its state, and its history.
import { el, $, str, on, emit, keepFocus } from './dom.js';
import { t } from './i18n.js';
import { api, errorText, errorDetail } from './api.js';
import { actionsFor, actionName, action, isActiveIssueState, issueStateName, kindName, partyName, reasonText } from './vocabulary.js';
import { fmtNum, fmtAbs, parseTime, relTime } from './format.js';
import { showErr, hideErr, toast } from './messages.js';

const MAX_ISSUES = 200;
export const issues = new Map();   // id -> IssueRecord
let showResolved = false;
const forms = new Map();           // (p|d):issueID -> {node, action}
const errors = new Map();          // issueID -> message
const unfolded = new Set();        // site incidents whose camera incidents are shown

/** Whether an incident no longer needs anyone. */
export function isClosed(i) { return !isActiveIssueState(i.state); }
/** Whether an incident is a site-wide one grouping several cameras. */
export function isSiteIssue(i) { return str(i.cameraID).startsWith('SITE:'); }
/** Whether an incident is about many cameras (a site, a stream server, the monitor's own network), not one. */
export function isGroupIssue(i) { return /^(SITE|SERVER|MONITOR):/.test(str(i.cameraID)); }

let seq = 0;
/** Loads the incident list. */
export async function loadIssues() {
  const mine = ++seq;
  try {
    const data = await api('/api/issues?state=' + (showResolved ? 'all' : 'open') + '&limit=' + MAX_ISSUES);
    if (mine !== seq) return;
    issues.clear();
    for (const i of (data && data.items) || []) if (i && i.id != null) issues.set(String(i.id), i);
    hideErr('issuesErr');
    renderIssues();
  } catch (e) {
    if (mine !== seq) return;
    showErr('issuesErr', t('errIssues', { msg: errorText(e) }), loadIssues, errorDetail(e));
  }
}

/** Takes a newer version of an incident into the list. */
export function upsertIssue(issue) {
  if (!issue || issue.id == null) return;
  const id = String(issue.id);
  const prev = issues.get(id);
  if (prev && Number(prev.version) > Number(issue.version)) return; // stale event
  if (isClosed(issue) && !showResolved) issues.delete(id);
  else issues.set(id, issue);
  if (issues.size > MAX_ISSUES) {
    const sorted = sortedIssues();
    for (let k = sorted.length - 1; k >= 0 && issues.size > MAX_ISSUES; k--) {
      if (isClosed(sorted[k])) issues.delete(String(sorted[k].id));
    }
  }
  scheduleRender();
}

function sortedIssues() {
  return Array.from(issues.values()).sort((a, b) => {
    const ca = isClosed(a) ? 1 : 0, cb = isClosed(b) ? 1 : 0;
    if (ca !== cb) return ca - cb;
    return (parseTime(b.openedAt) || 0) - (parseTime(a.openedAt) || 0);
  });
}

/** One incident as a list item; `inDetail` for the camera panel (no camera line, with history). */
export function issueItem(i, inDetail) {
  const closed = isClosed(i);
  const kind = str(i.kind);
  const li = el('li', { class: 'issue' + (closed ? ' closed' : ''), 'data-kind': kind, 'data-state': str(i.state), 'data-testid': (inDetail ? 'detail-issue-' : 'issue-') + str(i.id) });
  const l1 = el('div', { class: 'l1' },
    el('span', { class: 'kind', text: kindName(kind) }),
    el('span', { class: 'resp', text: partyName(str(i.responsible)) + (i.responsibleTeam ? ' · ' + i.responsibleTeam : '') }));
  if (i.state && i.state !== 'OPEN') l1.append(el('span', { class: 'ist', text: issueStateName(i.state) }));
  if (isSiteIssue(i)) l1.append(el('span', { class: 'tag site', 'data-testid': 'issue-site-' + str(i.id), text: t('siteOutage', { n: fmtNum(Number(i.groupedCount) || 0) }) }));
  if (i.parentID) l1.append(el('span', { class: 'tag grouped', title: str(i.parentID), 'data-testid': 'issue-grouped-' + str(i.id), text: t('badgeGrouped') }));
  if (i.silenced) l1.append(el('span', { class: 'tag silenced', 'data-testid': 'issue-silenced-' + str(i.id), text: t('badgeSilenced') }));
  if (i.flapping) l1.append(el('span', { class: 'tag flapping', 'data-testid': 'issue-flapping-' + str(i.id), text: t('badgeFlapping'),
    title: i.recoveryChecks ? t('flapNeeds', { n: fmtNum(Number(i.recoveryChecks)) }) : '' }));
  l1.append(el('span', { class: 'time' }, closed && i.resolvedAt ? relTime(i.resolvedAt, 'resolvedAt') : relTime(i.openedAt, 'openedAt')));
  li.append(l1);
  if (!inDetail) {
    li.append(el('div', { class: 'l2' },
      el('span', { class: 'mono', text: str(i.cameraID) }),
      i.cameraName ? ' ' + i.cameraName : '',
      i.site ? ' · ' + i.site : '',
      i.address ? ' · ' + i.address : ''));
  }
  li.append(el('div', { class: 'l2 reason', title: reasonText(i.reason) + ' [' + str(i.reason) + ']', text: reasonText(i.reason) }));
  if (i.flapping && i.recoveryChecks && !closed) li.append(el('div', { class: 'l2', 'data-testid': 'issue-flapneeds-' + str(i.id), text: t('flapNeeds', { n: fmtNum(Number(i.recoveryChecks)) }) }));
  if (i.fixReportedBy && i.state !== 'CLOSED') li.append(el('div', { class: 'fixrep', 'data-testid': 'issue-fixreported-' + str(i.id), text: t('fixReported', { who: i.fixReportedBy }) }));
  li.append(issueControls(i, inDetail ? 'd' : 'p'));
  if (inDetail) { const h = issueHistory(i); if (h) li.append(h); }
  if (!inDetail && i.cameraID != null) {
    li.tabIndex = 0;
    const open = () => emit(isGroupIssue(i) ? 'open-incident' : 'open-camera', isGroupIssue(i) ? String(i.id) : String(i.cameraID));
    li.addEventListener('click', open);
    li.addEventListener('keydown', (ev) => { if (ev.target === li && (ev.key === 'Enter' || ev.key === ' ')) { ev.preventDefault(); open(); } });
  }
  return li;
}

/** Redraws the incident list (keeping a half-typed form). */
export function renderIssues() { keepFocus(renderIssues0); }
function renderIssues0() {
  const ul = $('issues');
  const list = sortedIssues();
  const frag = document.createDocumentFragment();
  // Camera incidents grouped under a site incident are shown indented below it.
  const kids = new Map();
  const top = [];
  for (const i of list) {
    const p = i.parentID != null && i.parentID !== '' ? String(i.parentID) : '';
    if (p && issues.has(p) && p !== String(i.id)) { if (!kids.has(p)) kids.set(p, []); kids.get(p).push(i); }
    else top.push(i);
  }
  for (const i of top) {
    const li = issueItem(i, false);
    const children = kids.get(String(i.id)) || [];
    if (children.length) {
      // A site outage is one line; its cameras stay folded until asked for.
      const open = unfolded.has(String(i.id));
      li.querySelector('.l1').prepend(el('button', { type: 'button', class: 'btn small expand', 'aria-expanded': open ? 'true' : 'false',
        'data-testid': 'issue-fold-' + str(i.id), 'aria-label': t(open ? 'collapse' : 'expand'), text: (open ? '▾ ' : '▸ ') + fmtNum(children.length),
        onclick: (ev) => { ev.stopPropagation(); if (open) unfolded.delete(String(i.id)); else unfolded.add(String(i.id)); renderIssues(); } }));
    }
    frag.append(li);
    if (unfolded.has(String(i.id))) for (const c of children) { const cl = issueItem(c, false); cl.classList.add('child'); frag.append(cl); }
  }
  if (list.length === 0) frag.append(el('li', { class: 'empty', 'data-testid': 'issues-empty', text: showResolved ? t('noIssuesAll') : t('noIssues') }));
  ul.replaceChildren(frag);
  $('issuesCount').textContent = fmtNum(top.filter((i) => !isClosed(i)).length);
}

let frame = 0;
function scheduleRender() {
  if (frame) return;
  frame = requestAnimationFrame(() => { frame = 0; renderIssues(); emit('issues-rendered'); });
}

function rerender() { renderIssues(); emit('detail-render'); emit('problems-render'); }

/** The action buttons (by the server's rules for the incident's state) and the open action form;
 *  `scope` keeps forms of the same incident in different views apart (`p` list, `d` panel, `x` problems). */
export function issueControls(i, scope, only) {
  const id = str(i.id);
  const box = el('div', { class: 'ictl', 'data-min-role': 'operator' });
  const bar = el('div', { class: 'iacts' });
  for (const a of actionsFor(i.state)) {
    if (only && !only.includes(a.path)) continue;
    bar.append(el('button', { type: 'button', class: 'btn small' + (a.path === 'note' ? '' : ' primary'), 'data-action': a.path,
      'data-testid': 'issue-action-' + a.path + '-' + id, text: actionName(a.path),
      onclick: (ev) => { ev.stopPropagation(); openForm(i, a.path, scope); } }));
  }
  box.append(bar);
  const f = forms.get(scope + ':' + id);
  if (f) box.append(f.node);
  const err = errors.get(id);
  if (err) box.append(el('div', { class: 'ierr', role: 'alert', 'data-testid': 'issue-error-' + id, text: err.text, title: err.detail || null }));
  box.addEventListener('click', (ev) => ev.stopPropagation());
  box.addEventListener('keydown', (ev) => { if (ev.key !== 'Escape' || forms.size) ev.stopPropagation(); });
  return box;
}

function openForm(i, path, scope) {
  const id = str(i.id);
  const fk = scope + ':' + id;
  const note = el('input', { type: 'text', autocomplete: 'off', placeholder: t('actNote'), 'aria-label': t('actNote'), 'data-testid': 'issue-note-' + id });
  const send = el('button', { type: 'submit', class: 'btn small primary', 'data-testid': 'issue-send-' + id, text: actionName(path) });
  const cancel = () => { forms.delete(fk); rerender(); };
  const form = el('form', { class: 'iform', 'data-testid': 'issue-form-' + id, 'data-action': path, novalidate: true },
    el('span', { class: 'ttl', text: actionName(path) + ' · ' + id }), note, send,
    el('button', { type: 'button', class: 'btn small', text: t('actCancel'), onclick: cancel }));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); submit(id, path, note, send, fk); });
  form.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') { ev.preventDefault(); ev.stopPropagation(); cancel(); } });
  forms.clear(); // one form at a time
  forms.set(fk, { node: form, action: path });
  errors.delete(id);
  rerender();
  note.focus();
}

/** Sends one lifecycle action for incident `id` as the signed-in account; resolves to the changed incident. */
export async function sendAction(id, path, note) {
  const body = {};
  if (note) body.note = note;
  const rec = await api('/api/issues/' + encodeURIComponent(id) + '/' + path, { method: 'POST', body });
  if (rec && rec.id != null) applyIssueRecord(rec);
  return rec;
}

async function submit(id, path, noteIn, btn, fk) {
  btn.disabled = true;
  try {
    await sendAction(id, path, noteIn.value.trim());
    errors.delete(id);
    forms.delete(fk);
    rerender();
    toast(t('actDone', { id, action: actionName(path) }), 'ok');
  } catch (e) {
    btn.disabled = false;
    errors.set(id, { text: t('actFailed', { action: actionName(path), msg: errorText(e) }), detail: errorDetail(e) });
    rerender();
    if (e && (e.status === 409 || e.status === 404)) { loadIssues(); emit('detail-reload'); }
  }
}

/** Applies an incident returned by an action (or pushed live) to every view. */
export function applyIssueRecord(rec) {
  upsertIssue(rec);
  emit('issue-record', rec);
}

function issueHistory(i) {
  const h = Array.isArray(i.history) ? i.history.slice() : [];
  if (!h.length) return null;
  h.sort((a, b) => (parseTime(b && b.at) || 0) - (parseTime(a && a.at) || 0));
  const ol = el('ol', { class: 'hist', 'aria-label': t('histTitle'), 'data-testid': 'issue-history-' + str(i.id) });
  for (const e of h) {
    if (!e) continue;
    const tr = (e.from && e.from === e.to) ? actionName('note') : (e.from ? issueStateName(e.from) + ' → ' : '') + issueStateName(str(e.to));
    ol.append(el('li', null, el('time', { datetime: str(e.at), text: fmtAbs(e.at) }), ' · ', tr,
      e.actor ? ' · ' + e.actor : '', e.note ? ' — ' + e.note : ''));
  }
  return ol;
}

export function initIncidents() {
  $('showResolved').addEventListener('change', () => { showResolved = $('showResolved').checked; loadIssues(); });
  on('lang', renderIssues);
  on('issue', (d) => upsertIssue(d.issue));
  renderIssues();
}
