// A shop front end that handles its session the way many do: an API key in its
// config, a JSON login, a bearer token, a form and a multipart post, and a copy of
// its stored state in the page.
(async () => {
  const status = document.getElementById('status');
  const json = { 'Content-Type': 'application/json' };
  await fetch('/api/catalog', { headers: { 'X-API-Key': window.APP_CONFIG.apiKey } });
  const login = await fetch('/api/login', {
    method: 'POST', headers: json,
    body: JSON.stringify({ user: 'buyer', password: 'PASSWORD-hunter2-9q7w' }),
  });
  const tokens = await login.json();
  sessionStorage.setItem('access_token', tokens.access_token);
  // Only its storage name says what this value is; the page also keeps a copy in markup.
  sessionStorage.setItem('session_token', tokens.profile.handle);
  document.body.dataset.handle = sessionStorage.getItem('session_token');
  const auth = { Authorization: 'Bearer ' + tokens.access_token };
  const me = await (await fetch('/api/me', { headers: auth })).json();
  document.getElementById('card').textContent = me.card_key;
  await (await fetch('/api/blob', { headers: auth })).arrayBuffer();
  const csrf = document.querySelector('input[name=csrf_token]').value;
  await fetch('/api/form', {
    method: 'POST',
    body: new URLSearchParams({ user: 'buyer', passcode: 'PASSCODE-5566-form', csrf_token: csrf }),
  });
  const upload = new FormData();
  upload.append('note', 'NOTE-multipart-visible');
  upload.append('client_secret', 'CLIENTSECRET-multi-8d8d');
  await fetch('/api/upload', { method: 'POST', body: upload });
  const state = localStorage.getItem('app_state');
  const proof = JSON.parse(localStorage.getItem('auth')).jwt;
  await fetch('/api/ping?state=' + encodeURIComponent(state), { headers: { 'X-Client-Proof': proof } });
  document.body.dataset.state = state;
  status.textContent = 'done';
  status.className = 'done';
})();
