// Logging in with an API key: its id and its secret (the whole key,
// "tk.<tenant>.<key id>.<secret>"). A tenant admin's key is exchanged for a
// short-lived access token at /oauth/token (RFC 6749 §4.4, client
// credentials); an operator's key ("tk.platform.…") is checked against the
// control plane and kept as the bearer, since no token is issued for it.
import {api, ApiError} from './api.js';
import {field, h, showError} from './dom.js';
import {saveSession} from './session.js';

// The key id inside a key, or '' when the text is not shaped like a key.
export function keyIdOf(secret) {
  const parts = secret.trim().split('.');
  return parts.length === 4 && parts[0] === 'tk' ? parts[2] : '';
}

export async function logIn(keyId, secret) {
  secret = secret.trim();
  keyId = keyId.trim() || keyIdOf(secret);
  if (!secret) throw new ApiError(0, 'Enter the API key secret', '', 'local');
  if (!keyId) throw new ApiError(0, 'Enter the API key id', 'it is the third part of the key (tk.<tenant>.<key id>.<secret>)', 'local');
  if (secret.startsWith('tk.platform.')) {
    if (keyIdOf(secret) !== keyId) throw new ApiError(401, 'invalid client', 'the key id does not match the key', 'invalid_client');
    await api('GET', '/v1/tenants?limit=1', {token: secret});
    const session = {mode: 'operator', token: secret, label: 'platform operator'};
    saveSession(session);
    return session;
  }
  const form = new URLSearchParams({grant_type: 'client_credentials', client_id: keyId, client_secret: secret});
  const token = await api('POST', '/oauth/token', {form, auth: false});
  const tenant = await api('GET', '/v1/tenant', {token: token.access_token});
  // Renew a little early so a request never goes out with a token about to lapse.
  const lifetime = Math.max(10, Number(token.expires_in) - 10) * 1000;
  const session = {mode: 'tenant', token: token.access_token, expiresAt: Date.now() + lifetime,
                   label: tenant.slug, tenantId: tenant.id};
  saveSession(session);
  return session;
}

// The login form; calls onDone(session) once logged in.
export function loginView(main, onDone, notice) {
  const keyId = h('input', {id: 'login-key-id', name: 'key_id', autocomplete: 'username', spellcheck: 'false'});
  const secret = h('input', {id: 'login-secret', name: 'secret', type: 'password', autocomplete: 'current-password',
                             required: true, spellcheck: 'false'});
  const status = h('div', {class: 'status', id: 'login-status', role: 'status', 'aria-live': 'polite'});
  if (notice) showError(status, notice);
  secret.addEventListener('input', () => {
    const id = keyIdOf(secret.value);
    if (id && !keyId.value) keyId.placeholder = id;
  });
  const submit = h('button', {type: 'submit', id: 'login-submit'}, 'Log in');
  const form = h('form', {class: 'card form login', id: 'login', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    submit.disabled = true;
    try {
      onDone(await logIn(keyId.value, secret.value));
    } catch (err) {
      showError(status, err);
    } finally {
      submit.disabled = false;
    }
  }},
    h('h1', {}, 'Log in'),
    h('p', {class: 'hint'}, 'Tenant admins use their tenant admin API key; platform operators use an operator key.'),
    field('API key id', keyId, 'Filled in from the key when left empty.'),
    field('API key secret', secret),
    h('div', {class: 'actions'}, submit, h('a', {href: '/admin/signup.html'}, 'New here? Sign up')),
    status);
  main.replaceChildren(form);
  secret.focus();
}
