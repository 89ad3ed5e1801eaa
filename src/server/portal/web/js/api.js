// Calls to tenancyd's API from the portal. Errors become ApiError with the
// server's words: RFC 9457 problem+json (`title`, `detail`, `code`) or, from
// /oauth/token, RFC 6749's `error` and `error_description`.
import {loadSession} from './session.js';

export class ApiError extends Error {
  constructor(status, title, detail, code, retryAfter) {
    super(detail ? `${title}: ${detail}` : title);
    this.status = status;
    this.title = title;
    this.detail = detail;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

// The session ended (token expired or revoked): the app goes back to login.
export const kSessionEnded = 'tenancyd:session-ended';

// api('GET', '/v1/branding') → parsed JSON (null for 204).
// options: {body: object (sent as JSON), form: URLSearchParams, auth: true,
//           token: a bearer to use instead of the session's}
export async function api(method, path, options = {}) {
  const headers = {Accept: 'application/json, application/problem+json'};
  let body;
  if (options.form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    body = options.form.toString();
  } else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  const auth = options.auth !== false;
  if (auth) {
    const token = options.token || (loadSession() || {}).token;
    if (token) headers.Authorization = `Bearer ${token}`;
  }
  let res;
  try {
    res = await fetch(path, {method, headers, body, credentials: 'omit', cache: 'no-store'});
  } catch (e) {
    throw new ApiError(0, 'The server cannot be reached', String(e && e.message ? e.message : e), 'network');
  }
  if (res.status === 204) return null;
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (res.ok) return data;
  const retryAfter = res.headers.get('Retry-After');
  let err;
  if (data && typeof data.title === 'string') {
    err = new ApiError(res.status, data.title, data.detail || '', data.code || '', retryAfter);
  } else if (data && typeof data.error === 'string') {
    err = new ApiError(res.status, data.error.replace(/_/g, ' '), data.error_description || '', data.error, retryAfter);
  } else {
    err = new ApiError(res.status, `HTTP ${res.status}`, res.statusText || '', '', retryAfter);
  }
  if (res.status === 401 && auth && !options.token) {
    window.dispatchEvent(new CustomEvent(kSessionEnded, {detail: err}));
  }
  throw err;
}
