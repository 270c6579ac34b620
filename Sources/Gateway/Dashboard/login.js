'use strict';
(function () {
  const { call, $ } = window.CCTVAccess;
  $('login').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('error').textContent = '';
    const body = { name: $('name').value.trim(), password: $('password').value };
    if (!$('codeRow').hidden) body.code = $('code').value.trim();
    try {
      await call('POST', '/api/session', body);
      // A deep link (#camera=…, kept by the browser through the redirect to /login) opens after signing in.
      location.assign('/' + location.hash);
    } catch (e) {
      if (e.code === 'second_factor_required') { $('codeRow').hidden = false; $('code').focus(); }
      $('error').textContent = e.message;
    }
  });
  $('name').focus();
})();
