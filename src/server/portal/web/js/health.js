// The operator's health view: every tenant's health (GET /v1/platform/health)
// with its state, tier and model (joined from GET /v1/tenants), filterable
// and sortable by status, the lifecycle actions of the tenants page, and the
// month's incidents (GET /v1/platform/incidents).
import {api} from './api.js';
import {clearStatus, confirmWithReason, field, h, show, showError, showOk} from './dom.js';
import {healthBadge, healthReason, kHealthStatuses, platformHealth} from './health_status.js';
import {actionsFor} from './tenants.js';

function thisMonth() {
  const d = new Date();
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

function when(ms) {
  return ms === null || ms === undefined ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 16);
}

// Every live tenant from the control plane, by id (for the model and name).
async function allTenants() {
  const byId = new Map();
  let cursor = '';
  for (let i = 0; i < 100; ++i) {
    const query = new URLSearchParams({limit: '200'});
    if (cursor) query.set('cursor', cursor);
    const page = await api('GET', `/v1/tenants?${query}`);
    for (const t of page.items || []) byId.set(t.id, t);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return byId;
}

export async function healthView(main) {
  const status = h('div', {class: 'status', id: 'health-status', role: 'status', 'aria-live': 'polite'});
  const summary = h('p', {id: 'health-summary', class: 'actions'});
  const body = h('tbody', {id: 'health-body'});
  const filter = h('select', {id: 'health-filter'},
    ['', ...kHealthStatuses].map((s) => h('option', {value: s}, s || 'any status')));
  const sort = h('select', {id: 'health-sort'},
    [['status', 'worst first'], ['slug', 'slug']].map(([v, label]) => h('option', {value: v}, label)));
  const month = h('input', {id: 'incidents-month', type: 'month', value: thisMonth()});
  const incidentsStatus = h('div', {class: 'status', id: 'incidents-status', role: 'status'});
  const incidents = h('div', {id: 'incidents'});
  let rows = [];  // [{health, tenant}]

  const draw = () => {
    const shown = rows.filter((r) => !filter.value || r.health.status === filter.value);
    const rank = (s) => { const i = kHealthStatuses.indexOf(s); return i < 0 ? kHealthStatuses.length : i; };
    shown.sort((a, b) => (sort.value === 'status' ? rank(a.health.status) - rank(b.health.status) : 0) ||
                         a.health.slug.localeCompare(b.health.slug));
    body.replaceChildren(...shown.map(({health, tenant}) =>
      h('tr', {dataset: {tenant: health.slug, health: health.status}},
        h('td', {}, h('a', {href: '#/tenants'}, health.slug)),
        h('td', {}, h('span', {class: `badge ${health.state}`, 'data-role': 'state'}, health.state)),
        h('td', {}, health.tier), h('td', {}, tenant ? tenant.model : ''),
        h('td', {}, healthBadge(health.status)),
        h('td', {class: 'reason'}, healthReason(health)),
        h('td', {class: 'actions-cell'}, tenant ? actionsFor(tenant.state).filter(([, action]) => action !== 'suspend')
          .map(([label, action, confirmLabel]) => h('button', {type: 'button', class: 'small', 'data-action': action,
            onclick: () => act(tenant, label, action, confirmLabel)}, label)) : null))));
    if (shown.length === 0) {
      body.append(h('tr', {}, h('td', {colspan: 7, class: 'hint'},
        rows.length === 0 ? 'No tenants yet.' : `No tenant is ${filter.value}.`)));
    }
  };

  const load = async () => {
    const [health, tenants] = await Promise.all([platformHealth(), allTenants()]);
    rows = [...health.byId.values()].map((hl) => ({health: hl, tenant: tenants.get(hl.tenant)}));
    summary.replaceChildren(...kHealthStatuses.map((s) =>
      h('span', {class: 'summary-item', dataset: {status: s, count: String(health.counts[s] || 0)}},
        healthBadge(s), ` ${health.counts[s] || 0}`)));
    draw();
  };

  // Quarantine and release, as on the tenants page (suspension stays there).
  const act = async (tenant, label, action, confirmLabel) => {
    const reason = await confirmWithReason(`${label} tenant ${tenant.slug}?`, confirmLabel);
    if (reason === null) return;
    clearStatus(status);
    try {
      const changed = await api('POST', `/v1/tenants/${encodeURIComponent(tenant.id)}/${action}`, {body: {reason}});
      await load();
      showOk(status, `Tenant ${changed.slug} is ${changed.state}.`);
    } catch (err) {
      showError(status, err);
    }
  };

  const loadIncidents = async () => {
    clearStatus(incidentsStatus);
    try {
      const doc = await api('GET', `/v1/platform/incidents?month=${encodeURIComponent(month.value || thisMonth())}`);
      const lines = [];
      for (const t of doc.tenants || []) {
        for (const i of t.incidents || []) lines.push({slug: t.slug || t.tenant, ...i});
      }
      incidents.dataset.count = String(doc.count);
      show(incidents, lines.length === 0
        ? h('p', {class: 'hint', id: 'incidents-empty'}, `No incidents in ${doc.month}.`)
        : h('table', {id: 'incidents-table'},
          h('thead', {}, h('tr', {}, ['Tenant', '#', 'Severity', 'Summary', 'Opened (UTC)', 'Resolved (UTC)', 'Minutes this month']
            .map((c) => h('th', {}, c)))),
          h('tbody', {}, lines.map((i) => h('tr', {dataset: {tenant: i.slug, incident: String(i.id)}},
            h('td', {}, i.slug), h('td', {}, String(i.id)), h('td', {}, i.severity), h('td', {}, i.summary),
            h('td', {}, when(i.opened_at_ms)), h('td', {}, i.resolved_at_ms === null ? 'open' : when(i.resolved_at_ms)),
            h('td', {}, String(Math.round(i.minutes_in_month))))))),
        h('p', {class: 'hint'}, `${doc.count} opened in ${doc.month}, ${Math.round(doc.total_minutes)} minutes in all.`));
    } catch (err) {
      showError(incidentsStatus, err);
    }
  };
  filter.addEventListener('change', draw);
  sort.addEventListener('change', draw);
  month.addEventListener('change', loadIncidents);

  await load();
  main.replaceChildren(h('h1', {}, 'Tenant health'), status, summary,
    h('div', {class: 'actions'}, field('Show', filter), field('Sort', sort)),
    h('table', {id: 'health'},
      h('thead', {}, h('tr', {}, ['Slug', 'State', 'Tier', 'Model', 'Health', 'Why', 'Actions'].map((c) => h('th', {}, c)))),
      body),
    h('h2', {}, 'Incidents'), h('div', {class: 'actions'}, field('Month', month)), incidentsStatus, incidents);
  await loadIncidents();
}
