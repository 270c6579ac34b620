// The URL names what is on screen, so any view can be linked to and reloaded: `#camera=ID`,
// `#incident=ID`, `#view=problems&state=LINE_DOWN&q=정문&sort=-since` (filters are kept in the URL).
import { emit } from './dom.js';

const KEYS = ['view', 'camera', 'incident', 'q', 'site', 'state', 'team', 'vendor', 'issueState', 'sort'];

/** The parameters in the URL's fragment. */
export function readRoute() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const route = {};
  for (const k of KEYS) { const v = params.get(k); if (v !== null && v !== '') route[k] = v; }
  return route;
}

/** Changes some parameters (empty values are dropped) without adding a history entry. */
export function updateRoute(changes) {
  const route = Object.assign(readRoute(), changes);
  const params = new URLSearchParams();
  for (const k of KEYS) if (route[k] !== undefined && route[k] !== null && route[k] !== '') params.set(k, route[k]);
  const hash = params.toString();
  const url = location.pathname + location.search + (hash ? '#' + hash : '');
  if (url !== location.pathname + location.search + location.hash) history.replaceState(null, '', url);
}

/** Tells the views when the user (or a link) changed the URL. */
export function initRouter() {
  window.addEventListener('hashchange', () => emit('route', readRoute()));
}
