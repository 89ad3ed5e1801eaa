// The operator's success metrics (GET /v1/platform/success-metrics): time
// to onboard, active tenants, cost against revenue per tenant and incidents
// per tenant for a month; and the idle tenants (GET /v1/platform/idle-tenants),
// read-only here: applying the idle policy stays with the API and tenancyctl.
import {api} from './api.js';
import {barChart, formatNumber} from './charts.js';
import {clearStatus, field, h, show, showError} from './dom.js';

function thisMonth() {
  const d = new Date();
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

// Costs are often fractions of a cent: those are shown in cents, to two
// significant digits, rather than rounded to $0.00.
function money(cents, currency) {
  cents = Number(cents) || 0;
  if (cents !== 0 && Math.abs(cents) < 1) return `${cents.toPrecision(2)} ¢`;
  const amount = cents / 100;
  try {
    return amount.toLocaleString('en-US', {style: 'currency', currency, minimumFractionDigits: 2, maximumFractionDigits: 4});
  } catch {
    return `${formatNumber(amount)} ${currency}`;
  }
}

function duration(ms) {
  if (ms === null || ms === undefined) return 'none yet';
  if (ms < 1000) return `${formatNumber(ms)} ms`;
  if (ms < 120000) return `${formatNumber(ms / 1000)} s`;
  if (ms < 7200000) return `${formatNumber(ms / 60000)} min`;
  return `${formatNumber(ms / 3600000)} h`;
}

function figure(id, label, value, text, hint) {
  return h('div', {class: 'card figure', id, dataset: {value: value === null || value === undefined ? '' : String(value)}},
    h('span', {class: 'figure-label'}, label), h('strong', {class: 'figure-value'}, text),
    hint ? h('small', {class: 'hint'}, hint) : null);
}

// Every page of the month's per-tenant lines (the totals come with the first).
async function successMetrics(month) {
  let first = null;
  const perTenant = [];
  let cursor = '';
  for (let i = 0; i < 100; ++i) {
    const query = new URLSearchParams({month, limit: '1000'});
    if (cursor) query.set('cursor', cursor);
    const doc = await api('GET', `/v1/platform/success-metrics?${query}`);
    if (!first) first = doc;
    perTenant.push(...(doc.per_tenant || []));
    cursor = doc.next_cursor;
    if (!cursor) break;
  }
  return {...first, per_tenant: perTenant};
}

function successBody(m) {
  const cur = m.currency || 'USD';
  const tenants = m.tenants || {};
  const incidentsPerTenant = tenants.total > 0 ? m.incidents.count / tenants.total : 0;
  const activeSince = Date.parse(m.as_of) - 30 * 24 * 3600 * 1000;
  const costRows = m.per_tenant.flatMap((t) => [
    {label: `${t.slug} cost`, value: t.cost_cents, note: money(t.cost_cents, cur)},
    {label: `${t.slug} revenue`, value: t.revenue_cents, note: money(t.revenue_cents, cur)}]);
  return [
    h('div', {class: 'figures'},
      figure('sm-onboard', 'Time to onboard (median)', m.onboarding.median_ms, duration(m.onboarding.median_ms),
             `p95 ${duration(m.onboarding.p95_ms)}; the onboarding call, over the last ${m.onboarding.count}`),
      figure('sm-active', 'Active tenants (30 days)', tenants.active_30d, `${formatNumber(tenants.active_30d)} of ${formatNumber(tenants.total)}`,
             `${formatNumber(tenants.active_24h)} in the last 24 h`),
      figure('sm-margin', 'Revenue − cost', m.totals.margin_cents, money(m.totals.margin_cents, cur),
             `revenue ${money(m.totals.revenue_cents, cur)}, cost ${money(m.totals.cost_cents, cur)}`),
      figure('sm-incidents', 'Incidents per tenant', incidentsPerTenant, formatNumber(incidentsPerTenant),
             `${m.incidents.count} in ${m.month}, ${m.incidents.tenants_affected} tenants affected`)),
    h('p', {class: 'hint'}, `Time to first ride: median ${m.time_to_first_ride.median_s === null ? 'none yet' : duration(m.time_to_first_ride.median_s * 1000)} ` +
      `(${m.time_to_first_ride.count} tenants). As of ${m.as_of}.`),
    h('h2', {}, 'Per tenant'),
    m.per_tenant.length === 0 ? h('p', {class: 'hint'}, 'No tenants.') : h('table', {id: 'sm-tenants'},
      h('thead', {}, h('tr', {}, ['Tenant', 'Tier', 'Model', 'State', 'Active (30 d)', 'Requests', 'Cost', 'Revenue', 'Margin', 'Incidents']
        .map((c) => h('th', {}, c)))),
      h('tbody', {}, m.per_tenant.map((t) => {
        const active = t.last_request_at !== null && Date.parse(t.last_request_at) >= activeSince;
        return h('tr', {dataset: {tenant: t.slug, active: String(active)}},
          h('td', {}, t.slug), h('td', {}, t.tier), h('td', {}, t.model), h('td', {}, t.state),
          h('td', {'data-role': 'active'}, active ? 'active' : 'idle'),
          h('td', {'data-role': 'requests'}, formatNumber(t.requests)),
          h('td', {}, money(t.cost_cents, cur)), h('td', {}, money(t.revenue_cents, cur)),
          h('td', {class: t.margin_cents < 0 ? 'negative' : null}, money(t.margin_cents, cur)),
          h('td', {'data-role': 'incidents'}, String(t.incidents)));
      }))),
    costRows.length ? h('div', {id: 'sm-cost-chart'}, barChart(costRows, {title: `Cost and revenue, ${m.month}`, labelWidth: 220})) : null,
  ];
}

export async function successView(main) {
  const status = h('div', {class: 'status', id: 'success-status', role: 'status'});
  const month = h('input', {id: 'success-month', type: 'month', value: thisMonth()});
  const content = h('div', {id: 'success-content'});
  const days = h('input', {id: 'idle-days', type: 'number', min: 1, max: 3650, value: '30'});
  const tier = h('select', {id: 'idle-tier'}, ['', 'free', 'standard', 'premium', 'enterprise'].map((t) => h('option', {value: t}, t || 'any tier')));
  const idleStatus = h('div', {class: 'status', id: 'idle-status', role: 'status'});
  const idle = h('div', {id: 'idle'});

  const loadMetrics = async () => {
    clearStatus(status);
    try {
      show(content, ...successBody(await successMetrics(month.value || thisMonth())));
    } catch (err) {
      content.replaceChildren();
      showError(status, err);
    }
  };
  const loadIdle = async () => {
    clearStatus(idleStatus);
    const query = new URLSearchParams({days: days.value.trim()});
    if (tier.value) query.set('tier', tier.value);
    try {
      const doc = await api('GET', `/v1/platform/idle-tenants?${query}`);
      idle.dataset.count = String(doc.count);
      show(idle, doc.tenants.length === 0
        ? h('p', {class: 'hint', id: 'idle-empty'}, `No tenant has been idle for ${doc.days} days or more.`)
        : h('table', {id: 'idle-table'},
          h('thead', {}, h('tr', {}, ['Tenant', 'Tier', 'State', 'Created', 'Last request', 'Idle days'].map((c) => h('th', {}, c)))),
          h('tbody', {}, doc.tenants.map((t) => h('tr', {dataset: {tenant: t.slug}},
            h('td', {}, t.slug), h('td', {}, t.tier), h('td', {}, t.state), h('td', {}, t.created_at),
            h('td', {}, t.last_request_at || 'never'), h('td', {}, String(t.idle_days)))))),
        doc.truncated ? h('p', {class: 'hint'}, `Showing the first ${doc.tenants.length} of ${doc.count}.`) : null);
    } catch (err) {
      idle.replaceChildren();
      showError(idleStatus, err);
    }
  };
  month.addEventListener('change', loadMetrics);
  const idleForm = h('form', {class: 'actions', id: 'idle-form', novalidate: true, onsubmit: (e) => { e.preventDefault(); loadIdle(); }},
    field('Idle for days', days), field('Tier', tier), h('button', {type: 'submit', id: 'idle-submit'}, 'Show'));

  main.replaceChildren(h('h1', {}, 'Success metrics'), h('div', {class: 'actions'}, field('Month', month)), status, content,
    h('h2', {}, 'Idle tenants'),
    h('p', {class: 'hint'}, 'Read-only: apply the idle policy with POST /v1/platform/idle-tenants/apply or tenancyctl idle-tenants apply.'),
    idleForm, idleStatus, idle);
  await Promise.all([loadMetrics(), loadIdle()]);
}
