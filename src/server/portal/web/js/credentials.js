// A freshly issued credential, shown once (sign-up and onboarding answer
// with the admin's key and never show it again).
import {h} from './dom.js';

// `onboarded` is the control plane's answer: {tenant, admin: {api_key: {client_id, key}}}.
export function credentialsCard(onboarded) {
  const key = onboarded.admin && onboarded.admin.api_key ? onboarded.admin.api_key : {};
  const tenant = onboarded.tenant || {};
  return h('section', {class: 'card once', id: 'credentials', 'aria-label': 'New credentials'},
    h('h2', {}, `Tenant ${tenant.slug || ''} is ready`),
    h('p', {}, 'Copy the admin key now: it is shown only once and cannot be recovered.'),
    h('p', {}, 'Key id'), h('div', {class: 'credential', id: 'cred-key-id'}, key.client_id || ''),
    h('p', {}, 'Secret'), h('div', {class: 'credential', id: 'cred-secret'}, key.key || ''),
    h('p', {class: 'hint'}, 'Log in at ', h('a', {href: '/admin'}, '/admin'), ' with these.'));
}
