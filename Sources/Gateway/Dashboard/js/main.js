// The dashboard's entry point: loads the server's vocabulary, builds every view, then goes live.
import { $, on, emit } from './dom.js';
import { t, lang, applyStaticText } from './i18n.js';
import { api, errorText, ApiError } from './api.js';
import { loadSession } from './session.js';
import { loadVocabulary } from './vocabulary.js';
import { addSite } from './state.js';
import { tickTimes } from './format.js';
import { initHeader } from './header.js';
import { initSummary, loadSummary, scheduleSummary } from './summary.js';
import { initCameras, loadPage, loadSites } from './cameras.js';
import { initRegister } from './register.js';
import { initImports } from './imports.js';
import { initIncidents, loadIssues } from './incidents.js';
import { initNotes, loadNotes } from './notes.js';
import { initDetail } from './detail.js';
import { connectEvents } from './live.js';
import { initProblems, load as loadProblems } from './problems.js';
import { initViews } from './views.js';
import { initRouter, readRoute, updateRoute } from './router.js';
import { initAlerts } from './alerts.js';
import { initPlanned, loadSilences as loadPlanned } from './planned.js';
import { initReports } from './reports.js';
import { initNotify } from './notify.js';
import { openCamera, openIncident, closeDetail, detail } from './detail.js';

async function boot() {
  document.documentElement.lang = lang;
  applyStaticText();
  try {
    await loadSession();
    await loadVocabulary(api);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return; // on its way to the sign-in page
    const box = $('bootErr');
    box.textContent = t('errVocabulary', { msg: errorText(e) });
    box.hidden = false;
    setTimeout(boot, 5000);
    return;
  }
  $('bootErr').hidden = true;
  initRouter();
  initHeader();
  initAlerts();
  initSummary();
  initViews();
  initProblems();
  initPlanned();
  initReports();
  initNotify();
  initCameras();
  initRegister();
  initImports();
  initIncidents();
  initNotes();
  initDetail();
  on('lang', () => applyStaticText());
  on('camera', (d) => { if (d.camera.site) addSite(String(d.camera.site)); });
  on('changed', scheduleSummary);
  on('refresh-summary', loadSummary);
  on('route', followLinks);
  on('detail-opened', (d) => updateRoute(d.kind === 'camera' ? { camera: d.id, incident: d.highlight || '' } : { incident: d.id, camera: '' }));
  on('detail-closed', () => updateRoute({ camera: '', incident: '' }));
  on('resync', () => { loadPage(); loadSummary(); loadIssues(); loadNotes(); loadSites(); emit('detail-reload'); });
  // The full reason on tap (phones have no hover): a cut-off reason opens in place, a second tap closes it.
  document.addEventListener('click', (ev) => {
    const reason = ev.target.closest && ev.target.closest('.reason[data-code]');
    if (!reason) return;
    ev.stopPropagation();
    reason.classList.toggle('open');
  }, true);
  setInterval(tickTimes, 10000);
  connectEvents();
  loadSummary();
  loadSites();
  loadProblems();
  loadPlanned();
  loadPage();
  loadIssues();
  loadNotes();
  followLinks(readRoute());
  document.body.dataset.ready = 'true';
}

/** Opens what the URL names: `#camera=ID` (optionally `&incident=ID` to point at one of its incidents) or `#incident=ID`. */
function followLinks(route) {
  if (route.camera) { if (detail.kind !== 'camera' || detail.id !== route.camera) openCamera(route.camera, route.incident); }
  else if (route.incident) { if (detail.kind !== 'incident' || detail.id !== route.incident) openIncident(route.incident); }
  else if (detail.id) closeDetail();
}

boot();
