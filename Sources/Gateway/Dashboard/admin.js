'use strict';
// Admin screens: accounts, API tokens (the secret is shown once), one's own password and second
// factor, the audit log. Every value is put in with textContent.
(function () {
  const { el, call, state, $ } = window.CCTVAccess;
  const sitesOf = (text) => { const l = text.split(',').map((s) => s.trim()).filter(Boolean); return l.length ? l : undefined; };
  const show = (id, text, ok) => { $(id).textContent = text || ''; $(id).className = ok ? 'ok' : 'err'; };
  const when = (iso) => iso ? new Date(iso).toLocaleString() : '—';

  async function loadAccounts() {
    const data = await call('GET', '/api/users');
    const rows = data.items.map((a) => el('tr', { 'data-testid': 'account-' + a.name },
      el('td', { text: a.name }), el('td', { text: a.role }), el('td', { text: a.sites ? a.sites.join(', ') : '*' }),
      el('td', { text: a.secondFactor ? '✓' : '' }),
      el('td', null, el('button', { type: 'button', class: 'btn small danger', text: '삭제 / Remove', onclick: async () => {
        if (!confirm(a.name + '?')) return;
        try { await call('DELETE', '/api/users/' + encodeURIComponent(a.name)); loadAccounts(); } catch (e) { show('accountMsg', e.message); }
      } }))));
    $('accountRows').replaceChildren(...rows);
  }
  async function loadTokens() {
    const data = await call('GET', '/api/tokens');
    const rows = data.items.map((t) => el('tr', { 'data-testid': 'token-' + t.id },
      el('td', { text: t.id }), el('td', { text: t.name }), el('td', { text: t.role }), el('td', { text: t.sites ? t.sites.join(', ') : '*' }),
      el('td', { text: t.revokedAt ? '폐기 / revoked' : when(t.expiresAt) }), el('td', { text: when(t.lastUsedAt) }),
      el('td', null, t.revokedAt ? null : el('button', { type: 'button', class: 'btn small danger', text: '폐기 / Revoke', onclick: async () => {
        try { await call('DELETE', '/api/tokens/' + encodeURIComponent(t.id)); loadTokens(); } catch (e) { show('tokenMsg', e.message); }
      } }))));
    $('tokenRows').replaceChildren(...rows);
  }
  let auditBefore = null;
  async function loadAudit(more) {
    const data = await call('GET', '/api/audit?limit=100' + (more && auditBefore ? '&before=' + auditBefore : ''));
    const rows = data.items.map((a) => el('tr', null, el('td', { text: when(a.at) }), el('td', { text: a.actor }), el('td', { text: a.action }),
      el('td', { text: a.target || '' }), el('td', { text: String(a.outcome) + (a.detail ? ' · ' + a.detail : '') }), el('td', { text: a.address || '' })));
    if (data.items.length) auditBefore = data.items[data.items.length - 1].seq;
    if (more) $('auditRows').append(...rows); else $('auditRows').replaceChildren(...rows);
  }

  $('addAccount').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await call('POST', '/api/users', { name: $('accName').value.trim(), password: $('accPassword').value, role: $('accRole').value, sites: sitesOf($('accSites').value) });
      $('addAccount').reset(); show('accountMsg', ''); loadAccounts();
    } catch (e) { show('accountMsg', e.message); }
  });
  $('addToken').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const made = await call('POST', '/api/tokens', { name: $('tokName').value.trim(), role: $('tokRole').value, sites: sitesOf($('tokSites').value), expiresInDays: Number($('tokDays').value) || undefined });
      $('tokenSecret').textContent = made.secret + '  — ' + made.note;
      $('tokenSecret').hidden = false;
      $('addToken').reset(); show('tokenMsg', ''); loadTokens();
    } catch (e) { show('tokenMsg', e.message); }
  });
  $('changePassword').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await call('PUT', '/api/account/password', { current: $('pwCurrent').value, new: $('pwNew').value });
      await refreshSession(); $('changePassword').reset(); show('mineMsg', '변경됨 / Changed', true);
    } catch (e) { show('mineMsg', e.message); }
  });
  $('totpBegin').addEventListener('click', async () => {
    try {
      const enrol = await call('POST', '/api/account/totp');
      $('totpSecret').textContent = enrol.secret + '   ' + enrol.uri;
      $('totpBox').hidden = false;
    } catch (e) { show('mineMsg', e.message); }
  });
  $('totpConfirm').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      await call('POST', '/api/account/totp/confirm', { code: $('totpCode').value.trim() });
      await refreshSession(); $('totpBox').hidden = true; show('mineMsg', '2단계 인증 켜짐 / Two-factor sign-in is on', true); loadAccounts();
    } catch (e) { show('mineMsg', e.message); }
  });
  $('auditMore').addEventListener('click', () => loadAudit(true));

  async function refreshSession() {
    const me = await call('GET', '/api/session');
    state.csrfToken = me.csrfToken || '';
    $('whoami').textContent = me.name + ' · ' + me.role;
  }
  (async () => {
    try { await refreshSession(); } catch (e) { location.assign('/login'); return; }
    await Promise.all([loadAccounts(), loadTokens(), loadAudit(false)]).catch((e) => show('accountMsg', e.message));
  })();
})();
