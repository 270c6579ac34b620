// The tabs: the problems view (default), every camera, and the other pages; the URL's `view` names the tab.
import { $, on, emit } from './dom.js';
import { readRoute, updateRoute } from './router.js';

let current = '';

/** Shows view `name` (a tab's `data-view`). */
export function showView(name) {
  const tabs = Array.from(document.querySelectorAll('.tabs [role="tab"]'));
  if (!tabs.some((b) => b.dataset.view === name)) name = 'problems';
  for (const b of tabs) {
    const on_ = b.dataset.view === name;
    b.setAttribute('aria-selected', on_ ? 'true' : 'false');
    b.tabIndex = on_ ? 0 : -1;
    const panel = $(b.getAttribute('aria-controls'));
    if (panel) panel.hidden = !on_;
  }
  document.body.dataset.view = name;
  if (name !== current) { current = name; emit('view-shown', name); }
  updateRoute({ view: name === 'problems' ? '' : name });
}

export function initViews() {
  const tabs = Array.from(document.querySelectorAll('.tabs [role="tab"]'));
  for (const b of tabs) {
    b.addEventListener('click', () => showView(b.dataset.view));
    b.addEventListener('keydown', (ev) => {
      const i = tabs.indexOf(b);
      const next = ev.key === 'ArrowRight' ? tabs[(i + 1) % tabs.length] : ev.key === 'ArrowLeft' ? tabs[(i - 1 + tabs.length) % tabs.length] : null;
      if (next) { ev.preventDefault(); next.focus(); showView(next.dataset.view); }
    });
  }
  on('show-view', showView);
  on('route', (r) => showView(r.view || 'problems'));
  showView(readRoute().view || 'problems');
}
