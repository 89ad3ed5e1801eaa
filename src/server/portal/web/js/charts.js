// Small charts as inline SVG, drawn from data (no chart library): a
// horizontal bar per row, scaled to each row's maximum or to a shared one.
const kSvg = 'http://www.w3.org/2000/svg';

function svgEl(tag, attrs = {}, text) {
  const el = document.createElementNS(kSvg, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

export function formatNumber(n) {
  if (!Number.isFinite(n)) return String(n);
  return n.toLocaleString('en-US', {maximumFractionDigits: 2});
}

// rows: [{label, value, max?, note?}]; a row's bar fills value / (row.max or
// the largest value). Rows at or over their max are marked `full`.
export function barChart(rows, {title, width = 640, rowHeight = 28, labelWidth = 180} = {}) {
  const height = Math.max(1, rows.length) * rowHeight + 8;
  const svg = svgEl('svg', {class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title || 'chart'});
  if (title) svg.append(svgEl('title', {}, title));
  const shared = Math.max(0, ...rows.map((r) => Number(r.value) || 0));
  const barWidth = width - labelWidth - 150;
  rows.forEach((row, i) => {
    const y = 4 + i * rowHeight;
    const value = Math.max(0, Number(row.value) || 0);
    const max = row.max !== undefined && row.max !== null ? Number(row.max) : shared;
    const fraction = max > 0 ? Math.min(1, value / max) : 0;
    const g = svgEl('g', {'data-row': row.label});
    g.append(svgEl('text', {x: 0, y: y + rowHeight / 2 + 4}, row.label));
    g.append(svgEl('rect', {class: 'track', x: labelWidth, y: y + 4, width: barWidth, height: rowHeight - 10, rx: 3}));
    g.append(svgEl('rect', {class: max > 0 && value >= max && row.max !== undefined ? 'bar full' : 'bar',
                            x: labelWidth, y: y + 4, width: (barWidth * fraction).toFixed(1), height: rowHeight - 10, rx: 3}));
    g.append(svgEl('text', {class: 'muted', x: labelWidth + barWidth + 8, y: y + rowHeight / 2 + 4},
                   row.note !== undefined ? row.note : formatNumber(value)));
    svg.append(g);
  });
  return svg;
}

// values: [{label, value}] as vertical columns (e.g. requests per hour).
export function columnChart(values, {title, width = 640, height = 120} = {}) {
  const svg = svgEl('svg', {class: 'chart', viewBox: `0 0 ${width} ${height + 20}`, role: 'img', 'aria-label': title || 'chart'});
  if (title) svg.append(svgEl('title', {}, title));
  const max = Math.max(0, ...values.map((v) => Number(v.value) || 0));
  // At least a day's worth of slots, so a few hours do not become slabs.
  const step = width / Math.max(values.length, 24);
  values.forEach((v, i) => {
    const value = Math.max(0, Number(v.value) || 0);
    const hgt = max > 0 ? (height * value) / max : 0;
    const bar = svgEl('rect', {class: 'bar', x: (i * step + step * 0.1).toFixed(1), y: (height - hgt).toFixed(1),
                               width: Math.max(1, step * 0.8).toFixed(1), height: hgt.toFixed(1)});
    bar.append(svgEl('title', {}, `${v.label}: ${formatNumber(value)}`));
    svg.append(bar);
  });
  if (values.length) {
    svg.append(svgEl('text', {class: 'muted', x: 0, y: height + 16}, values[0].label));
    if (values.length > 1) {
      svg.append(svgEl('text', {class: 'muted', x: Math.min(width, values.length * step), y: height + 16, 'text-anchor': 'end'},
                       values[values.length - 1].label));
    }
  }
  return svg;
}
