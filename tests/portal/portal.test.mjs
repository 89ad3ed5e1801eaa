// The admin portal in headless Chromium against the real tenancyd binary:
// the operator onboards a tenant from the tenants page; the tenant admin logs
// in, edits the branding (the preview follows as they type), saves, reloads
// and finds it applied, and works the zones, pricing, flags and usage pages;
// the operator quarantines and releases the tenant; the sign-up page creates
// a tenant (POST /v1/signup) and shows its key once. Each step is checked in the page and, where it changes state,
// through the API. Screenshots go to $PORTAL_ARTIFACTS.
//
// Run by run.sh (ctest: portal_browser), which sets PORTAL_TENANCYD,
// TENANCY_CHROMIUM and PORTAL_ARTIFACTS.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline';
import {after, before, describe, it} from 'node:test';

import {chromium} from 'playwright-core';

const binary = process.env.PORTAL_TENANCYD;
const artifacts = process.env.PORTAL_ARTIFACTS || join(process.cwd(), 'screenshots');
const executablePath = process.env.TENANCY_CHROMIUM || '/usr/bin/chromium';
assert.ok(binary, 'PORTAL_TENANCYD must name the tenancyd binary');
mkdirSync(artifacts, {recursive: true});

const kTimeout = 15000;
const kGreen = '#0A7D33';
const kGreenRgb = 'rgb(10, 125, 51)';
const kDefaultRgb = 'rgb(31, 41, 55)';  // the platform's default branding, #1F2937

let server;       // the tenancyd child process
let base;         // http://127.0.0.1:PORT
let dataRoot;
let browser;
let operatorKey;
let tenant;       // {slug, id, keyId, secret}
const pageErrors = [];
const cspViolations = [];

// Starts tenancyd on a free port; resolves with its base URL.
function startServer(dataDir) {
  return new Promise((resolve, reject) => {
    // tenancyd reads TENANCYD_* settings (and refuses unknown ones): none
    // from the caller's environment may change this run.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TENANCYD_')));
    const child = spawn(binary, ['--listen', '127.0.0.1:0', '--data', dataDir, '--threads', '2'],
                        {stdio: ['ignore', 'pipe', 'inherit'], env});
    server = child;
    const timer = setTimeout(() => reject(new Error('tenancyd did not print its port in 30 s')), 30000);
    child.once('exit', (code) => reject(new Error(`tenancyd exited early (${code})`)));
    createInterface({input: child.stdout}).on('line', (line) => {
      const m = /^listening on (127\.0\.0\.1:\d+)$/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(`http://${m[1]}`);
      }
    });
  });
}

async function apiCall(method, path, {token, body, form} = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  let payload;
  if (form) {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    payload = new URLSearchParams(form).toString();
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const res = await fetch(base + path, {method, headers, body: payload});
  const text = await res.text();
  return {status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null};
}

async function tenantToken(keyId, secret) {
  const res = await apiCall('POST', '/oauth/token', {form: {grant_type: 'client_credentials', client_id: keyId, client_secret: secret}});
  assert.equal(res.status, 200, JSON.stringify(res.json));
  return res.json.access_token;
}

// A fresh browser context (its own sessionStorage) with the error watchers.
async function newPage() {
  const context = await browser.newContext({viewport: {width: 1200, height: 860}});
  const page = await context.newPage();
  page.setDefaultTimeout(kTimeout);
  page.on('pageerror', (err) => pageErrors.push(String(err)));
  page.on('console', (msg) => {
    if (/Content.Security.Policy|Refused to/i.test(msg.text())) cspViolations.push(msg.text());
  });
  return page;
}

async function shot(page, name) {
  const path = join(artifacts, `${name}.png`);
  await page.screenshot({path, fullPage: true});
  console.log(`screenshot: ${path}`);
}

async function logIn(page, keyId, secret, view) {
  await page.goto(`${base}/admin`);
  await page.locator('#login-secret').fill(secret);
  if (keyId) await page.locator('#login-key-id').fill(keyId);
  await page.locator('#login-submit').click();
  // Either the view opens or the login form says why not (then fail with its words).
  try {
    await page.locator(`main[data-view="${view}"], #login-status.error`).first().waitFor();
  } catch (err) {
    await shot(page, `failed-login-${view}`);
    throw new Error(`${view} did not open; the page shows: ${await page.locator('main').textContent()}`, {cause: err});
  }
  if (await page.locator('#login-status.error').count()) {
    assert.fail(`login refused: ${await page.locator('#login-status').textContent()}`);
  }
  await page.locator(`main[data-view="${view}"]`).waitFor();
}

const backgroundOf = (page, selector) =>
  page.locator(selector).evaluate((el) => getComputedStyle(el).backgroundColor);

before(async () => {
  dataRoot = mkdtempSync(join(process.env.TENANCY_TEST_TMP || tmpdir(), 'portal-'));
  base = await startServer(join(dataRoot, 'data'));
  operatorKey = readFileSync(join(dataRoot, 'data', 'bootstrap-operator.key'), 'utf8').trim();
  assert.match(operatorKey, /^tk\.platform\./);
  browser = await chromium.launch({executablePath, headless: true});
});

after(async () => {
  if (browser) await browser.close();
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  if (dataRoot && !process.env.TENANCY_KEEP_TEST_DIRS) rmSync(dataRoot, {recursive: true, force: true});
});

describe('tenancyd admin portal', () => {
  it('serves the portal with a strict CSP and nosniff', async () => {
    const res = await fetch(`${base}/admin`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^text\/html/);
    const csp = res.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const missing = await fetch(`${base}/admin/js/missing.js`);
    assert.equal(missing.status, 404);
  });

  it('refuses a wrong key on the login page with the server\'s words', async () => {
    const page = await newPage();
    await page.goto(`${base}/admin`);
    await page.locator('#login-secret').fill('tk.tn_nope.kid_nope.c2VjcmV0');
    await page.locator('#login-submit').click();
    await page.locator('#login-status.error').waitFor();
    assert.match(await page.locator('#login-status').textContent(), /invalid client/i);
    assert.equal(await page.locator('main[data-view]').count(), 0);
    await page.context().close();
  });

  it('lets the operator onboard a tenant from the tenants page', async () => {
    const page = await newPage();
    // The key id is left empty: the page takes it from the key.
    await logIn(page, '', operatorKey, 'tenants');
    assert.match(await page.locator('#who').textContent(), /operator/);
    await page.locator('#onboard-slug').fill('acme-rides');
    await page.locator('#onboard-name').fill('Acme Rides Ltd');
    await page.locator('#onboard-email').fill('admin@acme.example');
    // The standard plan: while quarantined its rate (x0.1) still serves a page's few calls.
    await page.locator('#onboard-tier').selectOption('standard');
    await page.locator('#onboard-submit').click();
    await page.locator('#cred-secret').waitFor();
    const keyId = (await page.locator('#cred-key-id').textContent()).trim();
    const secret = (await page.locator('#cred-secret').textContent()).trim();
    assert.match(secret, /^tk\.tn_[^.]+\.[^.]+\.[^.]+$/);
    assert.equal(secret.split('.')[2], keyId);
    const row = page.locator('tr[data-tenant="acme-rides"]');
    await row.waitFor();
    assert.equal(await row.locator('[data-role="state"]').textContent(), 'active');
    assert.match(await row.textContent(), /standard/);
    // A duplicate slug: the API's problem is shown.
    await page.locator('#onboard-slug').fill('acme-rides');
    await page.locator('#onboard-email').fill('other@acme.example');
    await page.locator('#onboard-submit').click();
    await page.locator('#onboard-status.error').waitFor();
    assert.match(await page.locator('#onboard-status').textContent(), /Conflict|exists/i);
    const listed = await apiCall('GET', '/v1/tenants/acme-rides', {token: operatorKey});
    assert.equal(listed.status, 200);
    tenant = {slug: 'acme-rides', id: listed.json.id, keyId, secret};
    await page.context().close();
  });

  it('edits branding with a live preview, saves it, and shows it after a reload', async () => {
    const page = await newPage();
    await logIn(page, tenant.keyId, tenant.secret, 'branding');
    assert.equal(await page.locator('#who').textContent(), 'tenant acme-rides');
    assert.equal(await page.locator('#brand-name').textContent(), 'Fleet');
    assert.equal(await backgroundOf(page, '#top'), kDefaultRgb);
    assert.equal(await page.locator('#brand-name-input').inputValue(), 'Fleet');

    // The preview follows each keystroke; the header waits for the save.
    await page.locator('#brand-name-input').fill('');
    await page.locator('#brand-name-input').pressSequentially('Acme Rides');
    assert.equal(await page.locator('#preview-name').textContent(), 'Acme Rides');
    await page.locator('#brand-primary').fill(kGreen);
    assert.equal(await backgroundOf(page, '#preview-bar'), kGreenRgb);
    assert.equal(await page.locator('#preview-bar').evaluate((el) => getComputedStyle(el).color), 'rgb(255, 255, 255)');
    assert.equal(await page.locator('#brand-name').textContent(), 'Fleet');
    assert.equal(await backgroundOf(page, '#top'), kDefaultRgb);
    await shot(page, 'branding-preview');

    // A light colour turns the preview's text dark.
    await page.locator('#brand-primary').fill('#FDE68A');
    assert.equal(await page.locator('#preview-bar').evaluate((el) => getComputedStyle(el).color), 'rgb(17, 24, 39)');

    // An invalid colour is marked, leaves the preview alone, and the
    // server's refusal is shown when saved anyway.
    await page.locator('#brand-primary').fill(kGreen);
    await page.locator('#brand-primary').fill('#0A7D3');
    assert.equal(await page.locator('#brand-primary').getAttribute('aria-invalid'), 'true');
    assert.equal(await backgroundOf(page, '#preview-bar'), kGreenRgb);
    await page.locator('#branding-save').click();
    await page.locator('#branding-status.error').waitFor();
    const refusal = await page.locator('#branding-status').textContent();
    assert.match(refusal, /Unprocessable Content/);
    assert.match(refusal, /primary_color/);
    const unchanged = await apiCall('GET', '/v1/branding', {token: await tenantToken(tenant.keyId, tenant.secret)});
    assert.equal(unchanged.json.name, 'Fleet');

    await page.locator('#brand-primary').fill(kGreen);
    assert.equal(await page.locator('#brand-primary').getAttribute('aria-invalid'), 'false');
    await page.locator('#branding-save').click();
    await page.locator('#branding-status.ok').waitFor();
    assert.equal(await page.locator('#brand-name').textContent(), 'Acme Rides');
    assert.equal(await backgroundOf(page, '#top'), kGreenRgb);
    await shot(page, 'branding-saved');

    await page.reload();
    await page.locator('main[data-view="branding"]').waitFor();
    assert.equal(await page.locator('#brand-name').textContent(), 'Acme Rides');
    assert.equal(await backgroundOf(page, '#top'), kGreenRgb);
    assert.equal(await page.locator('#brand-name-input').inputValue(), 'Acme Rides');
    assert.equal((await page.locator('#brand-primary').inputValue()).toUpperCase(), kGreen);
    assert.equal(await backgroundOf(page, '#preview-bar'), kGreenRgb);
    assert.equal(await page.title(), 'Acme Rides · admin');
    await shot(page, 'branding-reloaded');

    // The API agrees: the settings changed, as the tenant's own layer.
    const token = await tenantToken(tenant.keyId, tenant.secret);
    const branding = await apiCall('GET', '/v1/branding', {token});
    assert.equal(branding.status, 200);
    assert.equal(branding.json.name, 'Acme Rides');
    assert.equal(branding.json.primary_color, kGreen);
    const settings = await apiCall('GET', '/v1/settings', {token});
    assert.equal(settings.json.settings.branding.name, 'Acme Rides');
    assert.ok(settings.json.versions.tenant >= 1);
    await page.context().close();
  });

  it('adds, draws and deletes a zone, and shows GeoJSON errors', async () => {
    const page = await newPage();
    await logIn(page, tenant.keyId, tenant.secret, 'branding');
    await page.locator('#nav-zones').click();
    await page.locator('main[data-view="zones"]').waitFor();
    await page.locator('#zone-id').fill('center');
    await page.locator('#zone-name').fill('City center');
    await page.locator('#zone-geometry').fill('{"type": "Polygon", "coordinates": [[[13.3, 52.5], [13.5, 52.5], [13.5, 52.6], [13.3, 52.5]]]}');
    await page.locator('#zone-add').click();
    await page.locator('tr[data-zone="center"]').waitFor();
    assert.equal(await page.locator('svg.map polygon').count(), 1);
    const token = await tenantToken(tenant.keyId, tenant.secret);
    const zones = await apiCall('GET', '/v1/zones', {token});
    assert.deepEqual(zones.json.features.map((f) => f.properties.id), ['center']);

    // An open ring is refused by the server, which names the problem.
    await page.locator('#zone-id').fill('open');
    await page.locator('#zone-geometry').fill('{"type": "Polygon", "coordinates": [[[13.3, 52.5], [13.5, 52.5], [13.5, 52.6], [13.4, 52.7]]]}');
    await page.locator('#zone-add').click();
    await page.locator('#zones-status.error').waitFor();
    assert.match(await page.locator('#zones-status').textContent(), /closed/);
    // Not JSON: caught before sending.
    await page.locator('#zone-geometry').fill('{not json');
    await page.locator('#zone-add').click();
    await page.waitForFunction(() => /not JSON/.test(document.getElementById('zones-status').textContent));
    await shot(page, 'zones');

    page.once('dialog', (d) => d.accept());
    await page.locator('tr[data-zone="center"] button').click();
    await page.locator('#zones-status.ok').waitFor();
    assert.equal(await page.locator('tr[data-zone="center"]').count(), 0);
    const after = await apiCall('GET', '/v1/zones', {token});
    assert.equal(after.json.features.length, 0);
    await page.context().close();
  });

  it('saves pricing and shows the schema\'s refusal', async () => {
    const page = await newPage();
    await logIn(page, tenant.keyId, tenant.secret, 'branding');
    await page.locator('#nav-pricing').click();
    await page.locator('main[data-view="pricing"]').waitFor();
    await page.locator('#pricing-currency').fill('EUR');
    await page.locator('#pricing-base_fare').fill('250');
    await page.locator('#pricing-per_km').fill('120');
    await page.locator('#pricing-save').click();
    await page.locator('#pricing-status.ok').waitFor();
    const token = await tenantToken(tenant.keyId, tenant.secret);
    const pricing = await apiCall('GET', '/v1/pricing', {token});
    assert.equal(pricing.json.currency, 'EUR');
    assert.equal(pricing.json.base_fare, 250);
    assert.equal(pricing.json.per_km, 120);

    await page.locator('#pricing-currency').fill('E1R');
    await page.locator('#pricing-save').click();
    await page.locator('#pricing-status.error').waitFor();
    assert.match(await page.locator('#pricing-status').textContent(), /currency/);
    await page.locator('#pricing-currency').fill('EUR');
    await page.locator('#pricing-surge').fill('[{');
    await page.locator('#pricing-save').click();
    await page.waitForFunction(() => /Surge is not JSON/.test(document.getElementById('pricing-status').textContent));
    const still = await apiCall('GET', '/v1/pricing', {token});
    assert.equal(still.json.currency, 'EUR');
    await page.context().close();
  });

  it('lists and edits flags, showing validation errors', async () => {
    const page = await newPage();
    await logIn(page, tenant.keyId, tenant.secret, 'branding');
    await page.locator('#nav-flags').click();
    await page.locator('main[data-view="flags"]').waitFor();
    const good = {flags: {'new-checkout': {state: 'ENABLED', variants: {on: true, off: false}, defaultVariant: 'on'}}};
    await page.locator('#flags-editor').fill(JSON.stringify(good));
    await page.locator('#flags-save').click();
    await page.locator('tr[data-flag="new-checkout"]').waitFor();
    assert.match(await page.locator('tr[data-flag="new-checkout"]').textContent(), /ENABLED/);

    const bad = {flags: {'broken-flag': {state: 'ENABLED', variants: {on: true}, defaultVariant: 'missing'}}};
    await page.locator('#flags-editor').fill(JSON.stringify(bad));
    await page.locator('#flags-save').click();
    await page.locator('#flags-status.error').waitFor();
    assert.match(await page.locator('#flags-status').textContent(), /broken-flag/);
    await page.locator('#flags-editor').fill('{"flags": ');
    await page.locator('#flags-save').click();
    await page.waitForFunction(() => /not JSON/.test(document.getElementById('flags-status').textContent));
    await shot(page, 'flags');

    const token = await tenantToken(tenant.keyId, tenant.secret);
    const flags = await apiCall('GET', '/v1/flags', {token});
    assert.deepEqual(Object.keys(flags.json.flags), ['new-checkout']);
    await page.context().close();
  });

  it('charts usage and quota status', async () => {
    // Two vehicles in use: the bar is as long as their share of the plan's.
    const token = await tenantToken(tenant.keyId, tenant.secret);
    for (const plate of ['B-AR 1', 'B-AR 2']) {
      const made = await apiCall('POST', '/v1/vehicles', {token, body: {plate}});
      assert.equal(made.status, 201, JSON.stringify(made.json));
    }
    const page = await newPage();
    await logIn(page, tenant.keyId, tenant.secret, 'branding');
    await page.locator('#nav-usage').click();
    await page.locator('main[data-view="usage"]').waitFor();
    const quotas = await apiCall('GET', '/v1/quotas', {token});
    const names = quotas.json.items.map((q) => q.name).sort();
    assert.ok(names.length >= 3);
    const rows = await page.locator('#quota-chart svg g[data-row]').evaluateAll((gs) => gs.map((g) => g.dataset.row).sort());
    assert.deepEqual(rows, names);
    // Each bar is as long as its share of the limit.
    const vehicles = quotas.json.items.find((q) => q.name === 'vehicles');
    assert.equal(vehicles.used, 2);
    const track = Number(await page.locator('#quota-chart g[data-row="vehicles"] rect.track').getAttribute('width'));
    const bar = Number(await page.locator('#quota-chart g[data-row="vehicles"] rect.bar').getAttribute('width'));
    assert.ok(track > 0);
    assert.ok(Math.abs(bar - track * vehicles.used / vehicles.limit) < 0.2, `bar ${bar} of ${track}`);
    assert.match(await page.locator('#quota-chart').textContent(), new RegExp(`${vehicles.used} / ${vehicles.limit}`));
    await shot(page, 'usage');
    await page.context().close();
  });

  it('lets the operator quarantine and release the tenant, with a reason', async () => {
    const operator = await newPage();
    await logIn(operator, '', operatorKey, 'tenants');
    const row = operator.locator('tr[data-tenant="acme-rides"]');
    await row.locator('button[data-action="quarantine"]').click();
    await operator.locator('#confirm-dialog').waitFor();
    await operator.locator('#confirm-ok').click();  // no reason yet
    assert.match(await operator.locator('#confirm-dialog .status').textContent(), /reason is required/);
    await operator.locator('#confirm-reason').fill('portal browser test: error spike');
    await operator.locator('#confirm-ok').click();
    await operator.locator('tr[data-tenant="acme-rides"][data-state="quarantined"]').waitFor();
    assert.equal(await operator.locator('tr[data-tenant="acme-rides"] [data-role="state"]').textContent(), 'quarantined');
    let api = await apiCall('GET', '/v1/tenants/acme-rides', {token: operatorKey});
    assert.equal(api.json.state, 'quarantined');
    await shot(operator, 'tenants-quarantined');

    // The quarantined tenant may read but not write: its admin sees why.
    const admin = await newPage();
    await logIn(admin, tenant.keyId, tenant.secret, 'branding');
    await admin.locator('#branding-save').click();
    await admin.locator('#branding-status.error').waitFor();
    assert.match(await admin.locator('#branding-status').textContent(), /read|quarantin/i);

    // Cancelling changes nothing.
    await operator.locator('tr[data-tenant="acme-rides"] button[data-action="resume"]').click();
    await operator.locator('#confirm-cancel').click();
    assert.equal(await operator.locator('#confirm-dialog').count(), 0);
    api = await apiCall('GET', '/v1/tenants/acme-rides', {token: operatorKey});
    assert.equal(api.json.state, 'quarantined');

    await operator.locator('tr[data-tenant="acme-rides"] button[data-action="resume"]').click();
    await operator.locator('#confirm-reason').fill('portal browser test: resolved');
    await operator.locator('#confirm-ok').click();
    await operator.locator('tr[data-tenant="acme-rides"][data-state="active"]').waitFor();
    api = await apiCall('GET', '/v1/tenants/acme-rides', {token: operatorKey});
    assert.equal(api.json.state, 'active');
    const history = await apiCall('GET', '/v1/tenants/acme-rides/history', {token: operatorKey});
    assert.ok(history.json.items.some((s) => s.to === 'quarantined' && /error spike/.test(s.reason)));
    await shot(operator, 'tenants-released');

    await admin.locator('#branding-save').click();
    await admin.locator('#branding-status.ok').waitFor();
    await admin.context().close();
    await operator.context().close();
  });

  it('logs out, leaving nothing in sessionStorage', async () => {
    const page = await newPage();
    await logIn(page, tenant.keyId, tenant.secret, 'branding');
    await page.locator('#logout').click();
    await page.locator('#login').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    assert.equal(await backgroundOf(page, '#top'), kDefaultRgb);
    await page.context().close();
  });

  it('signs up a company on the sign-up page', async () => {
    const page = await newPage();
    await page.goto(`${base}/admin/signup.html`);
    await page.locator('#signup-submit').click();
    await page.locator('#signup-status.error').waitFor();
    assert.match(await page.locator('#signup-status').textContent(), /Check the form/);
    await page.locator('#signup-name').fill('Zed Cabs, Inc.');
    assert.equal(await page.locator('#signup-slug').inputValue(), 'zed-cabs-inc');
    await page.locator('#signup-email').fill('owner@zedcabs.example');
    const answered = page.waitForResponse((r) => r.url().endsWith('/v1/signup'));
    await page.locator('#signup-submit').click();
    const res = await answered;
    assert.equal(res.status(), 201, 'POST /v1/signup (the contracts work) must be served');
    await page.locator('#cred-secret').waitFor();
    const keyId = (await page.locator('#cred-key-id').textContent()).trim();
    const secret = (await page.locator('#cred-secret').textContent()).trim();
    assert.equal(await page.locator('#signup').isHidden(), true);
    const token = await tenantToken(keyId, secret);
    const self = await apiCall('GET', '/v1/tenant', {token});
    assert.equal(self.json.slug, 'zed-cabs-inc');
    await shot(page, 'signup-done');

    // The same slug again: the API's conflict is shown on a fresh form.
    await page.goto(`${base}/admin/signup.html`);
    await page.locator('#signup-name').fill('Zed Cabs, Inc.');
    await page.locator('#signup-email').fill('other@zedcabs.example');
    await page.locator('#signup-submit').click();
    await page.locator('#signup-status.error').waitFor();
    assert.match(await page.locator('#signup-status').textContent(), /Conflict|exists/i);
    assert.equal(await page.locator('#credentials').count(), 0);
    await page.context().close();
  });

  it('ran without script errors or CSP violations', () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(cspViolations, []);
  });
});
