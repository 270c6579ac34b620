// What several views share: the live connection's state, service availability, the summary
// counts, the known sites, and the actor's name for incident actions.
import { emit } from './dom.js';

export const shared = {
  conn: 'connecting',
  services: {},           // name -> 'online' | 'offline'
  summary: { cameras: 0, byState: {}, openIssues: 0, services: {} },
  sites: []
};

const ACTOR_KEY = 'cctvout.actor';
/** The name last used for an incident action. */
export function getActor() { try { return localStorage.getItem(ACTOR_KEY) || ''; } catch (e) { return ''; } }
/** Remembers the name used for incident actions. */
export function setActor(a) { try { localStorage.setItem(ACTOR_KEY, a); } catch (e) { /* ignore */ } }

/** Adds a site to the known sites (kept sorted) and tells the views. */
export function addSite(s) {
  if (!s || shared.sites.includes(s)) return;
  shared.sites.push(s);
  shared.sites.sort((a, b) => a.localeCompare(b, 'ko'));
  emit('sites');
}
