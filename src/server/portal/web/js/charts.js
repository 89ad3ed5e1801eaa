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

// How full a row with a limit is: 'full' at or over it, 'warn' from 80%,
// else 'ok'. The class and the row's data-level say so (the note's text
// says so too, so colour is never the only sign).
export const kWarnRatio = 0.8;
export function levelOf(value, max) {
  if (!(max > 0)) return 'ok';
  const ratio = value / max;
  return ratio >= 1 ? 'full' : ratio >= kWarnRatio ? 'warn' : 'ok';
}

// rows: [{label, value, max?, note?}]; a row's bar fills value / (row.max or
// the largest value). A row with a max is a limit: its bar is marked by
// levelOf (`warn`, `full`) and a tick marks the limit; a value past the
// limit draws past the tick (the row's scale grows to 125% at most).
// mark: {value, label} draws a dashed line at `value` on the shared scale
// (e.g. a latency objective).
export function barChart(rows, {title, width = 640, rowHeight = 28, labelWidth = 180, mark} = {}) {
  const height = Math.max(1, rows.length) * rowHeight + 8;
  const svg = svgEl('svg', {class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title || 'chart'});
  if (title) svg.append(svgEl('title', {}, title));
  const markValue = mark && Number.isFinite(Number(mark.value)) ? Number(mark.value) : 0;
  const shared = Math.max(0, markValue, ...rows.map((r) => Number(r.value) || 0));
  const barWidth = width - labelWidth - 150;
  rows.forEach((row, i) => {
    const y = 4 + i * rowHeight;
    const value = Math.max(0, Number(row.value) || 0);
    const limited = row.max !== undefined && row.max !== null;
    const max = limited ? Number(row.max) : shared;
    // A limit's row spans the limit, or a little more when the value is past it.
    const scale = limited && max > 0 ? Math.max(max, Math.min(value, max * 1.25)) : max;
    const fraction = scale > 0 ? Math.min(1, value / scale) : 0;
    const level = limited ? levelOf(value, max) : 'ok';
    const g = svgEl('g', {'data-row': row.label, 'data-level': level});
    g.append(svgEl('text', {x: 0, y: y + rowHeight / 2 + 4}, row.label));
    g.append(svgEl('rect', {class: 'track', x: labelWidth, y: y + 4, width: barWidth, height: rowHeight - 10, rx: 3}));
    g.append(svgEl('rect', {class: level === 'ok' ? 'bar' : `bar ${level}`,
                            x: labelWidth, y: y + 4, width: (barWidth * fraction).toFixed(1), height: rowHeight - 10, rx: 3}));
    if (limited && max > 0) {
      const x = (labelWidth + barWidth * (max / scale)).toFixed(1);
      g.append(svgEl('line', {class: 'limit', x1: x, x2: x, y1: y + 1, y2: y + rowHeight - 3}));
    }
    g.append(svgEl('text', {class: 'muted', x: labelWidth + barWidth + 8, y: y + rowHeight / 2 + 4},
                   row.note !== undefined ? row.note : formatNumber(value)));
    svg.append(g);
  });
  if (markValue > 0 && shared > 0) {
    const x = (labelWidth + barWidth * (markValue / shared)).toFixed(1);
    const line = svgEl('line', {class: 'mark', x1: x, x2: x, y1: 0, y2: height});
    if (mark.label) line.append(svgEl('title', {}, mark.label));
    svg.append(line);
  }
  return svg;
}

// values: [{label, value, part?}] as vertical columns (e.g. requests per
// hour); `part` (e.g. the errors among the requests) is drawn over the
// bottom of its column in the `part` class.
export function columnChart(values, {title, width = 640, height = 120} = {}) {
  const svg = svgEl('svg', {class: 'chart', viewBox: `0 0 ${width} ${height + 20}`, role: 'img', 'aria-label': title || 'chart'});
  if (title) svg.append(svgEl('title', {}, title));
  const max = Math.max(0, ...values.map((v) => Number(v.value) || 0));
  // At least a day's worth of slots, so a few hours do not become slabs.
  const step = width / Math.max(values.length, 24);
  values.forEach((v, i) => {
    const value = Math.max(0, Number(v.value) || 0);
    const hgt = max > 0 ? (height * value) / max : 0;
    const bar = svgEl('rect', {class: 'bar', 'data-value': value, x: (i * step + step * 0.1).toFixed(1), y: (height - hgt).toFixed(1),
                               width: Math.max(1, step * 0.8).toFixed(1), height: hgt.toFixed(1)});
    bar.append(svgEl('title', {}, `${v.label}: ${formatNumber(value)}`));
    svg.append(bar);
    const part = Math.min(value, Math.max(0, Number(v.part) || 0));
    if (part > 0) {
      const ph = (height * part) / max;
      const over = svgEl('rect', {class: 'bar part', x: (i * step + step * 0.1).toFixed(1), y: (height - ph).toFixed(1),
                                  width: Math.max(1, step * 0.8).toFixed(1), height: ph.toFixed(1)});
      over.append(svgEl('title', {}, `${v.label}: ${formatNumber(part)} of ${formatNumber(value)}`));
      svg.append(over);
    }
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
