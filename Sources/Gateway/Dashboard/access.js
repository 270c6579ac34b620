'use strict';
// Shared by the sign-in, first-start and admin pages: element building (text only, never HTML),
// JSON calls that send the session's CSRF token, and error messages from the API's error shape.
(function () {
  function el(tag, attrs) {
    const n = document.createElement(tag);
    for (const k of Object.keys(attrs || {})) {
      const v = attrs[k];
      if (v === null || v === undefined || v === false) continue;
      if (k === 'text') n.textContent = String(v);
      else if (k.startsWith('on') && typeof v === 'function') n.addEventListener(k.slice(2), v);
      else n.setAttribute(k, v === true ? '' : String(v));
    }
    for (let i = 2; i < arguments.length; i++) {
      const c = arguments[i];
      if (c !== null && c !== undefined && c !== false) n.append(c instanceof Node ? c : String(c));
    }
    return n;
  }
  const state = { csrfToken: '' };
  async function call(method, path, body) {
    const headers = { 'Accept': 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && state.csrfToken) headers['X-CSRF-Token'] = state.csrfToken;
    const res = await fetch(path, { method: method, headers: headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store' });
    const text = await res.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (!res.ok) {
      const err = new Error(data && data.error && data.error.message ? String(data.error.message) : ('HTTP ' + res.status));
      err.status = res.status; err.code = data && data.error ? data.error.code : null;
      throw err;
    }
    return data;
  }
  window.CCTVAccess = { el: el, call: call, state: state, $: (id) => document.getElementById(id) };
})();
