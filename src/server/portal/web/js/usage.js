// Usage and quota status: every limit in force with how much is used
// (GET /v1/quotas), the month's metered totals and the hourly series of
// one meter (GET /v1/usage?month=YYYY-MM).
import {api} from './api.js';
import {barChart, columnChart, formatNumber} from './charts.js';
import {field, h, showError} from './dom.js';

function thisMonth() {
  const d = new Date();
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

function quotaNote(q) {
  const base = `${formatNumber(q.used)} / ${formatNumber(q.limit)}`;
  if (q.kind === 'rate') return `${base} per ${formatNumber(q.per_seconds)} s`;
  if (q.kind === 'periodic') return `${base} per ${q.period}`;
  return base;
}

export async function usageView(main) {
  const status = h('div', {class: 'status', id: 'usage-status', role: 'status'});
  const quotas = h('div', {id: 'quota-chart'});
  const totals = h('div', {id: 'usage-totals'});
  const hourly = h('div', {id: 'usage-hourly'});
  const month = h('input', {id: 'usage-month', type: 'month', value: thisMonth()});
  const meter = h('select', {id: 'usage-meter'});
  let report = null;

  const drawHourly = () => {
    if (!report) return;
    const records = (report.records || []).filter((r) => r.meter === meter.value)
      .sort((a, b) => a.hour_start.localeCompare(b.hour_start));
    hourly.replaceChildren(records.length === 0 ? h('p', {class: 'hint'}, 'No hourly records for this meter.') :
      columnChart(records.map((r) => ({label: r.hour_start.slice(0, 13).replace('T', ' ') + 'h', value: r.amount})),
                  {title: `${meter.value} per hour`}));
  };

  const loadUsage = async () => {
    try {
      report = await api('GET', `/v1/usage?month=${encodeURIComponent(month.value || thisMonth())}`);
      const rows = (report.totals || []).map((t) => ({label: t.meter, value: t.amount}));
      totals.replaceChildren(rows.length === 0 ? h('p', {class: 'hint'}, 'Nothing metered this month yet (meters flush periodically).') :
        barChart(rows, {title: `Metered usage, ${report.month}`}));
      const chosen = meter.value;
      meter.replaceChildren(...rows.map((r) => h('option', {value: r.label}, r.label)));
      if (rows.some((r) => r.label === chosen)) meter.value = chosen;
      drawHourly();
    } catch (err) {
      showError(status, err);
    }
  };
  month.addEventListener('change', loadUsage);
  meter.addEventListener('change', drawHourly);

  main.replaceChildren(h('h1', {}, 'Usage and quotas'), status,
    h('h2', {}, 'Quotas'), quotas,
    h('h2', {}, 'Metered usage'), h('div', {class: 'row actions'}, field('Month', month), field('Hourly meter', meter)),
    totals, hourly);

  try {
    const q = await api('GET', '/v1/quotas');
    const rows = (q.items || []).map((item) => ({label: item.name, value: item.used, max: item.limit, note: quotaNote(item)}));
    quotas.replaceChildren(rows.length === 0 ? h('p', {class: 'hint'}, 'No limits apply.') :
      barChart(rows, {title: 'Quota use'}));
  } catch (err) {
    showError(status, err);
  }
  await loadUsage();
}
