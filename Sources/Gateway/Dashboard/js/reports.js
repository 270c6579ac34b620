// Reports: availability for any period grouped by camera, site, line team or vendor (worst first,
// from exact state durations), and the monthly SLA report with MTTA/MTTR, downloadable as XLSX or
// CSV in Korean or English.
import { el, $, str, on } from './dom.js';
import { t, lang } from './i18n.js';
import { api, errorText, errorDetail } from './api.js';
import { fmtNum, timeZone } from './format.js';
import { showErr, hideErr } from './messages.js';
import { fmtDuration } from './history.js';

const BY = ['camera', 'site', 'lineTeam', 'vendor'];

function pct(v) { return v == null ? '—' : v.toFixed(3) + '%'; }
function isoDay(d) { const p = (n) => String(n).padStart(2, '0'); return d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()); }

function renderControls() {
  const by = $('repBy');
  const v = by.value || 'site';
  by.replaceChildren();
  for (const b of BY) by.append(el('option', { value: b, text: t('rep.by.' + b) }));
  by.value = v;
  if (!$('repFrom').value) { const d = new Date(); d.setDate(d.getDate() - 30); $('repFrom').value = isoDay(d); }
  if (!$('repTo').value) $('repTo').value = isoDay(new Date());
  if (!$('slaMonth').value) { const d = new Date(); d.setDate(0); $('slaMonth').value = d.getFullYear() + '-' + String(d.getMonth() + 1).padStart(2, '0'); }
  if (!$('slaLang').dataset.touched) $('slaLang').value = lang;
  links();
}

function links() {
  const q = 'month=' + encodeURIComponent($('slaMonth').value) + '&lang=' + $('slaLang').value + '&tz=' + encodeURIComponent(timeZone);
  $('slaXlsx').href = '/api/reports/sla?format=xlsx&' + q;
  $('slaCsv').href = '/api/reports/sla?format=csv&' + q;
}

async function showAvailability() {
  const from = new Date($('repFrom').value + 'T00:00:00'), to = new Date($('repTo').value + 'T00:00:00');
  to.setDate(to.getDate() + 1);
  const by = $('repBy').value;
  try {
    const data = await api('/api/availability?by=' + by + '&from=' + encodeURIComponent(from.toISOString()) + '&to=' + encodeURIComponent(to.toISOString()) + '&limit=500');
    hideErr('repErr');
    $('repHead').replaceChildren(...[t('rep.by.' + by), t('rep.cameras'), t('rep.avail'), t('rep.lineAvail'), t('rep.cameraAvail'), t('rep.down')].map((h) => el('th', { scope: 'col', text: h })));
    const rows = document.createDocumentFragment();
    for (const it of data.items || []) {
      const d = it.durations || {};
      rows.append(el('tr', { 'data-testid': 'avail-' + it.key },
        el('td', { class: 'mono', text: it.key || t('rep.none') }), el('td', { text: fmtNum(it.cameras) }), el('td', { text: pct(it.availability) }),
        el('td', { text: pct(it.lineAvailability) }), el('td', { text: pct(it.cameraAvailability) }), el('td', { text: fmtDuration((d.lineDown || 0) + (d.cameraDown || 0)) })));
    }
    if (!(data.items || []).length) rows.append(el('tr', null, el('td', { colspan: '6', class: 'empty', text: t('noHistory') })));
    $('repRows').replaceChildren(rows);
  } catch (e) {
    showErr('repErr', t('errReport', { msg: errorText(e) }), showAvailability, errorDetail(e));
  }
}

async function showSLA() {
  try {
    const data = await api('/api/reports/sla?format=json&month=' + encodeURIComponent($('slaMonth').value) + '&tz=' + encodeURIComponent(timeZone));
    hideErr('repErr');
    $('slaHead').replaceChildren(...['rep.kind', 'rep.name', 'rep.cameras', 'rep.avail', 'rep.incidents', 'rep.mtta', 'rep.mttr'].map((k) => el('th', { scope: 'col', text: t(k) })));
    const rows = document.createDocumentFragment();
    for (const r of data.rows || []) {
      if (r.kind === 'site') continue;
      rows.append(el('tr', { 'data-testid': 'sla-' + r.kind + '-' + (r.key || 'none') },
        el('td', { text: t('rep.by.' + r.kind) }), el('td', { class: 'mono', text: r.key || t('rep.none') }), el('td', { text: fmtNum(r.cameras) }),
        el('td', { text: pct(r.availability) }), el('td', { text: fmtNum(r.incidents) }),
        el('td', { text: r.mttaMinutes == null ? '—' : fmtDuration(r.mttaMinutes * 60) }), el('td', { text: r.mttrMinutes == null ? '—' : fmtDuration(r.mttrMinutes * 60) })));
    }
    $('slaRows').replaceChildren(rows);
  } catch (e) {
    showErr('repErr', t('errReport', { msg: errorText(e) }), showSLA, errorDetail(e));
  }
}

export function initReports() {
  renderControls();
  $('repShow').addEventListener('click', showAvailability);
  $('slaShow').addEventListener('click', showSLA);
  $('slaMonth').addEventListener('change', links);
  $('slaLang').addEventListener('change', () => { $('slaLang').dataset.touched = '1'; links(); });
  on('lang', () => { renderControls(); });
  on('view-shown', (v) => { if (v === 'reports') { showAvailability(); showSLA(); } });
}
