// Building DOM safely: strings always become text nodes, never HTML. No inline styles either
// (the page's CSP forbids them): custom properties go through the CSSOM.

/** Creates an element. `attrs`: class, text, style (object of properties), on* handlers, others as attributes. */
export function el(tag, attrs, ...children) {
  const n = document.createElement(tag);
  if (attrs) {
    for (const k of Object.keys(attrs)) {
      const v = attrs[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') n.className = v;
      else if (k === 'text') n.textContent = String(v);
      else if (k === 'style' && typeof v === 'object') { for (const p of Object.keys(v)) n.style.setProperty(p, v[p]); }
      else if (k.startsWith('on') && typeof v === 'function') n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    n.append(c instanceof Node ? c : String(c));
  }
  return n;
}

/** The element with `id`. */
export const $ = (id) => document.getElementById(id);

/** `v` as a string, '' for null/undefined. */
export const str = (v) => (v === null || v === undefined) ? '' : String(v);

/** Re-renders with `fn` without losing the caret of a field being typed in. */
export function keepFocus(fn) {
  const ae = document.activeElement;
  let sel = null;
  try { if (ae && typeof ae.selectionStart === 'number') sel = [ae.selectionStart, ae.selectionEnd]; } catch (e) { sel = null; }
  fn();
  if (ae && ae !== document.body && document.contains(ae) && document.activeElement !== ae) {
    try { ae.focus({ preventScroll: true }); if (sel) ae.setSelectionRange(sel[0], sel[1]); } catch (e) { /* not focusable any more */ }
  }
}

/** Calls each listener of a tiny event bus. */
const listeners = new Map();
export function on(name, fn) {
  if (!listeners.has(name)) listeners.set(name, []);
  listeners.get(name).push(fn);
}
export function emit(name, value) {
  for (const fn of listeners.get(name) || []) {
    try { fn(value); } catch (e) { console.error(name, e); }
  }
}
