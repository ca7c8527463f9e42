/**
 * A hand-written SVG line chart: linear axes with "nice" ticks, a polyline per series with markers, optional error
 * bars or a shaded band, a legend, a title and axis labels. Deterministic text (fixed number formatting, no
 * randomness, no fonts measured), so golden files can check it; no native dependencies.
 */

export interface Point {
  x: number;
  y: number;
  /** Error bar or band bounds (both or neither). */
  lo?: number;
  hi?: number;
  /** Shown on hover (an SVG <title>); `runs` go into a data-runs attribute for report.html to list them. */
  label?: string;
  runs?: string[];
}

export interface Series {
  name: string;
  points: Point[];
  /** Draw [lo, hi] as a shaded band instead of error bars. */
  band?: boolean;
  dashed?: boolean;
}

export interface ChartSpec {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Fixed axis ranges (else from the data, padded to nice ticks). */
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** Tick labels: numbers are formatted by these. */
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  /** Explicit x tick positions (e.g. the noise rates or layer indices present). */
  xTicks?: number[];
  xTickLabel?: (v: number) => string;
  width?: number;
  height?: number;
}

/** Colour-blind-safe palette (Okabe–Ito), then greys. */
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000', '#F0E442', '#999999', '#666666'];
const MARKERS = ['circle', 'square', 'triangle', 'diamond'] as const;

const f2 = (v: number) => (Math.round(v * 100) / 100).toFixed(2).replace(/\.?0+$/, '');

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** d3-style nice ticks: steps of 1, 2 or 5 × 10^k covering [lo, hi] with about `count` ticks. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!(hi > lo)) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.05 : 0.5;
    return niceTicks(lo - d, hi + d, count);
  }
  const raw = (hi - lo) / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const e = raw / p;
  const step = (e >= 5 ? 10 : e >= 2 ? 5 : e >= 1 ? 2 : 1) * p;
  const start = Math.floor(lo / step + 1e-9) * step;
  const out: number[] = [];
  for (let v = start; v <= hi + step * 0.999; v += step) out.push(Number(v.toPrecision(12)));
  if (out[0] > lo) out.unshift(Number((out[0] - step).toPrecision(12)));
  return out;
}

function decimalsFor(ticks: number[]): number {
  if (ticks.length < 2) return 2;
  const step = Math.abs(ticks[1] - ticks[0]);
  return Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
}

function marker(kind: (typeof MARKERS)[number], x: number, y: number, color: string): string {
  const r = 3.5;
  switch (kind) {
    case 'circle': return `<circle cx="${f2(x)}" cy="${f2(y)}" r="${r}" fill="${color}"/>`;
    case 'square': return `<rect x="${f2(x - r)}" y="${f2(y - r)}" width="${2 * r}" height="${2 * r}" fill="${color}"/>`;
    case 'triangle': return `<path d="M${f2(x)},${f2(y - r - 0.5)}L${f2(x + r + 0.5)},${f2(y + r)}L${f2(x - r - 0.5)},${f2(y + r)}Z" fill="${color}"/>`;
    case 'diamond': return `<path d="M${f2(x)},${f2(y - r - 1)}L${f2(x + r + 1)},${f2(y)}L${f2(x)},${f2(y + r + 1)}L${f2(x - r - 1)},${f2(y)}Z" fill="${color}"/>`;
  }
}

/** Greedy word wrap at `width` characters, breaking after "; " or spaces. */
export function wrap(text: string, width: number): string[] {
  const words = text.split(' ');
  const lines: string[] = [];
  let cur = '';
  for (const w of words) {
    if (cur && cur.length + 1 + w.length > width) {
      lines.push(cur);
      cur = w;
    } else cur = cur ? `${cur} ${w}` : w;
  }
  if (cur) lines.push(cur);
  return lines;
}

export function lineChart(spec: ChartSpec): string {
  const W = spec.width ?? 640;
  const legendRows = spec.series.length;
  const H = spec.height ?? Math.max(400, 150 + 18 * legendRows);
  const longest = Math.max(0, ...spec.series.map((s) => s.name.length));
  const legendW = Math.min(240, 36 + 7.4 * longest); // ~7.2 px per character of 12 px DejaVu Sans
  const subtitle = spec.subtitle ? wrap(spec.subtitle, Math.floor((W - 40) / 6.2)) : [];
  const m = { top: 44 + 14 * subtitle.length, right: legendW + 18, bottom: 52, left: 64 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;

  const xs: number[] = [];
  const ys: number[] = [];
  for (const s of spec.series) {
    for (const p of s.points) {
      xs.push(p.x);
      ys.push(p.y);
      if (p.lo !== undefined && p.hi !== undefined) ys.push(p.lo, p.hi);
    }
  }
  const finiteOr = (v: number[], d: [number, number]): [number, number] => (v.length ? [Math.min(...v), Math.max(...v)] : d);
  const [x0, x1] = spec.xDomain ?? finiteOr(xs, [0, 1]);
  const yTicks = spec.yDomain ? niceTicks(spec.yDomain[0], spec.yDomain[1]).filter((t) => t >= spec.yDomain![0] - 1e-12 && t <= spec.yDomain![1] + 1e-12) : niceTicks(...finiteOr(ys, [0, 1]));
  const [y0, y1] = spec.yDomain ?? [yTicks[0], yTicks[yTicks.length - 1]];
  const xTicks = spec.xTicks ?? niceTicks(x0, x1);
  const xa = Math.min(x0, ...xTicks);
  const xb = Math.max(x1, ...xTicks);
  const xPad = xb > xa ? 0.04 * (xb - xa) : 0.5;
  const sx0 = (v: number) => m.left + ((v - (xa - xPad)) / (xb + xPad - (xa - xPad))) * pw;
  const sx = sx0;
  const sy = (v: number) => m.top + ph - ((v - y0) / (y1 - y0 || 1)) * ph;
  const yDec = decimalsFor(yTicks);
  const xDec = decimalsFor(xTicks);
  const yFmt = spec.yFormat ?? ((v: number) => v.toFixed(yDec));
  const xFmt = spec.xTickLabel ?? spec.xFormat ?? ((v: number) => v.toFixed(xDec));

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${f2(W / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(spec.title)}</text>`);
  subtitle.forEach((line, i) => out.push(`<text x="${f2(W / 2)}" y="${40 + 14 * i}" text-anchor="middle" font-size="11" fill="#444444">${escapeXml(line)}</text>`));
  // Grid and axes.
  out.push('<g stroke="#e5e5e5" stroke-width="1">');
  for (const t of yTicks) out.push(`<line x1="${m.left}" y1="${f2(sy(t))}" x2="${m.left + pw}" y2="${f2(sy(t))}"/>`);
  for (const t of xTicks) out.push(`<line x1="${f2(sx(t))}" y1="${m.top}" x2="${f2(sx(t))}" y2="${m.top + ph}"/>`);
  out.push('</g>');
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#333333"/>`);
  out.push('<g fill="#222222">');
  for (const t of yTicks) out.push(`<text x="${m.left - 6}" y="${f2(sy(t) + 4)}" text-anchor="end">${escapeXml(yFmt(t))}</text>`);
  for (const t of xTicks) out.push(`<text x="${f2(sx(t))}" y="${m.top + ph + 17}" text-anchor="middle">${escapeXml(xFmt(t))}</text>`);
  out.push('</g>');
  out.push(`<text x="${f2(m.left + pw / 2)}" y="${H - 12}" text-anchor="middle" font-size="13">${escapeXml(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(16,${f2(m.top + ph / 2)}) rotate(-90)" text-anchor="middle" font-size="13">${escapeXml(spec.yLabel)}</text>`);

  // Series: bands first (underneath), then lines, error bars and markers.
  spec.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    if (s.band) {
      const withBand = pts.filter((p) => p.lo !== undefined && p.hi !== undefined);
      if (withBand.length > 1) {
        const upper = withBand.map((p) => `${f2(sx(p.x))},${f2(sy(p.hi!))}`);
        const lower = [...withBand].reverse().map((p) => `${f2(sx(p.x))},${f2(sy(p.lo!))}`);
        out.push(`<path d="M${upper.join('L')}L${lower.join('L')}Z" fill="${color}" fill-opacity="0.18" stroke="none"/>`);
      }
    }
  });
  // Series with error bars are dodged by a few pixels so that bars at one x do not hide each other.
  const barred = spec.series.filter((s) => !s.band && s.points.some((p) => p.lo !== undefined));
  spec.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const pts = [...s.points].sort((a, b) => a.x - b.x);
    const k = barred.indexOf(s);
    const dx = k < 0 || barred.length < 2 ? 0 : (k - (barred.length - 1) / 2) * Math.min(6, 24 / barred.length);
    const sx = (v: number) => sx0(v) + dx;
    const g: string[] = [`<g class="series" data-name="${escapeXml(s.name)}">`];
    if (pts.length > 1) {
      g.push(`<polyline points="${pts.map((p) => `${f2(sx(p.x))},${f2(sy(p.y))}`).join(' ')}" fill="none" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6,4"' : ''}/>`);
    }
    if (!s.band) {
      for (const p of pts) {
        if (p.lo === undefined || p.hi === undefined) continue;
        const x = sx(p.x);
        g.push(`<path d="M${f2(x)},${f2(sy(p.lo))}V${f2(sy(p.hi))}M${f2(x - 4)},${f2(sy(p.lo))}H${f2(x + 4)}M${f2(x - 4)},${f2(sy(p.hi))}H${f2(x + 4)}" stroke="${color}" stroke-width="1.3" fill="none"/>`);
      }
    }
    const showMarkers = pts.length <= 40;
    if (showMarkers) {
      for (const p of pts) {
        const m = marker(MARKERS[i % MARKERS.length], sx(p.x), sy(p.y), color);
        if (p.label === undefined) g.push(m);
        else g.push(`<g class="pt"${p.runs?.length ? ` data-runs="${escapeXml(p.runs.join(' '))}"` : ''}><title>${escapeXml(p.label)}</title>${m}</g>`);
      }
    }
    g.push('</g>');
    out.push(...g);
  });

  // Legend, right of the plot.
  const lx = m.left + pw + 14;
  out.push(`<g font-size="12">`);
  spec.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length];
    const y = m.top + 8 + i * 18;
    out.push(`<line x1="${lx}" y1="${y}" x2="${lx + 22}" y2="${y}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="6,4"' : ''}/>`);
    out.push(marker(MARKERS[i % MARKERS.length], lx + 11, y, color));
    const name = s.name.length > 28 ? `${s.name.slice(0, 27)}…` : s.name;
    out.push(`<text x="${lx + 28}" y="${y + 4}">${escapeXml(name)}</text>`);
  });
  out.push('</g>');
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
