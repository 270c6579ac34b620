// Bulk import: upload a CSV/.xlsx, follow the job's progress, show the report with every refused row.
import { el, $, str, on, emit } from './dom.js';
import { t, lang } from './i18n.js';
import { api, errorText } from './api.js';
import { fmtNum } from './format.js';
import { reasonCell } from './cameras.js';

const IMPORT_SHOW_PROBLEMS = 200;
const imp = { job: null, timer: 0, seq: 0, busy: false, msg: '', msgKind: '' };
function impLinks() {
  const l = lang === 'ko' ? 'ko' : 'en';
  $('impTplX').href = '/api/cameras/template?format=xlsx&lang=' + l;
  $('impTplC').href = '/api/cameras/template?format=csv&lang=' + l;
  $('impExpX').href = '/api/cameras/export?format=xlsx&lang=' + l;
  $('impExpC').href = '/api/cameras/export?format=csv&lang=' + l;
}
function impMsg(text, kind) {
  imp.msg = text || ''; imp.msgKind = kind || '';
  $('impMsg').textContent = imp.msg;
  $('impMsg').className = 'imp-msg' + (kind ? ' ' + kind : '');
}
function setBar(state, pct, label) {
  const b = $('impBar');
  b.hidden = false;
  b.dataset.state = state;
  const v = Math.max(0, Math.min(100, Math.round(pct)));
  b.setAttribute('aria-valuenow', String(v));
  b.setAttribute('aria-valuetext', label);
  b.querySelector('.fill').style.width = v + '%';
  b.querySelector('.lbl').textContent = label;
}
async function onImport(ev) {
  ev.preventDefault();
  const f = $('impFile').files && $('impFile').files[0];
  if (!f) { impMsg(t('imp.needFile'), 'error'); $('impFile').focus(); return; }
  const modeIn = document.querySelector('input[name="impMode"]:checked');
  const mode = modeIn && modeIn.value === 'apply' ? 'apply' : 'validate';
  const skip = $('impSkip').checked;
  clearTimeout(imp.timer);
  const seq = ++imp.seq;
  imp.job = null;
  imp.busy = true;
  $('impSubmit').disabled = true;
  $('impReport').hidden = true; $('impProblems').hidden = true;
  impMsg(t('imp.uploading'));
  setBar('uploading', 0, t('imp.uploading'));
  const ct = f.name.toLowerCase().endsWith('.xlsx') ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv';
  try {
    const job = await api('/api/imports?mode=' + mode + '&skipInvalid=' + (skip ? 'true' : 'false'), { method: 'POST', raw: f, contentType: ct });
    if (seq !== imp.seq) return;
    if (!job || job.id == null) throw new Error(t('errBadJSON'));
    imp.job = job;
    renderImport();
    if (job.state === 'done' || job.state === 'failed') finishImport(); else pollImport(seq, String(job.id), 0);
  } catch (e) {
    if (seq !== imp.seq) return;
    imp.busy = false;
    $('impSubmit').disabled = false;
    impMsg(t('imp.failed', { msg: errorText(e) }), 'error');
    setBar('failed', 0, t('imp.st.failed'));
  }
}
function pollImport(seq, id, fails) {
  imp.timer = setTimeout(async () => {
    if (seq !== imp.seq) return;
    try {
      const j = await api('/api/imports/' + encodeURIComponent(id));
      if (seq !== imp.seq) return;
      if (j && typeof j === 'object') imp.job = j;
      fails = 0;
      renderImport();
    } catch (e) {
      if (seq !== imp.seq) return;
      fails++;
      if ((e && e.status === 404) || fails > 20) {
        imp.busy = false;
        $('impSubmit').disabled = false;
        impMsg(t('imp.failed', { msg: errorText(e) }), 'error');
        setBar('failed', 0, t('imp.st.failed'));
        return;
      }
      impMsg(t('imp.failed', { msg: errorText(e) }) + ' · ' + t('retry') + '…', 'error');
    }
    if (imp.job && (imp.job.state === 'done' || imp.job.state === 'failed')) finishImport();
    else pollImport(seq, id, fails);
  }, 500);
}
function finishImport() {
  imp.busy = false;
  $('impSubmit').disabled = false;
  const j = imp.job;
  if (j && j.report && j.report.applied && (Number(j.report.created) || Number(j.report.updated))) emit('camera-changed');
}
function renderImport() {
  const j = imp.job;
  if (!j) return;
  const st = str(j.state);
  const p = j.progress || {};
  const rows = Number(p.rows) || 0;
  let done = 0, pct = 0;
  if (st === 'checking') done = Number(p.validated) || 0;
  else if (st === 'applying') done = Number(p.applied) || 0;
  else if (st === 'parsing') done = Number(p.parsed) || 0;
  if (st === 'done') pct = 100;
  else if (st === 'failed') pct = 100;
  else if ((st === 'checking' || st === 'applying') && rows) pct = done / rows * 100;
  let label = t('imp.st.' + st);
  if (st === 'checking' || st === 'applying') label += ' · ' + fmtNum(done) + ' / ' + fmtNum(rows) + ' (' + Math.round(pct) + '%)';
  else if (st === 'parsing' && done) label += ' · ' + t('imp.rows', { n: fmtNum(done) });
  else if (st === 'done' && rows) label += ' · ' + t('imp.rows', { n: fmtNum(rows) });
  setBar(st, pct, label);
  if (st === 'failed') impMsg(t('imp.failed', { msg: j.error && j.error.message ? str(j.error.message) : st }), 'error');
  else impMsg(st === 'done' ? '' : label);

  const rep = $('impReport');
  const probs = $('impProblems');
  if (st !== 'done' && st !== 'failed') { rep.hidden = true; probs.hidden = true; return; }
  const r = j.report || {};
  rep.replaceChildren();
  if (j.report) {
    const counts = el('div', { class: 'imp-counts' });
    for (const [k, v] of [['created', r.created], ['updated', r.updated], ['unchanged', r.unchanged], ['rejected', r.rejectedRows]]) {
      counts.append(el('span', { 'data-testid': 'import-count-' + k }, t('imp.' + k) + ' ', el('b', { text: fmtNum(Number(v) || 0) })));
    }
    counts.append(el('span', { 'data-testid': 'import-applied', 'data-applied': r.applied ? 'true' : 'false', text: r.applied ? '✔ ' + t('imp.applied') : t('imp.notApplied') }));
    rep.append(counts);
  }
  const warns = Array.isArray(j.warnings) ? j.warnings : [];
  if (warns.length) {
    const ul = el('ul', { class: 'l2', 'aria-label': t('imp.warnings'), 'data-testid': 'import-warnings' });
    for (const w of warns) ul.append(el('li', { text: str(w) }));
    rep.append(el('div', { class: 'l2', text: t('imp.warnings') }), ul);
  }
  rep.hidden = false;

  const list = Array.isArray(j.problems) ? j.problems : [];
  probs.replaceChildren();
  if (!list.length) {
    probs.append(el('p', { class: 'l2', text: t('imp.noProblems') }));
  } else {
    const tbl = el('table', { class: 'probs' });
    tbl.append(el('thead', null, el('tr', null,
      el('th', { text: t('imp.row') }), el('th', { text: t('imp.column') }), el('th', { text: t('imp.reason') }), el('th', { text: t('imp.message') }))));
    const tb = el('tbody');
    for (const pr of list.slice(0, IMPORT_SHOW_PROBLEMS)) {
      if (!pr) continue;
      const header = typeof pr.column === 'string' ? pr.column : (pr.field ? str(pr.field) : str(pr.column));
      const col = [str(pr.columnLetter), header].filter(Boolean).join(' · ');
      let msg = str(pr.message);
      if (pr.existingID) msg += (msg ? ' ' : '') + '(' + t('imp.existing', { id: pr.existingID }) + ')';
      tb.append(el('tr', null, el('td', { class: 'mono', text: str(pr.row) }), el('td', { text: col }),
        el('td', null, reasonCell(pr.reason)), el('td', { text: msg })));
    }
    tbl.append(tb);
    probs.append(tbl);
    if (list.length > IMPORT_SHOW_PROBLEMS) probs.append(el('p', { class: 'l2', 'data-testid': 'import-problems-more', text: t('imp.more', { n: fmtNum(list.length - IMPORT_SHOW_PROBLEMS) }) }));
  }
  probs.hidden = false;
}

export function initImports() {
  impLinks();
  $('impForm').addEventListener('submit', onImport);
  on('lang', () => { impLinks(); renderImport(); });
}
