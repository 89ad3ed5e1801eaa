// The signed-in caller, kept in sessionStorage: it lives as long as the tab
// and is not shared with other tabs or kept after the browser closes.
//
// A tenant admin holds a short-lived access token from /oauth/token. A
// platform operator holds the operator API key itself, because the token
// endpoint does not issue tokens for platform keys (they act on the control
// plane, not inside a tenant).
const kKey = 'tenancyd.portal.session';

// {mode: 'tenant' | 'operator', token, expiresAt (ms, tenant mode), label}
export function loadSession() {
  try {
    const s = JSON.parse(sessionStorage.getItem(kKey) || 'null');
    if (!s || typeof s.token !== 'string' || (s.mode !== 'tenant' && s.mode !== 'operator')) return null;
    if (s.expiresAt && Date.now() >= s.expiresAt) {
      clearSession();
      return null;
    }
    return s;
  } catch {
    return null;
  }
}

export function saveSession(session) {
  sessionStorage.setItem(kKey, JSON.stringify(session));
}

export function clearSession() {
  sessionStorage.removeItem(kKey);
}
