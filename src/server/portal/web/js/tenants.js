// The operator's view: every tenant with its state, tier, model and health
// (joined from GET /v1/platform/health by tenant id), the lifecycle actions
// (quarantine, release, suspend, resume; each asks for a reason, which the
// control plane records) and onboarding.
import {api} from './api.js';
import {clearStatus, confirmWithReason, field, h, showError, showOk} from './dom.js';
import {credentialsCard} from './credentials.js';
import {healthBadge, healthReason, platformHealth} from './health_status.js';

// The actions a tenant in `state` offers: [label, path suffix, confirmation, danger].
export function actionsFor(state) {
  switch (state) {
    case 'active': return [['Quarantine', 'quarantine', 'Quarantine', false], ['Suspend', 'suspend', 'Suspend', true]];
    case 'quarantined': return [['Release', 'resume', 'Release', false], ['Suspend', 'suspend', 'Suspend', true]];
    case 'suspended': return [['Resume', 'resume', 'Resume', false]];
    default: return [];
  }
}

export async function tenantsView(main) {
  const status = h('div', {class: 'status', id: 'tenants-status', role: 'status', 'aria-live': 'polite'});
  const body = h('tbody', {id: 'tenants-body'});
  const more = h('button', {type: 'button', class: 'quiet', id: 'tenants-more', hidden: true}, 'Load more');
  const stateFilter = h('select', {id: 'tenants-state'},
    ['', 'active', 'quarantined', 'suspended', 'provisioning', 'deleted'].map((s) => h('option', {value: s}, s || 'any state')));
  const created = h('div', {id: 'onboard-result'});
  let cursor = null;
  let health = new Map();
  // The health column is a join: a failed health read leaves it "not
  // reported" and says why, the list itself still works.
  const loadHealth = async () => {
    try {
      health = (await platformHealth()).byId;
    } catch (err) {
      health = new Map();
      showError(status, err);
    }
  };

  const healthCell = (t) => {
    const hl = health.get(t.id);
    return hl ? h('span', {title: healthReason(hl)}, healthBadge(hl.status))
              : h('span', {class: 'badge unknown', 'data-role': 'health'}, 'not reported');
  };

  const row = (t) => {
    return h('tr', {dataset: {tenant: t.slug, state: t.state}},
      h('td', {}, t.slug), h('td', {}, t.display_name || ''),
      h('td', {}, h('span', {class: `badge ${t.state}`, 'data-role': 'state'}, t.state)),
      h('td', {}, t.tier), h('td', {}, t.model),
      h('td', {}, healthCell(t)),
      h('td', {class: 'actions-cell'}, actionsFor(t.state).map(([label, action, confirmLabel, danger]) =>
        h('button', {type: 'button', class: danger ? 'small danger' : 'small', 'data-action': action, onclick: async () => {
          const reason = await confirmWithReason(`${label} tenant ${t.slug}?`, confirmLabel, danger);
          if (reason === null) return;
          clearStatus(status);
          try {
            const changed = await api('POST', `/v1/tenants/${encodeURIComponent(t.id)}/${action}`, {body: {reason}});
            await loadHealth();
            body.querySelector(`tr[data-tenant="${CSS.escape(t.slug)}"]`).replaceWith(row(changed));
            showOk(status, `Tenant ${changed.slug} is ${changed.state}.`);
          } catch (err) {
            showError(status, err);
          }
        }}, label))));
  };

  const load = async (reset) => {
    clearStatus(status);
    if (reset) { cursor = null; body.replaceChildren(); }
    const query = new URLSearchParams({limit: '50'});
    if (stateFilter.value) query.set('state', stateFilter.value);
    if (stateFilter.value === 'deleted') query.set('include_deleted', 'true');
    if (cursor) query.set('cursor', cursor);
    try {
      const [page] = await Promise.all([api('GET', `/v1/tenants?${query}`), reset ? loadHealth() : null]);
      body.append(...page.items.map(row));
      cursor = page.next_cursor;
      more.hidden = !cursor;
      if (body.children.length === 0) body.append(h('tr', {}, h('td', {colspan: 7, class: 'hint'}, 'No tenants.')));
    } catch (err) {
      showError(status, err);
    }
  };
  more.addEventListener('click', () => load(false));
  stateFilter.addEventListener('change', () => load(true));

  // Onboarding: the control plane's POST /v1/tenants.
  const slug = h('input', {id: 'onboard-slug', required: true, maxlength: 63, spellcheck: 'false'});
  const displayName = h('input', {id: 'onboard-name', maxlength: 200});
  const tier = h('select', {id: 'onboard-tier'}, ['free', 'standard', 'premium', 'enterprise'].map((t) => h('option', {value: t}, t)));
  const model = h('select', {id: 'onboard-model'}, ['shared', 'database', 'dedicated'].map((m) => h('option', {value: m}, m)));
  const email = h('input', {id: 'onboard-email', type: 'email', maxlength: 200});
  const onboardStatus = h('div', {class: 'status', id: 'onboard-status', role: 'status', 'aria-live': 'polite'});
  const onboard = h('form', {class: 'card form', id: 'onboard-form', novalidate: true, onsubmit: async (e) => {
    e.preventDefault();
    clearStatus(onboardStatus);
    const request = {slug: slug.value.trim(), tier: tier.value, model: model.value, admin: {email: email.value.trim()}};
    if (displayName.value.trim()) request.display_name = displayName.value.trim();
    try {
      const done = await api('POST', '/v1/tenants', {body: request});
      created.replaceChildren(credentialsCard(done));
      onboard.reset();
      await load(true);
    } catch (err) {
      showError(onboardStatus, err);
    }
  }},
    h('h2', {}, 'Onboard a tenant'),
    h('div', {class: 'row'}, field('Slug', slug), field('Display name', displayName)),
    h('div', {class: 'row'}, field('Tier', tier), field('Model', model), field('Admin email', email)),
    h('div', {class: 'actions'}, h('button', {type: 'submit', id: 'onboard-submit'}, 'Onboard')),
    onboardStatus);

  main.replaceChildren(h('h1', {}, 'Tenants'), status,
    h('div', {class: 'actions'}, field('Show', stateFilter)),
    h('table', {id: 'tenants'},
      h('thead', {}, h('tr', {}, ['Slug', 'Name', 'State', 'Tier', 'Model', 'Health', 'Actions'].map((c) => h('th', {}, c)))),
      body),
    more, created, onboard);
  await load(true);
}
