// The signed-in account: its name and role in the header, the role on <body data-role> so what it
// may not do is hidden (`data-min-role`; the server refuses it anyway), and signing out.
import { $ } from './dom.js';
import { api, session } from './api.js';

const RANK = { viewer: 1, operator: 2, admin: 3 };

/** Whether the signed-in account has at least `role` (viewer < operator < admin). */
export function can(role) { return (RANK[session.role] || 0) >= (RANK[role] || 99); }

/** Reads the session (a 401 goes to the sign-in page) and shows who is signed in. */
export async function loadSession() {
  const me = await api('/api/session');
  session.name = String((me && me.name) || '');
  session.role = String((me && me.role) || '');
  session.csrfToken = String((me && me.csrfToken) || '');
  $('whoami').textContent = session.name + ' · ' + session.role;
  $('adminLink').hidden = session.role !== 'admin';
  document.body.dataset.role = session.role;
  $('logout').onclick = logout;
}

async function logout() {
  try { await api('/api/session', { method: 'DELETE' }); } catch (e) { /* signed out either way */ }
  location.assign('/login');
}
