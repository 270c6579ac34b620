// What several views share: the live connection's state, service availability, the summary
// counts with the monitoring verdict, and the known sites.
import { emit } from './dom.js';

export const shared = {
  conn: 'connecting',
  services: {},           // name -> 'online' | 'offline'
  summary: { cameras: 0, byState: {}, openIssues: 0, services: {} },
  monitoring: null,       // /api/summary .monitoring: {state, reasons, servicesOffline, lastResultAt}
  sites: []
};

/** Adds a site to the known sites (kept sorted) and tells the views. */
export function addSite(s) {
  if (!s || shared.sites.includes(s)) return;
  shared.sites.push(s);
  shared.sites.sort((a, b) => a.localeCompare(b, 'ko'));
  emit('sites');
}
