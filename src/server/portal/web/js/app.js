// The portal's shell: who is signed in decides the sections (a tenant admin:
// dashboard, branding, zones, pricing, flags, usage; an operator: tenants,
// health, success metrics), the first is the landing view, and the location
// hash names the one shown (#/dashboard, #/tenants, ...).
import {api, kSessionEnded} from './api.js';
import {applyBranding, brandingView} from './branding.js';
import {dashboardView} from './dashboard.js';
import {h, showError} from './dom.js';
import {flagsView} from './flags.js';
import {healthView} from './health.js';
import {loginView} from './login.js';
import {pricingView} from './pricing.js';
import {clearSession, loadSession} from './session.js';
import {successView} from './success.js';
import {tenantsView} from './tenants.js';
import {usageView} from './usage.js';
import {zonesView} from './zones.js';

const kSections = {
  tenant: [['dashboard', 'Dashboard', dashboardView], ['branding', 'Branding', brandingView], ['zones', 'Zones', zonesView], ['pricing', 'Pricing', pricingView],
           ['flags', 'Flags', flagsView], ['usage', 'Usage', usageView]],
  operator: [['tenants', 'Tenants', tenantsView], ['health', 'Health', healthView],
             ['success', 'Success metrics', successView]],
};

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
const logout = document.getElementById('logout');

function signedOut(notice) {
  clearSession();
  applyBranding(null);
  nav.replaceChildren();
  who.textContent = '';
  logout.hidden = true;
  if (location.hash) history.replaceState(null, '', location.pathname);
  loginView(main, () => start(), notice);
}

async function start() {
  const session = loadSession();
  if (!session) {
    signedOut();
    return;
  }
  const sections = kSections[session.mode];
  nav.replaceChildren(...sections.map(([id, label]) => h('a', {href: `#/${id}`, id: `nav-${id}`}, label)));
  who.textContent = session.mode === 'operator' ? 'platform operator' : `tenant ${session.label}`;
  logout.hidden = false;
  if (session.mode === 'tenant') {
    try {
      applyBranding(await api('GET', '/v1/branding'));
    } catch {
      applyBranding(null);  // the header stays plain; the section shows the error
    }
  } else {
    applyBranding({name: 'tenancyd operations', primary_color: '#111827'});
  }
  const wanted = location.hash.replace(/^#\//, '');
  if (!sections.some(([id]) => id === wanted)) history.replaceState(null, '', `#/${sections[0][0]}`);
  await render();
}

async function render() {
  const session = loadSession();
  if (!session) {
    signedOut({title: 'Your session ended', detail: 'Log in again.'});
    return;
  }
  const sections = kSections[session.mode];
  const id = location.hash.replace(/^#\//, '');
  const section = sections.find(([s]) => s === id) || sections[0];
  for (const a of nav.querySelectorAll('a')) {
    if (a.id === `nav-${section[0]}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  main.replaceChildren(h('p', {class: 'hint'}, 'Loading…'));
  main.dataset.view = '';
  try {
    await section[2](main, {session});
    main.dataset.view = section[0];
  } catch (err) {
    const status = h('div', {class: 'status'});
    showError(status, err);
    main.replaceChildren(h('h1', {}, section[1]), status);
    main.dataset.view = `${section[0]}-error`;
  }
}

window.addEventListener('hashchange', () => { if (loadSession()) render(); });
window.addEventListener(kSessionEnded, (e) => signedOut({title: 'Your session ended', detail: e.detail && e.detail.detail ? e.detail.detail : 'Log in again.'}));
logout.addEventListener('click', () => signedOut());
start();
