/**
 * A report drawn on the server as inline SVG (issue 18: no CDN, no client framework): one
 * stacked bar per group (success, failure, denied), a y axis with round ticks, thinned x labels,
 * a legend. Accessible: `role="img"` labelled by its `<title>` and `<desc>` (which states the
 * totals in words), and each bar segment carries its own `<title>` with the exact count; the
 * page puts the same numbers in a table under the chart. Every text goes through `html`, so a
 * relying party or user name cannot inject markup.
 */
import { html, type SafeHtml } from '../../kit/pages/html.js';
import type { ReportRow } from '../../audit/report.js';

export interface ChartText {
  /** Unique per page: ids of the title and description. */
  id: string;
  title: string;
  description: string;
  /** Names of the three series, in the page's language. */
  series: { success: string; failure: string; denied: string };
  /** Ranked rows (largest first): only the first MAX_BARS are drawn. Time rows are all drawn. */
  ranked: boolean;
}

const WIDTH = 760;
const HEIGHT = 280;
const LEFT = 56;
const RIGHT = 12;
const TOP = 28;
const BOTTOM = 72;
/** Bars drawn at most; a ranked report's chart shows its top (the table lists every row). */
export const MAX_BARS = 40;
const MAX_LABELS = 16;
const COLOURS = { success: '#2e7d32', failure: '#ef6c00', denied: '#c62828' } as const;
const SERIES = ['success', 'failure', 'denied'] as const;

/** 1, 2, 5 × 10^n: a tick step that gives about four ticks up to `max`. */
function tickStep(max: number): number {
  const rough = Math.max(1, max / 4);
  const pow = 10 ** Math.floor(Math.log10(rough));
  for (const m of [1, 2, 5, 10]) if (m * pow >= rough) return m * pow;
  return 10 * pow;
}

const short = (s: string) => (s.length > 14 ? `${s.slice(0, 13)}…` : s);
const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));

export function reportChartSvg(rows: readonly ReportRow[], text: ChartText): SafeHtml {
  const bars = text.ranked ? rows.slice(0, MAX_BARS) : rows;
  const plotW = WIDTH - LEFT - RIGHT;
  const plotH = HEIGHT - TOP - BOTTOM;
  const max = Math.max(1, ...bars.map((r) => r.total));
  const step = tickStep(max);
  const top = Math.ceil(max / step) * step;
  const y = (v: number) => TOP + plotH - (v / top) * plotH;
  const slot = plotW / Math.max(1, bars.length);
  const barW = Math.max(1, Math.min(48, slot * 0.8));
  const every = Math.max(1, Math.ceil(bars.length / MAX_LABELS));
  const ticks: number[] = [];
  for (let v = 0; v <= top; v += step) ticks.push(v);
  const total = (k: (typeof SERIES)[number]) => rows.reduce((n, r) => n + r[k], 0);
  const summary = `${text.description} ${SERIES.map((k) => `${text.series[k]}: ${total(k)}`).join(', ')}.`;
  return html`<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="${text.id}-title ${text.id}-desc" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" preserveAspectRatio="xMinYMin meet">
<title id="${text.id}-title">${text.title}</title>
<desc id="${text.id}-desc">${summary}</desc>
<g class="axis" font-size="11" fill="#444">${ticks.map(
    (v) => html`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${fmt(y(v))}" y2="${fmt(y(v))}" stroke="#ddd" stroke-width="1"/><text x="${LEFT - 6}" y="${fmt(y(v) + 4)}" text-anchor="end">${v}</text>`,
  )}</g>
<g class="bars">${bars.map((r, i) => {
    const x = LEFT + i * slot + (slot - barW) / 2;
    let base = 0;
    return html`<g>${SERIES.map((k) => {
      if (r[k] === 0) return '';
      const y0 = y(base + r[k]);
      const h = y(base) - y0;
      base += r[k];
      return html`<rect x="${fmt(x)}" y="${fmt(y0)}" width="${fmt(barW)}" height="${fmt(Math.max(h, 0.5))}" fill="${COLOURS[k]}"><title>${r.key}: ${r[k]} ${text.series[k]}</title></rect>`;
    })}</g>`;
  })}</g>
<g class="labels" font-size="11" fill="#444">${bars.map((r, i) =>
    i % every === 0 ? html`<text transform="translate(${fmt(LEFT + i * slot + slot / 2)} ${TOP + plotH + 12}) rotate(-35)" text-anchor="end">${short(r.key)}</text>` : '',
  )}</g>
<g class="legend" font-size="12" fill="#222">${SERIES.map(
    (k, i) => html`<rect x="${LEFT + i * 130}" y="6" width="12" height="12" fill="${COLOURS[k]}"/><text x="${LEFT + i * 130 + 18}" y="16">${text.series[k]}</text>`,
  )}</g>
</svg>`;
}
