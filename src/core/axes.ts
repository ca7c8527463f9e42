/**
 * Sweep axes: the settings of a run that a config may vary, and which of them the tables show.
 *
 * A setting is named by a key: `model.<key>`, `train.<key>`, or `<part>.<option>` for an option of a method part
 * (`mixup.alpha`, `neutreno.lambda`). The axes of a set of runs are the keys a config declared as axes (with two or
 * more values) and, found from the runs themselves, every model or training key whose value differs between runs of
 * one experiment and every option that differs between runs of one method name. So tables built from records alone
 * (`mixbench report <dir>`) know the axes, and runs with different settings never pool into one cell.
 *
 *   settings   model and training axes: a column each, and part of the block (the cells compared with each other)
 *   labels     per (experiment, method name), the options that tell its arms apart: shown in the arm's label,
 *              e.g. `neutreno[lambda=0.2]`, since the arms of one swept entry share the entry's name (and so their
 *              run ids do not change when a value is added to the axis)
 *   columns    every axis column of runs.csv and summary.*: the settings, then the method options
 */
import type { Axis } from './experiment';
import type { RunSpec } from './run';

export interface Axes {
  settings: string[];
  labels: Map<string, string[]>;
  columns: string[];
}

export const NO_AXES: Axes = { settings: [], labels: new Map(), columns: [] };

type SettingsSpec = Pick<RunSpec, 'model' | 'train' | 'method'>;

export function isModelOrTrainKey(key: string): boolean {
  return key.startsWith('model.') || key.startsWith('train.');
}

const flatCache = new WeakMap<object, Map<string, unknown>>();

/** Every setting of a run an axis may vary, by key, in a fixed order: model, training, then each part's options. */
export function runSettings(spec: SettingsSpec): ReadonlyMap<string, unknown> {
  let m = flatCache.get(spec);
  if (!m) {
    m = new Map();
    for (const [k, v] of Object.entries(spec.model)) m.set(`model.${k}`, v);
    for (const [k, v] of Object.entries(spec.train)) m.set(`train.${k}`, v);
    for (const part of spec.method.parts) for (const [k, v] of Object.entries(part.options)) m.set(`${part.method}.${k}`, v);
    flatCache.set(spec, m);
  }
  return m;
}

/** The value of one setting of a run (undefined when the run has no such setting, e.g. an option of another method). */
export function runSetting(spec: SettingsSpec, key: string): unknown {
  return runSettings(spec).get(key);
}

/** An axis value as text: numbers and strings as written, lists as `[a,b]`, maps as JSON. */
export function formatAxisValue(v: unknown): string {
  if (v === undefined) return '–';
  if (v === null) return 'none';
  if (Array.isArray(v)) return `[${v.map(formatAxisValue).join(',')}]`;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** Equality of setting values (as JSON, so lists and maps compare by content). */
function valueId(v: unknown): string {
  return v === undefined ? '\u0000undefined' : JSON.stringify(v);
}

const methodId = (experiment: string, method: string) => JSON.stringify([experiment, method]);

type AxisSpec = SettingsSpec & Pick<RunSpec, 'experiment'>;

/** The axes of `specs`: declared ones with two or more values, and the keys whose values differ (see the top). */
export function axesOf(specs: Iterable<AxisSpec>, declared: readonly Axis[] = []): Axes {
  const settingValues = new Map<string, Map<string, Set<string>>>(); // experiment → key → values
  const optionValues = new Map<string, Map<string, Set<string>>>(); // (experiment, method) → key → values
  const order = new Map<string, number>();
  const note = (table: Map<string, Map<string, Set<string>>>, group: string, key: string, v: unknown) => {
    let g = table.get(group);
    if (!g) table.set(group, (g = new Map()));
    let s = g.get(key);
    if (!s) g.set(key, (s = new Set()));
    s.add(valueId(v));
    if (!order.has(key)) order.set(key, order.size);
  };
  const all: AxisSpec[] = [...specs];
  // Keys present in some runs only count as differing (absent vs a value) within their group.
  const keysOf = new Map<string, Set<string>>();
  for (const spec of all) {
    for (const key of runSettings(spec).keys()) {
      const group = isModelOrTrainKey(key) ? spec.experiment : methodId(spec.experiment, spec.method.name);
      let s = keysOf.get(group);
      if (!s) keysOf.set(group, (s = new Set()));
      s.add(key);
    }
  }
  for (const spec of all) {
    const flat = runSettings(spec);
    const sGroup = spec.experiment;
    const mGroup = methodId(spec.experiment, spec.method.name);
    for (const key of keysOf.get(sGroup) ?? []) if (isModelOrTrainKey(key)) note(settingValues, sGroup, key, flat.get(key));
    for (const key of keysOf.get(mGroup) ?? []) if (!isModelOrTrainKey(key)) note(optionValues, mGroup, key, flat.get(key));
  }

  const settings: string[] = [];
  const options: string[] = [];
  const labels = new Map<string, string[]>();
  const addLabel = (group: string, key: string) => {
    const l = labels.get(group) ?? [];
    if (!l.includes(key)) labels.set(group, [...l, key]);
  };
  for (const axis of declared) {
    if (new Set(axis.values.map(valueId)).size < 2) continue;
    if (isModelOrTrainKey(axis.key)) {
      if (!settings.includes(axis.key)) settings.push(axis.key);
    } else {
      if (!options.includes(axis.key)) options.push(axis.key);
      if (axis.method) for (const spec of all) if (spec.method.name === axis.method && runSettings(spec).has(axis.key)) addLabel(methodId(spec.experiment, axis.method), axis.key);
    }
  }
  const inferred = (table: Map<string, Map<string, Set<string>>>) =>
    [...table].flatMap(([group, keys]) => [...keys].filter(([, vs]) => vs.size > 1).map(([key]) => ({ group, key })))
      .sort((a, b) => order.get(a.key)! - order.get(b.key)!);
  for (const { key } of inferred(settingValues)) if (!settings.includes(key)) settings.push(key);
  for (const { group, key } of inferred(optionValues)) {
    if (!options.includes(key)) options.push(key);
    addLabel(group, key);
  }
  return { settings, labels, columns: [...settings, ...options] };
}

/** The option keys in the label of a run's arm. */
export function labelKeys(spec: Pick<RunSpec, 'experiment' | 'method'>, axes: Axes): string[] {
  return axes.labels.get(methodId(spec.experiment, spec.method.name)) ?? [];
}

/**
 * The arm of a run as named in tables, plots and claims: its method name, followed by the options that tell the
 * arms of one swept entry apart, `neutreno[lambda=0.2]` (`amplify+neutreno[neutreno.lambda=0.2]` when the method has
 * several parts). Unique within an experiment: entry names are unique and an entry's arms differ in those options.
 */
export function armLabel(spec: Pick<RunSpec, 'experiment' | 'method'>, axes: Axes): string {
  return labelWith(spec, labelKeys(spec, axes));
}

/** The arm label of a run showing the options `keys` (armLabel with a chosen set of keys). */
export function labelWith(spec: Pick<RunSpec, 'method'>, keys: readonly string[]): string {
  if (!keys.length) return spec.method.name;
  const single = spec.method.parts.length === 1;
  const option = (k: string) => {
    const dot = k.indexOf('.');
    return spec.method.parts.find((p) => p.method === k.slice(0, dot))?.options[k.slice(dot + 1)];
  };
  const shown = keys.map((k) => `${single ? k.slice(k.indexOf('.') + 1) : k}=${formatAxisValue(option(k))}`);
  return `${spec.method.name}[${shown.join(',')}]`;
}

/** The model and training axis values of a run, as [key, text] pairs in axis order. */
export function settingLabels(spec: SettingsSpec, axes: Axes): [string, string][] {
  return axes.settings.map((k) => [k, formatAxisValue(runSetting(spec, k))]);
}

/** The values of a declared axis list and found axes as text for `mixbench plan`: `model.depth = 2, 4, 8`. */
export function describeAxis(axis: Axis): string {
  return `${axis.key} = ${axis.values.map(formatAxisValue).join(', ')}`;
}
