// The REST client: JSON in and out, errors as ApiError carrying the server's code, field and
// message; `errorText` puts a server error into the reader's language.
import { t, lang } from './i18n.js';
import { reasonWords } from './vocabulary.js';

/** A failed request: HTTP status, the server's `{code, field, message, existingID}` and a message. */
export class ApiError extends Error {
  constructor(status, error, message) {
    super(message);
    this.status = status;
    this.error = error || null;
  }
}

/** A query string with every value percent-encoded (a space as %20: the server does not read `+` as a space). */
export function query(params) {
  return Object.keys(params).filter((k) => params[k] !== undefined && params[k] !== null && params[k] !== '')
    .map((k) => encodeURIComponent(k) + '=' + encodeURIComponent(String(params[k]))).join('&');
}

/** The signed-in account (`GET /api/session`, see session.js): its CSRF token goes with every change. */
export const session = { name: '', role: '', csrfToken: '' };

/** Calls the API. `opts`: method, body (JSON), raw + contentType (upload), signal. */
export async function api(path, opts) {
  opts = opts || {};
  const init = { method: opts.method || 'GET', headers: { Accept: 'application/json' }, cache: 'no-store', signal: opts.signal, credentials: 'same-origin' };
  if (opts.raw !== undefined) {
    init.headers['Content-Type'] = opts.contentType || 'application/octet-stream';
    init.body = opts.raw;
  } else if (opts.body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(opts.body);
  }
  if (init.method !== 'GET' && session.csrfToken) init.headers['X-CSRF-Token'] = session.csrfToken;
  if (opts.headers) Object.assign(init.headers, opts.headers);
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    if (e && e.name === 'AbortError') throw e;
    throw new ApiError(0, null, t('errNetwork'));
  }
  // Signed out (session expired, revoked): the sign-in page brings the operator back.
  if (res.status === 401) { location.assign('/login' + location.hash); throw new ApiError(401, null, t('errHTTP', { status: 401 })); }
  if (res.status === 204) return null;
  let text = '';
  try { text = await res.text(); } catch (e) { throw new ApiError(res.status, null, t('errNetwork')); }
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch (e) {
      if (res.ok) throw new ApiError(res.status, null, t('errBadJSON'));
    }
  }
  if (!res.ok) {
    const err = data && typeof data === 'object' ? data.error : null;
    const msg = (err && err.message) ? String(err.message) : t('errHTTP', { status: res.status });
    throw new ApiError(res.status, err && typeof err === 'object' ? err : null, msg);
  }
  return data;
}

/**
 * An error in the reader's language: the words for the server's code (and the field it names);
 * in Korean the server's own English sentence is kept only as the detail (`errorDetail`).
 */
export function errorText(e) {
  if (!(e instanceof ApiError) || !e.error || !e.error.code) return (e && e.message) ? e.message : String(e);
  const words = reasonWords(e.error.code);
  const field = e.error.field ? fieldName(e.error.field) : '';
  if (lang === 'en') return e.message || words || e.error.code;
  return (words || e.error.code) + (field ? ' (' + field + ')' : '');
}
/** The server's own sentence, for a tooltip; empty when it is what `errorText` shows. */
export function errorDetail(e) {
  if (!(e instanceof ApiError) || !e.error || lang === 'en') return '';
  return e.message || '';
}
/** A field's label (`field.address` …), else the field's own name. */
export function fieldName(field) {
  const k = 'field.' + String(field).replace(/^camera\./, '').replace(/^silence\./, 'silence.');
  const s = t(k);
  return s === k ? String(field) : s;
}
