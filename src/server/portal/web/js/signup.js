// The public sign-up page: POST /v1/signup {name, slug, admin_email} → 201
// with the new tenant and its first admin's key, shown once.
import {api} from './api.js';
import {clearStatus, show, showError} from './dom.js';
import {credentialsCard} from './credentials.js';

// "Acme Rides, Inc." → "acme-rides-inc": a suggestion the user may edit.
export function slugFrom(name) {
  return name.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
}

const form = document.getElementById('signup');
const name = document.getElementById('signup-name');
const slug = document.getElementById('signup-slug');
const email = document.getElementById('signup-email');
const status = document.getElementById('signup-status');
const result = document.getElementById('signup-result');
const submit = document.getElementById('signup-submit');
let slugEdited = false;

slug.addEventListener('input', () => { slugEdited = slug.value !== ''; });
name.addEventListener('input', () => { if (!slugEdited) slug.value = slugFrom(name.value); });

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  clearStatus(status);
  for (const input of [name, slug, email]) input.removeAttribute('aria-invalid');
  const missing = [name, slug, email].find((input) => !input.checkValidity());
  if (missing) {
    missing.setAttribute('aria-invalid', 'true');
    showError(status, {title: 'Check the form', detail: `${missing.labels[0].firstChild.textContent.trim()}: ${missing.validationMessage}`});
    missing.focus();
    return;
  }
  submit.disabled = true;
  try {
    const created = await api('POST', '/v1/signup', {auth: false, body: {
      name: name.value.trim(), slug: slug.value.trim(), admin_email: email.value.trim()}});
    form.hidden = true;
    show(result, credentialsCard(created));
  } catch (err) {
    if (err.status === 429 && err.retryAfter) err.detail = `${err.detail || ''} Try again in ${err.retryAfter} s.`.trim();
    showError(status, err);
  } finally {
    submit.disabled = false;
  }
});
