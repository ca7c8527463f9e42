/**
 * Plots from run records: accuracy vs noise rate (one per dataset), test-accuracy curves per epoch (one per dataset and
 * noise), over-smoothing per layer (one per dataset and noise, Transformer runs), and a metric against each swept
 * numeric setting (src/report/axis-plots.ts). With model or training axes, each of these is drawn per value of those
 * axes (the file name says which). Pure: records → {file, svg}.
 */
import { type Axes } from '../core/axes';
import { blockKey } from '../core/cell';
import type { ReportSettings } from '../core/experiment';
import type { RunRecord } from '../core/record';
import { partition } from '../util/partition';
import { slug } from '../util/slug';
import { axisCell, reportAxes } from './axes';
import { axisPlots } from './axis-plots';
import { accuracyOf, isOk, noiseInfo } from './fields';
import { metricTitle } from './settings';
import { confidenceInterval, mean, std } from './stats';
import { groupRecords, type Group } from './summary';
import { ReportCache } from './memo';
import { lineChart, niceTicks, type Series } from './svg';

export interface Plot {
  /** Relative file name under `<output>/plots/`. */
  file: string;
  svg: string;
}

const noiseTitle = (label: string) => (label === 'none' ? 'clean' : `noise ${label}`);
const pct = (v: number) => `${Math.round(v * 1000) / 10}`;

function prefix(g: Group, multi: boolean): string {
  return multi ? `${slug(g.experiment)}-` : '';
}

/** The model/training axis values of a cell for file names (`-depth4-lr0.003`); '' without such axes. */
export function settingsSuffix(settings: [string, string][] | undefined): string {
  return (settings ?? []).map(([k, v]) => `-${slug(k.slice(k.indexOf('.') + 1))}${slug(v)}`).join('');
}

/** The model/training axis values of a cell for titles (`, model.depth = 4`); '' without such axes. */
export function settingsTitle(settings: [string, string][] | undefined): string {
  return (settings ?? []).map(([k, v]) => `, ${k} = ${v}`).join('');
}

/** Accuracy vs noise rate: a line per method, mean with 95% CI error bars (none with one seed). */
export function accuracyVsNoisePlots(records: RunRecord[], settings: ReportSettings, cache = new ReportCache(), axes = reportAxes(records, settings, cache)): Plot[] {
  const groups = groupRecords(records, axes);
  const multi = new Set(groups.map((g) => g.experiment)).size > 1;
  const plots: Plot[] = [];
  for (const gs of partition(groups, (g) => JSON.stringify([g.experiment, g.dataset, g.settings ?? []])).values()) {
    const deps = [settings.metric, settings.k, multi, ...gs.flatMap((g) => [g.key, ...g.runs])];
    plots.push(...cache.memo(`accuracy-vs-noise ${gs[0].experiment} ${gs[0].dataset} ${JSON.stringify(gs[0].settings ?? [])}`, deps, () => datasetNoisePlots(gs, settings, multi)));
  }
  return plots;
}

/** The accuracy-vs-noise plots of one (experiment, dataset). */
function datasetNoisePlots(groups: Group[], settings: ReportSettings, multi: boolean): Plot[] {
  const plots: Plot[] = [];
  // One plot per noise type: label noise and input noise at one rate are different settings (and a gaussian "rate"
  // is a std); the clean runs (rate 0) appear in every type's plot.
  const allTypes = [...new Set(groups.map((g) => noiseInfo(g.runs[0]).type).filter((t) => t !== 'none'))];
  const perType = allTypes.length <= 1 ? [groups] : allTypes.map((t) => groups.filter((g) => [t, 'none'].includes(noiseInfo(g.runs[0]).type)));
  const manyTypes = perType.length > 1;
  for (const gs of perType) {
    const types = [...new Set(gs.map((g) => noiseInfo(g.runs[0]).type).filter((t) => t !== 'none'))];
    const typeName = types.length === 1 ? types[0] : '';
    const rates = new Set<number>();
    const byMethod = partition(gs, (g) => g.method);
    const series: Series[] = [];
    let maxN = 0;
    for (const [method, mg] of byMethod) {
      const points = [];
      for (const g of mg) {
        const rate = noiseInfo(g.runs[0]).rate;
        if (rate === undefined) continue;
        const vals = g.runs.filter(isOk).map((r) => accuracyOf(r, settings.metric, settings.k)!);
        const m = mean(vals);
        if (m === undefined) continue;
        maxN = Math.max(maxN, vals.length);
        rates.add(rate);
        const ci = confidenceInterval(vals);
        const ids = g.runs.filter(isOk).map((r) => r.id);
        const label = `${method}, ${typeName || 'noise'} ${pct(rate)}%: ${(100 * m).toFixed(2)}%${ci ? ` (95% CI ${(100 * ci[0]).toFixed(2)}–${(100 * ci[1]).toFixed(2)})` : ''}, ${ids.length} run${ids.length === 1 ? '' : 's'}`;
        points.push({ x: rate, y: 100 * m, ...(ci ? { lo: 100 * ci[0], hi: 100 * ci[1] } : {}), label, runs: ids });
      }
      if (points.length) series.push({ name: method, points });
    }
    if (rates.size < 2) continue;
    const g0 = gs[0];
    const xTicks = [...rates].sort((a, b) => a - b);
    plots.push({
      file: `${prefix(g0, multi)}accuracy-vs-noise-${slug(g0.dataset)}${manyTypes ? `-${slug(typeName)}` : ''}${settingsSuffix(g0.settings)}.svg`,
      svg: lineChart({
        title: `${g0.dataset}${settingsTitle(g0.settings)}: ${metricTitle(settings.metric, settings.k)} vs ${typeName ? `${typeName} ` : ''}noise`,
        subtitle: `${g0.experiment}; mean over seeds (up to ${maxN}), error bars: 95% CI (Student t)`,
        xLabel: typeName === 'gaussian' ? 'input noise std (% of each feature\'s std)' : `${typeName ? `${typeName} ` : ''}noise rate (%)`,
        yLabel: `test accuracy (%), ${metricTitle(settings.metric, settings.k).replace(' accuracy', '')}`,
        series,
        xTicks,
        xTickLabel: pct,
      }),
    });
  }
  return plots;
}

/** Test accuracy per epoch: a line per method, mean over seeds with a ±1 std band. */
export function curvePlots(records: RunRecord[], cache = new ReportCache(), axes = reportAxes(records, undefined, cache)): Plot[] {
  const groups = groupRecords(records, axes);
  const multi = new Set(groups.map((g) => g.experiment)).size > 1;
  const plots: Plot[] = [];
  for (const gs of partition(groups, (g) => g.block).values()) {
    const plot = cache.memo(`curves ${gs[0].block}`, [multi, ...gs.flatMap((g) => [g.key, ...g.runs])], () => blockCurvePlot(gs, multi));
    if (plot) plots.push(plot);
  }
  return plots;
}

/** Test accuracy per epoch of one block's cells; undefined when no run is ok. */
function blockCurvePlot(gs: Group[], multi: boolean): Plot | undefined {
  const series: Series[] = [];
  let maxN = 0;
  for (const g of gs) {
    const ok = g.runs.filter(isOk);
    if (!ok.length) continue;
    maxN = Math.max(maxN, ok.length);
    const epochs = Math.max(...ok.map((r) => r.curve.length));
    const points = [];
    for (let e = 0; e < epochs; e++) {
      const vals = ok.map((r) => r.curve[e]?.testAccuracy).filter((v): v is number => typeof v === 'number');
      const m = mean(vals)!;
      const s = std(vals);
      const label = `${g.method}, epoch ${e + 1}: ${(100 * m).toFixed(2)}%${s !== undefined ? ` ± ${(100 * s).toFixed(2)} (std)` : ''}, ${vals.length} run${vals.length === 1 ? '' : 's'}`;
      points.push({ x: e + 1, y: 100 * m, ...(s !== undefined ? { lo: 100 * (m - s), hi: 100 * (m + s) } : {}), label, runs: ok.map((r) => r.id) });
    }
    series.push({ name: g.method, points, band: true });
  }
  if (!series.length) return undefined;
  const g0 = gs[0];
  const epochs = Math.max(...series.map((s) => s.points.length));
  const xTicks = epochs <= 15 ? Array.from({ length: epochs }, (_, i) => i + 1) : [1, ...niceTicks(1, epochs).filter((t) => t > 1 && t <= epochs)];
  return {
    file: `${prefix(g0, multi)}curves-${slug(g0.dataset)}-${slug(g0.noise)}${settingsSuffix(g0.settings)}.svg`,
    svg: lineChart({
      title: `${g0.dataset}, ${noiseTitle(g0.noise)}${settingsTitle(g0.settings)}: test accuracy per epoch`,
      subtitle: `${g0.experiment}; mean over seeds (up to ${maxN}), band: ±1 std`,
      xLabel: 'epoch',
      yLabel: 'test accuracy (%)',
      series,
      xTicks,
      xTickLabel: (v) => String(v),
    }),
  };
}

export interface OversmoothingRow {
  experiment: string;
  dataset: string;
  noise: string;
  method: string;
  /** The cell's model/training axis values (not a column: the axis columns carry them). */
  settings?: [string, string][];
  /** Axis columns (oversmoothingColumns). */
  axisValues?: Record<string, string | number | null>;
  site: string;
  layer: number | null;
  depth: number;
  n: number;
  cosine_mean: number | null;
  cosine_std: number | null;
  cosine_ci95_low: number | null;
  cosine_ci95_high: number | null;
  cls: string;
  padding: string;
  examples: number;
}

export const OVERSMOOTHING_COLUMNS = [
  'experiment', 'dataset', 'noise', 'method', 'site', 'layer', 'depth', 'n', 'cosine_mean', 'cosine_std', 'cosine_ci95_low',
  'cosine_ci95_high', 'cls', 'padding', 'examples',
] as const;

/** The columns of oversmoothing.csv: the sweep's axis columns after `method` when it has axes. */
export function oversmoothingColumns(axes: Axes): string[] {
  const at = OVERSMOOTHING_COLUMNS.indexOf('method') + 1;
  return [...OVERSMOOTHING_COLUMNS.slice(0, at), ...axes.columns, ...OVERSMOOTHING_COLUMNS.slice(at)];
}

/** Per (dataset, noise, axis values, method, layer): the mean pairwise token cosine similarity over seeds. */
export function oversmoothingRows(records: RunRecord[], cache = new ReportCache(), axes = reportAxes(records, undefined, cache)): OversmoothingRow[] {
  return groupRecords(records, axes).flatMap((g) => cache.memo(`oversmoothing ${g.key}`, [axes.columns.join(), ...g.runs], () => cellOversmoothingRows(g, axes)));
}

/** The over-smoothing rows of one cell, a row per layer. */
function cellOversmoothingRows(g: Group, axes: Axes): OversmoothingRow[] {
  const rows: OversmoothingRow[] = [];
  const ok = g.runs.filter((r) => isOk(r) && r.oversmoothing?.layers?.length);
  if (!ok.length) return rows;
  const depths = [...new Set(ok.flatMap((r) => r.oversmoothing!.layers.map((l) => l.depth)))].sort((a, b) => a - b);
  for (const d of depths) {
    const layers = ok.map((r) => r.oversmoothing!.layers.find((l) => l.depth === d)).filter((l) => !!l);
    const vals = layers.map((l) => l!.cosine);
    const ci = confidenceInterval(vals);
    const os = ok[0].oversmoothing!;
    const axisValues = Object.fromEntries(axes.columns.map((c) => [c, axisCell(g.runs[0], c)]));
    rows.push({
      experiment: g.experiment, dataset: g.dataset, noise: g.noise, method: g.method,
      ...(g.settings ? { settings: g.settings } : {}), ...(axes.columns.length ? { axisValues } : {}),
      site: layers[0]!.site, layer: layers[0]!.layer, depth: d, n: vals.length,
      cosine_mean: mean(vals) ?? null, cosine_std: std(vals) ?? null, cosine_ci95_low: ci?.[0] ?? null, cosine_ci95_high: ci?.[1] ?? null,
      cls: os.cls, padding: os.padding, examples: os.examples,
    });
  }
  return rows;
}

/** Over-smoothing per layer: a line per method (e.g. baseline vs neutreno), mean with 95% CI error bars. */
export function oversmoothingPlots(records: RunRecord[], cache = new ReportCache(), axes = reportAxes(records, undefined, cache)): Plot[] {
  const rows = oversmoothingRows(records, cache, axes);
  const multi = new Set(rows.map((r) => r.experiment)).size > 1;
  return [...partition(rows, (r) => blockKey(r)).values()].map((rs) => cache.memo(`oversmoothing-plot ${blockKey(rs[0])}`, [multi, ...rs], () => blockOversmoothingPlot(rs, multi)));
}

/** Token similarity per layer of one block's cells. */
function blockOversmoothingPlot(rs: OversmoothingRow[], multi: boolean): Plot {
  const series: Series[] = [];
  for (const [method, mr] of partition(rs, (r) => r.method)) {
    series.push({
      name: method,
      points: mr.filter((r) => r.cosine_mean !== null).map((r) => ({
        x: r.depth,
        y: r.cosine_mean!,
        ...(r.cosine_ci95_low !== null ? { lo: r.cosine_ci95_low, hi: r.cosine_ci95_high! } : {}),
        label: `${method}, ${r.depth === 0 ? 'embedding' : `block ${r.depth}`}: cosine ${r.cosine_mean!.toFixed(3)}, ${r.n} run${r.n === 1 ? '' : 's'}`,
      })),
    });
  }
  const r0 = rs[0];
  const depths = [...new Set(rs.map((r) => r.depth))].sort((a, b) => a - b);
  const maxN = Math.max(...rs.map((r) => r.n));
  const cls = r0.cls === 'excluded' ? 'CLS token excluded' : 'no CLS token (mean pooling)';
  return {
    file: `${multi ? `${slug(r0.experiment)}-` : ''}oversmoothing-${slug(r0.dataset)}-${slug(r0.noise)}${settingsSuffix(r0.settings)}.svg`,
    svg: lineChart({
      title: `${r0.dataset}, ${noiseTitle(r0.noise)}${settingsTitle(r0.settings)}: token similarity per layer`,
      subtitle: `${r0.experiment}; mean pairwise cosine of tokens on ${r0.examples} test examples, ${cls}${r0.padding === 'excluded' ? ', padding excluded' : ''}; seeds: up to ${maxN}, bars: 95% CI`,
      xLabel: 'layer output (0 = embedding, l = block l)',
      yLabel: 'mean pairwise cosine similarity',
      series,
      xTicks: depths,
      xTickLabel: (v) => (v === 0 ? 'emb' : String(v)),
    }),
  };
}

/** Every plot of the records: accuracy vs noise, curves, over-smoothing, metrics against swept settings. */
export function allPlots(records: RunRecord[], settings: ReportSettings, cache = new ReportCache(), axes = reportAxes(records, settings, cache)): Plot[] {
  return [
    ...accuracyVsNoisePlots(records, settings, cache, axes), ...curvePlots(records, cache, axes), ...oversmoothingPlots(records, cache, axes),
    ...axisPlots(records, settings, cache, axes),
  ];
}
