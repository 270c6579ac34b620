'use strict';
(function () {
  const { call, $ } = window.CCTVAccess;
  $('setup').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('error').textContent = '';
    if ($('password').value !== $('again').value) { $('error').textContent = '비밀번호가 다릅니다 / The passwords differ'; return; }
    try {
      await call('POST', '/api/setup', { code: $('code').value.trim(), name: $('name').value.trim(), password: $('password').value });
      location.assign('/');
    } catch (e) {
      if (e.code === 'already_set_up') { location.assign('/login'); return; }
      $('error').textContent = e.message;
    }
  });
  $('code').focus();
})();
