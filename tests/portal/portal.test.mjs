// The admin portal in headless Chromium against the real tenancyd binary:
// the operator onboards a tenant from the tenants page; the tenant admin logs
// in, edits the branding (the preview follows as they type), saves, reloads
// and finds it applied, and works the zones, pricing, flags and usage pages; the dashboard (the
// landing view) shows the traffic, errors, latency, quota bars, health and
// logs the API reports; the operator sees every tenant's health and the
// incidents, quarantines and releases the tenant (its health follows), and
// reads the success metrics and idle tenants; the sign-up page creates
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
    // CPU read at most once a second: most access lines then say
    // "cpu_us":null, a shape the log view must show without a placeholder.
    const child = spawn(binary, ['--listen', '127.0.0.1:0', '--data', dataDir, '--threads', '2',
                                 '--cpu-read-interval', '1s'],
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

// Opens a section from the navigation and waits for its view.
async function openSection(page, id) {
  await page.locator(`#nav-${id}`).click();
  await page.locator(`main[data-view="${id}"]`).waitFor();
}

// Requests by status class from GET /v1/tenant/metrics (the
// `…requests_total{status_class}` counter): {total, '4xx': n, ...}.
function statusClassCounts(metrics) {
  const out = {total: 0};
  for (const m of metrics.metrics) {
    if (m.type !== 'counter' || !/requests_total$/.test(m.name)) continue;
    for (const s of m.series) {
      if (!s.labels.status_class) continue;
      out[s.labels.status_class] = (out[s.labels.status_class] || 0) + s.value;
      out.total += s.value;
    }
  }
  return out;
}

// A view never shows a missing value as "null", "undefined" or "NaN".
async function assertNoPlaceholders(page) {
  assert.doesNotMatch(await page.locator('main').textContent(), /\bnull\b|\bundefined\b|\bNaN\b/);
}

// A data-value attribute as a number (the figure cards keep the API's value there).
async function dataValue(page, selector) {
  const text = await page.locator(selector).getAttribute('data-value');
  assert.notEqual(text, null, `${selector} has no data-value`);
  return Number(text);
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
    await logIn(page, tenant.keyId, tenant.secret, 'dashboard');
    await openSection(page, 'branding');
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
    await logIn(page, tenant.keyId, tenant.secret, 'dashboard');
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
    await logIn(page, tenant.keyId, tenant.secret, 'dashboard');
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
    await logIn(page, tenant.keyId, tenant.secret, 'dashboard');
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
    await logIn(page, tenant.keyId, tenant.secret, 'dashboard');
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

  it('lands the tenant admin on a dashboard of real traffic, errors, latency, usage, health and logs', async () => {
    // Real traffic: a few reads and one request the API refuses (4xx).
    const token = await tenantToken(tenant.keyId, tenant.secret);
    for (let i = 0; i < 4; ++i) assert.equal((await apiCall('GET', '/v1/branding', {token})).status, 200);
    const refused = await apiCall('POST', '/v1/vehicles', {token, body: {plate: 7}});
    assert.ok(refused.status >= 400 && refused.status < 500, `a bad vehicle: ${refused.status}`);
    const before = (await apiCall('GET', '/v1/tenant/dashboard', {token})).json;
    const classesBefore = statusClassCounts((await apiCall('GET', '/v1/tenant/metrics', {token})).json);
    assert.ok(before.traffic.requests >= 6, JSON.stringify(before.traffic));
    assert.ok(classesBefore['4xx'] >= 1, JSON.stringify(classesBefore));

    const page = await newPage();
    await logIn(page, tenant.keyId, tenant.secret, 'dashboard');  // the landing view
    assert.equal(await page.locator('#nav-dashboard').getAttribute('aria-current'), 'page');
    const after = (await apiCall('GET', '/v1/tenant/dashboard', {token})).json;
    const classesAfter = statusClassCounts((await apiCall('GET', '/v1/tenant/metrics', {token})).json);

    // Traffic: the view's count lies between the API's before and after it.
    const requests = await dataValue(page, '#dash-requests');
    assert.ok(requests >= before.traffic.requests && requests <= after.traffic.requests,
              `${before.traffic.requests} <= ${requests} <= ${after.traffic.requests}`);
    const columns = await page.locator('#dash-traffic svg rect.bar:not(.part)').evaluateAll(
      (rects) => rects.map((r) => Number(r.getAttribute('data-value'))));
    assert.equal(columns.length, before.traffic.requests_per_minute.length);
    assert.equal(columns.reduce((a, b) => a + b, 0), requests);
    // Server errors (5xx, the SLO's errors) as the route counts them.
    assert.equal(before.traffic.errors, after.traffic.errors, 'no 5xx expected meanwhile');
    assert.ok(Math.abs(await dataValue(page, '#dash-error-ratio') - after.traffic.errors / requests) < 1e-9);
    // Client errors (4xx): the refused request shows, in a non-zero ratio.
    const clientRatio = await dataValue(page, '#dash-client-errors');
    assert.ok(clientRatio > 0, `4xx ratio ${clientRatio}`);
    const [shown4xx, shownTotal] = (await page.locator('#dash-client-errors .hint').textContent())
      .match(/[\d,]+/g).map((n) => Number(n.replace(/,/g, '')));
    assert.ok(shown4xx >= classesBefore['4xx'] && shown4xx <= classesAfter['4xx'], `4xx ${shown4xx}`);
    assert.ok(shownTotal >= classesBefore.total && shownTotal <= classesAfter.total, `total ${shownTotal}`);
    assert.ok(Math.abs(clientRatio - shown4xx / shownTotal) < 1e-9);
    // Latency: p50, p95, p99 over the requests measured.
    const measured = Number(await page.locator('#dash-latency').getAttribute('data-count'));
    assert.ok(measured >= before.latency.count && measured <= after.latency.count, `latency count ${measured}`);
    assert.deepEqual(await page.locator('#dash-latency g[data-row]').evaluateAll((gs) => gs.map((g) => g.dataset.row)),
                     ['p50', 'p95', 'p99']);

    // Usage against every quota the API reports, the vehicles bar at its share.
    const names = after.usage.map((u) => u.name).sort();
    assert.deepEqual(await page.locator('#dash-usage g[data-row]').evaluateAll((gs) => gs.map((g) => g.dataset.row).sort()), names);
    const vehicles = after.usage.find((u) => u.name === 'vehicles');
    assert.ok(vehicles.used > 0);
    const track = Number(await page.locator('#dash-usage g[data-row="vehicles"] rect.track').getAttribute('width'));
    const bar = Number(await page.locator('#dash-usage g[data-row="vehicles"] rect.bar').getAttribute('width'));
    assert.ok(Math.abs(bar - track * vehicles.used / vehicles.limit) < 0.2, `bar ${bar} of ${track}`);
    assert.equal(await page.locator('#dash-usage g[data-row="vehicles"]').getAttribute('data-level'), 'ok');
    assert.equal(await page.locator('#dash-usage g[data-row="vehicles"] line.limit').count(), 1);

    // Health with its reason, as GET /v1/tenant/health says.
    const health = (await apiCall('GET', '/v1/tenant/health', {token})).json;
    assert.equal(health.status, 'healthy');
    assert.equal(await page.locator('#dash-health-status').textContent(), health.status);
    assert.match(await page.locator('#dash-health-reason').textContent(), /No alert is firing/);

    // The newest log lines as text, the refused request among them.
    const logs = (await apiCall('GET', '/v1/tenant/logs?limit=1000', {token})).json;
    assert.ok(logs.items.some((i) => i.line.fields.route === '/v1/vehicles' && i.line.fields.status === refused.status));
    const texts = await page.locator('#dash-log-lines li').allTextContents();
    assert.ok(texts.length > 0);
    assert.ok(texts.some((t) => t.includes('route=/v1/vehicles') && t.includes(`status=${refused.status}`)), texts.join('\n'));
    assert.equal(await page.locator('#dash-log-lines li *').count(), 0, 'log lines are text only');
    await assertNoPlaceholders(page);
    await shot(page, 'dashboard');
    await page.context().close();
  });

  it('marks quota bars over 80% and at the limit on the dashboard', async () => {
    // A free tenant (5 vehicles): 4 is 80%, 5 is the limit.
    const made = await apiCall('POST', '/v1/tenants', {token: operatorKey,
      body: {slug: 'tiny-fleet', tier: 'free', model: 'shared', admin: {email: 'admin@tiny.example'}}});
    assert.equal(made.status, 201, JSON.stringify(made.json));
    const key = made.json.admin.api_key;
    const token = await tenantToken(key.client_id, key.key);
    for (const plate of ['T 1', 'T 2', 'T 3', 'T 4']) {
      const added = await apiCall('POST', '/v1/vehicles', {token, body: {plate}});
      assert.equal(added.status, 201, JSON.stringify(added.json));
    }
    const page = await newPage();
    await logIn(page, key.client_id, key.key, 'dashboard');
    let usage = (await apiCall('GET', '/v1/tenant/dashboard', {token})).json.usage.find((u) => u.name === 'vehicles');
    assert.deepEqual([usage.used, usage.limit], [4, 5]);
    const row = page.locator('#dash-usage g[data-row="vehicles"]');
    assert.equal(await row.getAttribute('data-level'), 'warn');
    assert.equal(await row.locator('rect.bar').getAttribute('class'), 'bar warn');
    assert.match(await row.textContent(), /4 \/ 5 · over 80%/);
    const warnFill = await row.locator('rect.bar').evaluate((el) => getComputedStyle(el).fill);

    const fifth = await apiCall('POST', '/v1/vehicles', {token, body: {plate: 'T 5'}});
    assert.equal(fifth.status, 201, JSON.stringify(fifth.json));
    await page.reload();
    await page.locator('main[data-view="dashboard"]').waitFor();
    usage = (await apiCall('GET', '/v1/tenant/dashboard', {token})).json.usage.find((u) => u.name === 'vehicles');
    assert.deepEqual([usage.used, usage.limit], [5, 5]);
    assert.equal(await row.getAttribute('data-level'), 'full');
    assert.equal(await row.locator('rect.bar').getAttribute('class'), 'bar full');
    assert.match(await row.textContent(), /5 \/ 5 · at or over the limit/);
    const fullFill = await row.locator('rect.bar').evaluate((el) => getComputedStyle(el).fill);
    assert.notEqual(fullFill, warnFill);
    // Rides this month (none) stay plain.
    assert.equal(await page.locator('#dash-usage g[data-row="rides.booked"]').getAttribute('data-level'), 'ok');
    await shot(page, 'dashboard-quota-full');
    await page.context().close();
  });

  it('shows the operator every tenant\'s health, filterable, with the month\'s incidents', async () => {
    const api = (await apiCall('GET', '/v1/platform/health?limit=1000', {token: operatorKey})).json;
    const mine = api.tenants.find((t) => t.slug === 'acme-rides');
    assert.equal(mine.status, 'healthy');
    const listed = (await apiCall('GET', '/v1/tenants/acme-rides', {token: operatorKey})).json;

    const page = await newPage();
    await logIn(page, '', operatorKey, 'tenants');
    // The tenants page's health column is the real one now.
    assert.equal(await page.locator('tr[data-tenant="acme-rides"] [data-role="health"]').textContent(), mine.status);
    await openSection(page, 'health');
    const row = page.locator('#health-body tr[data-tenant="acme-rides"]');
    assert.equal(await row.getAttribute('data-health'), mine.status);
    assert.equal(await row.locator('[data-role="health"]').textContent(), mine.status);
    const cells = await row.locator('td').allTextContents();
    assert.deepEqual(cells.slice(0, 4), [listed.slug, listed.state, listed.tier, listed.model]);
    assert.match(cells[5], /No alert is firing/);
    assert.equal(await row.locator('button[data-action="quarantine"]').count(), 1);
    for (const s of ['healthy', 'degraded', 'quarantined', 'suspended']) {
      assert.equal(Number(await page.locator(`#health-summary [data-status="${s}"]`).getAttribute('data-count')), api[s], s);
    }
    assert.equal(await page.locator('#health-body tr[data-tenant]').count(), api.tenants.length);
    // Filtering by status.
    await page.locator('#health-filter').selectOption('healthy');
    const healthy = await page.locator('#health-body tr[data-tenant]').evaluateAll((rs) => rs.map((r) => r.dataset.tenant).sort());
    assert.deepEqual(healthy, api.tenants.filter((t) => t.status === 'healthy').map((t) => t.slug).sort());
    await page.locator('#health-filter').selectOption('suspended');
    assert.equal(await page.locator('#health-body tr[data-tenant]').count(), api.suspended);
    if (api.suspended === 0) assert.match(await page.locator('#health-body').textContent(), /No tenant is suspended/);
    await page.locator('#health-filter').selectOption('');
    // Incidents: what the API lists for this month (none on a fresh server).
    const incidents = (await apiCall('GET', '/v1/platform/incidents', {token: operatorKey})).json;
    assert.equal(Number(await page.locator('#incidents').getAttribute('data-count')), incidents.count);
    if (incidents.tenants.every((t) => t.incidents.length === 0)) {
      assert.match(await page.locator('#incidents-empty').textContent(), new RegExp(`No incidents in ${incidents.month}`));
    } else {
      assert.equal(await page.locator('#incidents-table tbody tr').count(), incidents.tenants.flatMap((t) => t.incidents).length);
    }
    await assertNoPlaceholders(page);
    await shot(page, 'health');
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
    // Its health follows: on the tenants page, and in the health view after a reload.
    assert.equal(await operator.locator('tr[data-tenant="acme-rides"] [data-role="health"]').textContent(), 'quarantined');
    await shot(operator, 'tenants-quarantined');
    await openSection(operator, 'health');
    await operator.reload();
    await operator.locator('main[data-view="health"]').waitFor();
    const healthRow = operator.locator('#health-body tr[data-tenant="acme-rides"]');
    assert.equal(await healthRow.getAttribute('data-health'), 'quarantined');
    assert.equal(await healthRow.locator('[data-role="health"]').textContent(), 'quarantined');
    assert.match(await healthRow.locator('td.reason').textContent(), /quarantined/);
    assert.equal(await healthRow.locator('button[data-action="resume"]').textContent(), 'Release');
    const platform = (await apiCall('GET', '/v1/platform/health?limit=1000', {token: operatorKey})).json;
    assert.equal(platform.tenants.find((t) => t.slug === 'acme-rides').status, 'quarantined');
    assert.equal(Number(await operator.locator('#health-summary [data-status="quarantined"]').getAttribute('data-count')), platform.quarantined);
    await operator.locator('#health-filter').selectOption('quarantined');
    assert.deepEqual(await operator.locator('#health-body tr[data-tenant]').evaluateAll((rs) => rs.map((r) => r.dataset.tenant)), ['acme-rides']);
    await shot(operator, 'health-quarantined');
    await openSection(operator, 'tenants');

    // The quarantined tenant may read but not write: its admin sees why.
    const admin = await newPage();
    await logIn(admin, tenant.keyId, tenant.secret, 'dashboard');
    await openSection(admin, 'branding');
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

  it('shows the success metrics with the onboarded tenant active, and the idle tenants', async () => {
    const page = await newPage();
    await logIn(page, '', operatorKey, 'tenants');
    await openSection(page, 'success');
    const api = (await apiCall('GET', '/v1/platform/success-metrics?limit=1000', {token: operatorKey})).json;
    assert.ok(api.tenants.active_30d >= 1);
    assert.equal(await dataValue(page, '#sm-active'), api.tenants.active_30d);
    assert.equal(await page.locator('#sm-active .figure-value').textContent(), `${api.tenants.active_30d} of ${api.tenants.total}`);
    const acme = api.per_tenant.find((t) => t.slug === 'acme-rides');
    assert.notEqual(acme.last_request_at, null);
    const row = page.locator('#sm-tenants tr[data-tenant="acme-rides"]');
    assert.equal(await row.getAttribute('data-active'), 'true');
    assert.equal(await row.locator('[data-role="active"]').textContent(), 'active');
    assert.ok(acme.requests > 0);
    assert.equal(Number((await row.locator('[data-role="requests"]').textContent()).replace(/,/g, '')), acme.requests);
    assert.equal(Number(await row.locator('[data-role="incidents"]').textContent()), acme.incidents);
    // Time to onboard: the onboardings this server measured (the page's and the API's).
    assert.ok(api.onboarding.count >= 2);
    assert.equal(await dataValue(page, '#sm-onboard'), api.onboarding.median_ms);
    assert.equal(await dataValue(page, '#sm-margin'), api.totals.margin_cents);
    assert.ok(Math.abs(await dataValue(page, '#sm-incidents') - api.incidents.count / api.tenants.total) < 1e-9);
    assert.equal(await page.locator('#sm-cost-chart g[data-row]').count(), 2 * api.per_tenant.length);

    // Idle tenants: none idle for 30 days on a fresh server; the API's refusal is shown.
    const idle = (await apiCall('GET', '/v1/platform/idle-tenants?days=30', {token: operatorKey})).json;
    assert.equal(idle.count, 0);
    await page.locator('#idle-empty').waitFor();
    assert.equal(Number(await page.locator('#idle').getAttribute('data-count')), idle.count);
    assert.equal(await page.locator('#idle').textContent(), 'No tenant has been idle for 30 days or more.');
    await assertNoPlaceholders(page);
    await shot(page, 'success-metrics');
    await page.locator('#idle-days').fill('0');
    await page.locator('#idle-submit').click();
    await page.locator('#idle-status.error').waitFor();
    assert.match(await page.locator('#idle-status').textContent(), /Invalid Argument.*days.*1-3650/);
    await page.context().close();
  });

  it('logs out, leaving nothing in sessionStorage', async () => {
    const page = await newPage();
    await logIn(page, tenant.keyId, tenant.secret, 'dashboard');
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
