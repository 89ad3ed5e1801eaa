// A tenant's health as the SLO monitor reports it (GET /v1/tenant/health,
// /v1/platform/health): the badge (colour and word, never colour alone) and
// the reason in words, shared by the dashboard, the health view and the
// tenants list.
import {api} from './api.js';
import {formatNumber} from './charts.js';
import {h} from './dom.js';

// Worst first: the order the health view sorts by.
export const kHealthStatuses = ['suspended', 'quarantined', 'degraded', 'healthy'];

export function healthBadge(status, id) {
  const known = kHealthStatuses.includes(status) ? status : 'unknown';
  return h('span', {class: `badge health-${known}`, 'data-role': 'health', id}, status || 'unknown');
}

function percent(share) {
  return `${formatNumber(share * 100)}%`;
}

function since(ms) {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : 'a while';
}

// Why the tenant has its status, in one sentence.
export function healthReason(health) {
  if (!health) return 'Not reported.';
  switch (health.status) {
    case 'suspended': return 'The tenant is suspended: its requests are refused until an operator resumes it.';
    case 'quarantined': return 'An operator quarantined the tenant: it may read but not write until released.';
    case 'degraded': {
      const alerts = (health.alerts || []).map((a) => `${a.indicator} (${a.severity}) since ${since(a.since_ms)}`);
      const incident = health.open_incident !== null && health.open_incident !== undefined
        ? `; incident #${health.open_incident} is open` : '';
      return `Objectives at risk: ${alerts.length ? alerts.join(', ') : 'an alert is firing'}${incident}.`;
    }
    case 'healthy': return 'No alert is firing.';
    default: return `Status ${health.status}.`;
  }
}

// The service level indicators against their objectives, as text.
export function sliText(health) {
  if (!health || !health.objective) return '';
  const o = health.objective;
  // Null until the monitor has evaluated a window with requests in it.
  const availability = health.availability === null || health.availability === undefined
    ? 'not evaluated yet' : percent(health.availability);
  const latency = health.latency === null || health.latency === undefined ? 'not evaluated yet' : percent(health.latency);
  return `Availability ${availability} (objective ${percent(o.availability)}); ` +
    `within ${formatNumber(o.latency_threshold_ms)} ms: ${latency} (objective ${percent(o.latency)}).`;
}

// Every page of GET /v1/platform/health: {counts, byId: Map(tenant id → health)}.
export async function platformHealth() {
  const byId = new Map();
  let counts = null;
  let cursor = '';
  for (let page = 0; page < 100; ++page) {
    const query = new URLSearchParams({limit: '1000'});
    if (cursor) query.set('cursor', cursor);
    const doc = await api('GET', `/v1/platform/health?${query}`);
    if (!counts) counts = {healthy: doc.healthy, degraded: doc.degraded, quarantined: doc.quarantined, suspended: doc.suspended};
    for (const t of doc.tenants || []) byId.set(t.tenant, t);
    cursor = doc.next_cursor;
    if (!cursor) break;
  }
  return {counts, byId};
}
