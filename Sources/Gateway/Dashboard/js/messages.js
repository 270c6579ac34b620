// Toasts and per-panel error boxes.
import { el, $ } from './dom.js';
import { t } from './i18n.js';

/** A message in the corner; `detail` (e.g. the server's own sentence) shows on hover. */
export function toast(text, kind, ttl, detail) {
  const box = $('messages');
  const node = el('div', { class: 'msg ' + (kind || ''), role: kind === 'error' ? 'alert' : 'status', 'data-testid': 'message-' + (kind || 'info'), title: detail || null },
    el('span', { text: text }),
    el('button', { type: 'button', class: 'x', 'aria-label': t('dismiss'), text: '✕', onclick: () => node.remove() }));
  box.append(node);
  while (box.children.length > 5) box.firstElementChild.remove();
  setTimeout(() => node.remove(), ttl || (kind === 'error' ? 20000 : 6000));
}

/** Shows `text` in the error box `id`, with a retry button when `retry` is given. */
export function showErr(id, text, retry, detail) {
  const box = $(id);
  box.replaceChildren(el('span', { text: text, title: detail || null }));
  if (retry) box.append(' ', el('button', { type: 'button', class: 'btn small', text: t('retry'), onclick: retry }));
  box.hidden = false;
}

/** Hides the error box `id`. */
export function hideErr(id) { const box = $(id); box.hidden = true; box.replaceChildren(); }
