/**
 * A metric against a swept numeric setting (`report.plots: [{x: model.depth, y: oversmoothing}]`, and "the" accuracy
 * against every numeric axis without asking): mean over seeds with 95% CI bars (Student t), one plot per cell of the
 * other axes (dataset, noise, other model/training values).
 *   x a model or training key   one line per arm, through its cells at each value of x
 *   x a method option           one line per method with that option, through its arms at each value (arms named by
 *                               a template, `mixup-a{alpha}`, join one line); arms without the option (the baseline)
 *                               are dashed reference lines at their mean
 * Values spanning more than a factor of 20 are drawn on a log scale.
 */
import { formatAxisValue, isModelOrTrainKey, labelKeys, labelWith, runSetting, type Axes } from '../core/axes';
import type { AxisPlot, ClaimMetric, ReportSettings } from '../core/experiment';
import type { RunRecord } from '../core/record';
import { canonicalJson } from '../util/hash';
import { partition } from '../util/partition';
import { slug } from '../util/slug';
import { claimValue, isOk } from './fields';
import { ReportCache } from './memo';
import { metricSlug, metricTitle } from './settings';
import { confidenceInterval, mean } from './stats';
import { groupRecords, type Group } from './summary';
import { lineChart, type Series } from './svg';

export interface Plot {
  file: string;
  svg: string;
}

/** The plots to draw: "the" accuracy against every numeric axis, then the config's `report.plots`. */
export function axisPlotSpecs(records: RunRecord[], settings: ReportSettings, axes: Axes): AxisPlot[] {
  const out: AxisPlot[] = [];
  const add = (p: AxisPlot) => {
    if (!out.some((q) => q.x === p.x && q.y === p.y)) out.push(p);
  };
  for (const key of axes.columns) {
    const values = new Set<unknown>();
    let numeric = true;
    for (const r of records) {
      const v = runSetting(r.spec, key);
      if (v === undefined) continue;
      if (typeof v !== 'number') numeric = false;
      values.add(v);
    }
    if (numeric && values.size > 1) add({ x: key, y: settings.metric });
  }
  for (const p of settings.plots ?? []) add(p);
  return out;
}

const noiseTitle = (label: string) => (label === 'none' ? 'clean' : `noise ${label}`);

/** The y axis of a metric: its scale (accuracy and gap in %) and label. */
function yAxis(metric: ClaimMetric, k: number): { scale: number; label: string } {
  switch (metric) {
    case 'best':
    case 'last':
    case 'median-last-k':
      return { scale: 100, label: `test accuracy (%), ${metricTitle(metric, k).replace(' accuracy', '')}` };
    case 'gap': return { scale: 100, label: 'best − last accuracy (pp)' };
    case 'nll': return { scale: 1, label: 'test NLL' };
    case 'ece': return { scale: 1, label: 'test ECE (15 bins)' };
    case 'oversmoothing': return { scale: 1, label: 'last-layer token cosine similarity' };
  }
}

/** A metric in file names: last-acc, median-last5-acc, gap, oversmoothing, ... */
function yFileName(metric: ClaimMetric, k: number): string {
  return metric === 'best' || metric === 'last' || metric === 'median-last-k' ? metricSlug(metric, k).replace(/_/g, '-') : metric;
}

/** Every plot of every spec. */
export function axisPlots(records: RunRecord[], settings: ReportSettings, cache: ReportCache, axes: Axes): Plot[] {
  const specs = axisPlotSpecs(records, settings, axes);
  if (!specs.length) return [];
  const groups = groupRecords(records, axes);
  const multi = new Set(groups.map((g) => g.experiment)).size > 1;
  const plots: Plot[] = [];
  for (const spec of specs) {
    const onSettings = isModelOrTrainKey(spec.x);
    const frameSettings = (g: Group) => (g.settings ?? []).filter(([k]) => !onSettings || k !== spec.x);
    const frames = partition(groups, (g) => JSON.stringify([g.experiment, g.dataset, g.noise, frameSettings(g)]));
    for (const [frameKey, gs] of frames) {
      const deps = [multi, settings.k, ...gs.flatMap((g) => [g.key, ...g.runs])];
      const plot = cache.memo(`axis-plot ${spec.x} ${spec.y} ${frameKey}`, deps, () => framePlot(spec, gs, frameSettings(gs[0]), multi, settings.k, axes));
      if (plot) plots.push(plot);
    }
  }
  return plots;
}

interface Cell {
  x: number;
  y: number;
  lo?: number;
  hi?: number;
  n: number;
}

/** Mean and 95% CI of the metric over a cell's ok runs (undefined without a value). */
function cellValue(g: Group, x: number, metric: ClaimMetric, k: number, scale: number): Cell | undefined {
  const vals = g.runs.filter(isOk).map((r) => claimValue(r, metric, k)).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const m = mean(vals);
  if (m === undefined) return undefined;
  const ci = confidenceInterval(vals);
  return { x, y: scale * m, ...(ci ? { lo: scale * ci[0], hi: scale * ci[1] } : {}), n: vals.length };
}

/**
 * The line a cell belongs to when x is a method option: its arm without that option. The arms of one swept entry
 * share its name and differ in their labels; arms with names of their own (a template, `mixup-a{alpha}`) join one
 * line when their methods and other options agree.
 */
function optionLine(g: Group, x: string, axes: Axes): { key: string; name: string } {
  const spec = g.runs[0].spec;
  const keys = labelKeys(spec, axes);
  const parts = spec.method.parts.map((p) => ({ method: p.method, options: Object.fromEntries(Object.entries(p.options).filter(([o]) => `${p.method}.${o}` !== x)) }));
  if (keys.includes(x)) return { key: canonicalJson([spec.method.name, parts]), name: labelWith(spec, keys.filter((k) => k !== x)) };
  return { key: canonicalJson(['', parts]), name: parts.map((p) => p.method).join('+') };
}

function framePlot(spec: AxisPlot, gs: Group[], frame: [string, string][], multi: boolean, k: number, axes: Axes): Plot | undefined {
  const { scale, label } = yAxis(spec.y, k);
  const onSettings = isModelOrTrainKey(spec.x);
  const lines = new Map<string, { name: string; cells: Cell[] }>();
  const references: { name: string; cell: Cell }[] = [];
  const xs = new Set<number>();
  let maxN = 0;
  for (const g of gs) {
    const v = runSetting(g.runs[0].spec, spec.x);
    if (typeof v !== 'number') {
      if (onSettings) continue;
      const c = cellValue(g, 0, spec.y, k, scale);
      if (c) references.push({ name: g.method, cell: c });
      continue;
    }
    const c = cellValue(g, v, spec.y, k, scale);
    if (!c) continue;
    xs.add(v);
    maxN = Math.max(maxN, c.n);
    const line = onSettings ? { key: g.method, name: g.method } : optionLine(g, spec.x, axes);
    let l = lines.get(line.key);
    if (!l) lines.set(line.key, (l = { name: line.name, cells: [] }));
    l.cells.push(c);
  }
  if (xs.size < 2) return undefined;
  const sorted = [...xs].sort((a, b) => a - b);
  const log = sorted[0] > 0 && sorted[sorted.length - 1] / sorted[0] > 20;
  const pos = (v: number) => (log ? Math.log10(v) : v);
  const series: Series[] = [...lines.values()].map((l) => ({
    name: l.name,
    points: l.cells.map((c) => ({ x: pos(c.x), y: c.y, ...(c.lo !== undefined ? { lo: c.lo, hi: c.hi } : {}) })),
  }));
  for (const r of references) {
    series.push({ name: `${r.name} (no ${spec.x.slice(spec.x.indexOf('.') + 1)})`, dashed: true, points: [{ x: pos(sorted[0]), y: r.cell.y }, { x: pos(sorted[sorted.length - 1]), y: r.cell.y }] });
  }
  const g0 = gs[0];
  const settingsText = frame.map(([kk, v]) => `, ${kk} = ${v}`).join('');
  const settingsFile = frame.map(([kk, v]) => `-${slug(kk.slice(kk.indexOf('.') + 1))}${slug(v)}`).join('');
  const values = new Map(sorted.map((v) => [pos(v), v]));
  return {
    file: `${multi ? `${slug(g0.experiment)}-` : ''}${yFileName(spec.y, k)}-vs-${slug(spec.x)}-${slug(g0.dataset)}-${slug(g0.noise)}${settingsFile}.svg`,
    svg: lineChart({
      title: `${g0.dataset}, ${noiseTitle(g0.noise)}${settingsText}: ${metricTitle(spec.y, k)} vs ${spec.x}`,
      subtitle: `${g0.experiment}; mean over seeds (up to ${maxN}), error bars: 95% CI (Student t)${references.length ? `; dashed: arms without ${spec.x}, at their mean` : ''}`,
      xLabel: `${spec.x}${log ? ' (log scale)' : ''}`,
      yLabel: label,
      series,
      xTicks: sorted.map(pos),
      xTickLabel: (p) => formatAxisValue(values.get(p) ?? (log ? 10 ** p : p)),
    }),
  };
}

