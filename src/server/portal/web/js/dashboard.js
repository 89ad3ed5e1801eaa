// The tenant admin's landing view: the last hour's traffic and server
// errors, latency, usage against every quota, health with its reason
// (GET /v1/tenant/dashboard), client errors by status class
// (GET /v1/tenant/metrics) and the latest log lines (GET /v1/tenant/logs).
import {api} from './api.js';
import {barChart, columnChart, formatNumber} from './charts.js';
import {h, show, showError} from './dom.js';
import {healthBadge, healthReason, sliText} from './health_status.js';

const kLogLines = 30;
const kLogPage = 1000;

// A figure card: the number is in data-value as the API gave it, so a
// reader (or a test) need not parse the formatted text.
function figure(id, label, value, text, hint) {
  return h('div', {class: 'card figure', id, dataset: {value: value === null || value === undefined ? '' : String(value)}},
    h('span', {class: 'figure-label'}, label),
    h('strong', {class: 'figure-value'}, text),
    hint ? h('small', {class: 'hint'}, hint) : null);
}

function percentText(ratio) {
  return ratio === null || ratio === undefined ? 'no requests' : `${formatNumber(ratio * 100)}%`;
}

// Requests by status class since the server started, from the tenant's
// `…requests_total{status_class}` series: {total, byClass: {'4xx': n, …}}.
export function statusClasses(metrics) {
  const out = {total: 0, byClass: {}};
  for (const m of (metrics && metrics.metrics) || []) {
    if (!/requests_total$/.test(m.name) || m.type !== 'counter') continue;
    for (const s of m.series || []) {
      const cls = s.labels && s.labels.status_class;
      if (!cls) continue;
      out.byClass[cls] = (out.byClass[cls] || 0) + Number(s.value || 0);
      out.total += Number(s.value || 0);
    }
  }
  return out;
}

// The tenant's newest lines: pages forward from the ring's start and keeps
// the last kLogLines (the route reads oldest first).
async function recentLogs() {
  let after = 0;
  let lines = [];
  for (let i = 0; i < 50; ++i) {
    const page = await api('GET', `/v1/tenant/logs?after=${after}&limit=${kLogPage}`);
    lines = lines.concat(page.items || []).slice(-kLogLines);
    if (!page.items || page.items.length < kLogPage || page.next === after) break;
    after = page.next;
  }
  return lines.reverse();  // newest first
}

// One log line as text: time, level, message, the request id, then the
// line's fields (the logger nests them under "fields") as key=value. A null
// value is a figure not measured for this line (e.g. cpu_us when the thread
// did not read its CPU clock): shown as "–".
export function logText(item) {
  const line = item.line;
  if (typeof line !== 'object' || line === null) return String(line);
  const shown = (v) => (v === null ? '–' : typeof v === 'string' ? v : JSON.stringify(v));
  const pair = ([k, v]) => `${k}=${shown(v)}`;
  const fields = line.fields && typeof line.fields === 'object' ? Object.entries(line.fields).map(pair) : [];
  const skip = new Set(['time', 'level', 'msg', 'tenant', 'trace_id', 'fields']);
  const rest = Object.entries(line).filter(([k]) => !skip.has(k)).map(pair);
  return [line.time, (line.level || item.level || '').toUpperCase(), line.msg, ...fields, ...rest].filter(Boolean).join(' ');
}

function latencyChart(latency, objective) {
  if (!latency || !latency.count || latency.p50_ms === null) return h('p', {class: 'hint'}, 'No requests measured yet.');
  const rows = [['p50', latency.p50_ms], ['p95', latency.p95_ms], ['p99', latency.p99_ms]]
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([label, v]) => ({label, value: v, note: `${formatNumber(v)} ms`}));
  // The objective's threshold is marked when it fits the scale; far above
  // the quantiles it would squash them to slivers, so it is only named.
  const threshold = objective ? objective.latency_threshold_ms : undefined;
  const top = Math.max(...rows.map((r) => r.value));
  const markIt = threshold && threshold <= 2 * top;
  return [barChart(rows, {title: 'Request latency (ms)', rowHeight: 26, labelWidth: 60,
                          mark: markIt ? {value: threshold, label: `objective: within ${threshold} ms`} : undefined}),
          threshold ? h('p', {class: 'hint'}, `Objective threshold: ${formatNumber(threshold)} ms${markIt ? ' (dashed line)' : ''}.`) : null];
}

function activityLine(a) {
  if (!a) return null;
  const storage = a.storage_bytes === null ? 'not measured' : `${formatNumber(a.storage_bytes / 1e6)} MB`;
  return h('p', {class: 'hint', id: 'dash-activity'},
    `${a.month}: ${formatNumber(a.requests_this_month)} requests, ${formatNumber(a.cpu_seconds_this_month)} CPU seconds; ` +
    `storage ${storage}; last request ${a.last_request_at || 'never'}.`);
}

function usageNote(u) {
  const base = `${formatNumber(u.used)} / ${formatNumber(u.limit)}`;
  const ratio = u.limit > 0 ? u.used / u.limit : 0;
  const flag = ratio >= 1 ? ' · at or over the limit' : ratio >= 0.8 ? ' · over 80%' : '';
  return `${base}${u.kind === 'rate' ? ' now' : ''}${flag}`;
}

export async function dashboardView(main) {
  const status = h('div', {class: 'status', id: 'dash-status', role: 'status'});
  const logsStatus = h('div', {class: 'status', id: 'dash-logs-status', role: 'status'});
  // The dashboard itself must load; metrics and logs are extras whose
  // failure (e.g. a key without tenant.admin for logs) is shown in place.
  const [dash, metrics, logs] = await Promise.all([
    api('GET', '/v1/tenant/dashboard'),
    api('GET', '/v1/tenant/metrics').catch((err) => { showError(status, err); return null; }),
    recentLogs().catch((err) => { showError(logsStatus, err); return null; }),
  ]);
  const t = dash.traffic || {};
  const health = dash.health || {};
  const classes = statusClasses(metrics);
  const clientErrors = classes.byClass['4xx'] || 0;
  const clientRatio = classes.total > 0 ? clientErrors / classes.total : null;

  const perMinute = (t.requests_per_minute || []).map((value, i, all) => ({
    label: i === all.length - 1 ? 'now' : `-${all.length - 1 - i} min`, value, part: (t.errors_per_minute || [])[i] || 0}));
  const traffic = t.requests > 0
    ? columnChart(perMinute, {title: 'Requests per minute (server errors in red), last hour'})
    : h('p', {class: 'hint', id: 'dash-no-traffic'}, 'No traffic in the last hour yet: requests show here as they arrive.');

  const usage = (dash.usage || []).map((u) => ({label: u.name, value: u.used, max: u.limit, note: usageNote(u)}));
  const logList = logs === null ? null : logs.length === 0
    ? h('p', {class: 'hint'}, 'No log lines yet.')
    : h('ol', {class: 'log-lines', id: 'dash-log-lines'}, logs.map((item) =>
      h('li', {class: `log-${item.level}`, dataset: {seq: String(item.seq)}}, logText(item))));

  show(main,
    h('h1', {}, 'Dashboard'), status,
    h('section', {class: 'card health-card', id: 'dash-health', dataset: {status: health.status || ''}},
      h('div', {class: 'actions'}, h('strong', {}, 'Health'), healthBadge(health.status, 'dash-health-status')),
      h('p', {id: 'dash-health-reason'}, healthReason(health)),
      h('p', {class: 'hint', id: 'dash-slis'}, sliText(health))),
    h('div', {class: 'figures'},
      figure('dash-requests', 'Requests, last hour', t.requests, formatNumber(t.requests || 0),
             `${formatNumber((t.requests || 0) / (t.window_minutes || 60))} per minute`),
      figure('dash-error-ratio', 'Server errors (5xx), last hour', t.error_ratio, percentText(t.error_ratio),
             `${formatNumber(t.errors || 0)} of ${formatNumber(t.requests || 0)}`),
      figure('dash-client-errors', 'Client errors (4xx), since start', clientRatio, metrics ? percentText(clientRatio) : 'not available',
             metrics ? `${formatNumber(clientErrors)} of ${formatNumber(classes.total)}` : null),
      figure('dash-p95', 'Latency p95', dash.latency ? dash.latency.p95_ms : null,
             dash.latency && dash.latency.p95_ms !== null ? `${formatNumber(dash.latency.p95_ms)} ms` : 'no requests',
             dash.latency ? `${formatNumber(dash.latency.count || 0)} requests measured` : null)),
    h('h2', {}, 'Traffic'), h('div', {id: 'dash-traffic'}, traffic), activityLine(dash.activity),
    h('h2', {}, 'Latency'), h('div', {id: 'dash-latency', dataset: {count: String((dash.latency || {}).count || 0)}},
      latencyChart(dash.latency, health.objective)),
    h('h2', {}, 'Usage against quota'),
    h('div', {id: 'dash-usage'}, usage.length ? barChart(usage, {title: 'Usage against quota'}) : h('p', {class: 'hint'}, 'No limits apply.')),
    h('p', {class: 'hint'}, 'A tick marks each limit; bars turn amber from 80% and red at the limit.'),
    h('h2', {}, 'Recent log lines'), logsStatus, logList,
    h('p', {class: 'hint'}, `As of ${dash.as_of || ''}.`));
}
