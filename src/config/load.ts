/**
 * YAML file → validated, fully resolved experiment. Every problem is collected and reported together: schema errors,
 * and the checks across fields (unknown dataset, heads not dividing dim, a method on data it cannot take, ...) on every
 * part of the file that is valid on its own. `--set` overrides are applied to the document first and checked with it;
 * sweep axes are checked value by value, and the plan's size is known (and limited) before anything is expanded.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { armLabel, axesOf, isModelOrTrainKey, runSetting, runSettings } from '../core/axes';
import type { ResolvedDataset, ResolvedExperiment, ResolvedMethod, ResolvedNoise, SweepAxis } from '../core/experiment';
import { ConfigError, type Issue } from '../errors';
import { builtinDataset, builtinDatasetNames } from '../data/catalog';
import { checkDatasetEntry, modalityOf } from '../data/spec';
import { checkNoise } from '../data/noise';
import { methodInfo } from '../methods/index';
import { valuesAt } from './axes';
import { expandGrid, gridAxes, gridSize, writtenGrid, type ResolvedGridPoint, type WrittenGrid } from './grid';
import { issueAt, keyIssue, type SourceMap } from './locate';
import { armCount, expandMethods, writtenMethods, type WrittenEntry } from './methods';
import { applyOverrides, parseOverride } from './overrides';
import { resolveDatasetEntry, resolveEnsemble, resolveExperiment, resolveNoise } from './resolve';
import { ClaimFileSchema, DatasetEntrySchema, EnsembleSchema, ExperimentFileSchema, type ExperimentFile } from './schema';
import { collectionKeyIssues, datasetCollisionIssues, yamlSyntaxIssues } from './limits';

/** Plans larger than this are refused unless the caller raises the limit (`--max-runs`). */
export const DEFAULT_MAX_RUNS = 10_000;

export interface ParseOptions {
  /** `--set key=value` flags, applied to the document before it is checked (src/config/overrides.ts). */
  overrides?: readonly string[];
  /** Refuse a plan of more runs than this (default DEFAULT_MAX_RUNS). */
  maxRuns?: number;
}

export interface LoadOptions extends ParseOptions {
  /** Shown in messages instead of the path (tests). */
  displayName?: string;
}

export function loadConfigFile(path: string, options: LoadOptions = {}): ResolvedExperiment {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected a YAML file' : String(err);
    throw new ConfigError([{ file: path, message: `cannot read config: ${why}` }]);
  }
  return parseConfig(text, options.displayName ?? path, options);
}

export function parseConfig(text: string, file: string, options: ParseOptions = {}): ResolvedExperiment {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const issues: Issue[] = [];
  issues.push(...yamlSyntaxIssues({ file, doc, lineCounter }));
  if (!issues.length) issues.push(...collectionKeyIssues({ file, doc, lineCounter }));
  if (issues.length) throw new ConfigError(issues);
  const overrides = (options.overrides ?? []).map(parseOverride);
  const src: SourceMap = { file, doc, lineCounter, overrides: applyOverrides(doc, overrides) };

  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([{ file, line: 1, col: 1, message: 'the config must be a YAML map with at least name, datasets and methods' }]);
  }
  const fields = raw as Record<string, unknown>;
  const toIssue = (zi: z.core.$ZodIssue, path: (string | number)[]) => schemaIssue(src, raw, { ...zi, path } as z.core.$ZodIssue);

  // Model and training axes are split off and checked value by value; the rest of the file as a whole.
  const grid = writtenGrid(src, fields, toIssue, issues);
  const asChecked: Record<string, unknown> = { ...fields };
  for (const section of ['model', 'train'] as const) {
    const split = grid[section];
    if (split) asChecked[section] = valuesAt(split, split.axes.map((axis) => ({ axis, index: 0 })));
  }
  const parsed = ExperimentFileSchema.safeParse(asChecked);
  if (!parsed.success) {
    for (const zi of parsed.error.issues) {
      const head = zi.path[0];
      if ((head === 'model' && grid.model) || (head === 'train' && grid.train)) continue;
      issues.push(schemaIssue(src, raw, zi));
    }
  }

  // Method entries and the noise axis are checked entry by entry, whatever else is wrong.
  const written = Array.isArray(fields.methods) ? writtenMethods(src, fields.methods) : { entries: [], issues: [] };
  issues.push(...written.issues);
  const noise = Array.isArray(fields.noise) || fields.noise === undefined ? resolveNoise(src, fields.noise as unknown[] | undefined, issues) : [];
  issues.push(...datasetCollisionIssues(src, fields));

  // The size of the plan, before anything is expanded.
  const size = planSize(fields, noise.length, written.entries.reduce((n, e) => n + armCount(e), 0), gridSize(grid));
  const maxRuns = options.maxRuns ?? DEFAULT_MAX_RUNS;
  if (size.runs > maxRuns) {
    issues.push(sizeIssue(src, size, maxRuns, grid, written.entries));
    throw new ConfigError(sortIssues(issues));
  }

  const expanded = expandMethods(src, written.entries);
  issues.push(...expanded.issues);
  const points = expandGrid(grid);
  const axes = [...gridAxes(grid), ...expanded.axes];
  issues.push(...crossFieldIssues(src, fields, expanded, noise, points));
  if (parsed.success && grid.ok) issues.push(...reportIssues(src, parsed.data, expanded.methods, points, axes));

  if (issues.length || !parsed.success || !grid.ok) throw new ConfigError(sortIssues(dedupe(issues)));
  const exp = resolveExperiment(parsed.data, expanded.methods, noise, points.map(({ model, train }) => ({ model, train })), axes);
  if (overrides.length) exp.overrides = overrides.map((o) => o.text);
  return exp;
}

interface PlanSize {
  runs: number;
  datasets: number;
  noise: number;
  arms: number;
  grid: number;
  seeds: number;
  members: number;
}

/** The number of seeds a valid `seeds` value stands for, without building the list. */
function seedCount(seeds: unknown): number {
  if (typeof seeds === 'number') return Number.isInteger(seeds) && seeds > 0 ? seeds : 1;
  return Array.isArray(seeds) ? Math.max(1, new Set(seeds).size) : 3;
}

function planSize(fields: Record<string, unknown>, noise: number, arms: number, grid: number): PlanSize {
  const m = (fields.ensemble as { members?: unknown } | undefined)?.members;
  const members = typeof m === 'number' && Number.isInteger(m) && m > 0 ? m : 1;
  const datasets = Array.isArray(fields.datasets) ? Math.max(1, fields.datasets.length) : 1;
  const seeds = seedCount(fields.seeds);
  const size = { datasets, noise: Math.max(1, noise), arms: Math.max(1, arms), grid, seeds, members };
  return { ...size, runs: size.datasets * size.noise * size.arms * size.grid * size.seeds * size.members };
}

/** The plan is too large: say how it multiplies up, and point at the largest axis. */
function sizeIssue(src: SourceMap, size: PlanSize, maxRuns: number, grid: WrittenGrid, entries: WrittenEntry[]): Issue {
  const n = (x: number) => x.toLocaleString('en-US');
  const parts = [
    `${n(size.datasets)} dataset${size.datasets === 1 ? '' : 's'}`, `${n(size.noise)} noise setting${size.noise === 1 ? '' : 's'}`,
    `${n(size.grid)} model/training setting${size.grid === 1 ? '' : 's'}`, `${n(size.arms)} method arm${size.arms === 1 ? '' : 's'}`,
    `${n(size.seeds)} seed${size.seeds === 1 ? '' : 's'}`, ...(size.members > 1 ? [`${n(size.members)} ensemble members`] : []),
  ];
  const axes = [...grid.factors.flatMap((f) => f.axes), ...entries.flatMap((e) => e.factors.flatMap((f) => f.axes))];
  const largest = axes.reduce<(typeof axes)[number] | undefined>((a, b) => (!a || b.values.length > a.values.length ? b : a), undefined);
  const at = largest && largest.values.length > 1 && largest.values.length >= size.seeds ? largest.path : size.seeds > 1 ? ['seeds'] : [];
  return issueAt(src, at, `this plan has ${n(size.runs)} runs (${parts.join(' × ')}), more than the limit of ${n(maxRuns)}; shrink an axis, or raise the limit with --max-runs ${size.runs} (or MIXBENCH_MAX_RUNS=${size.runs})`);
}

function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.file}:${i.line}:${i.col}:${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Where a grid point's value of a model key is written: its list element when swept, else the key. */
function modelPath(point: ResolvedGridPoint, key: string): (string | number)[] {
  const p = point.point.find((x) => x.axis.path[0] === 'model' && x.axis.key === key);
  return p ? [...p.axis.path, p.index] : ['model', key];
}

/** "with model.depth = 2: " for the checks of one grid point when the grid has several. */
function pointPrefix(point: ResolvedGridPoint, many: boolean): string {
  if (!many || !point.point.length) return '';
  return `with ${point.point.map(({ axis, index }) => `${axis.path[0]}.${axis.key} = ${JSON.stringify(axis.values[index])}`).join(', ')}: `;
}

/**
 * Checks across fields, on every part of the file that is valid on its own: the datasets that parse (unknown names,
 * options, modality against noise, model, groups and methods), each model of the grid (heads vs dim, patch vs
 * image size, what each method needs of it), claims against the ensemble. A part with a schema error is left out of
 * these checks (its own error is already reported), so no problem is reported twice or as a consequence of another.
 */
function crossFieldIssues(
  src: SourceMap,
  fields: Record<string, unknown>,
  resolved: { methods: ResolvedMethod[]; entryIndex: number[] },
  noise: ResolvedNoise[],
  points: ResolvedGridPoint[],
): Issue[] {
  const issues: Issue[] = [];
  const many = points.length > 1;
  const ensembleParse = EnsembleSchema.optional().safeParse(fields.ensemble);
  const ensemble = ensembleParse.success ? resolveEnsemble(ensembleParse.data) : undefined;
  const datasets: { ds: ResolvedDataset; i: number }[] = [];
  if (Array.isArray(fields.datasets)) {
    fields.datasets.forEach((entry, i) => {
      const d = DatasetEntrySchema.safeParse(entry);
      if (d.success) datasets.push({ ds: resolveDatasetEntry(d.data), i });
    });
  }
  const { methods, entryIndex } = resolved;

  for (const { ds, i } of datasets) {
    const info = builtinDataset(ds.name);
    if (!info && !ds.format) {
      issues.push(issueAt(src, ['datasets', i], `unknown dataset "${ds.name}"; built-in datasets: ${builtinDatasetNames().join(', ')} (see \`mixbench datasets\`), or give a \`format\` and \`path\` for your own file`));
      continue;
    }
    if (info && ds.format) {
      issues.push(issueAt(src, ['datasets', i, 'name'], `"${ds.name}" is a built-in dataset; give your file another name`));
      continue;
    }
    for (const [key, message] of checkDatasetEntry(ds)) issues.push(issueAt(src, ['datasets', i, key], message));
    const modality = modalityOf(ds)!;
    for (const nz of noise) {
      // (the message names the setting: one entry may expand into several)
      const problem = checkNoise(nz, { name: ds.name, modality, numClasses: info?.classes ?? Number.MAX_SAFE_INTEGER });
      if (problem) issues.push(issueAt(src, ['noise'], problem));
    }
    for (const point of points) {
      const model = point.model;
      if (model.type === 'mlp' && modality === 'text') {
        issues.push(issueAt(src, modelPath(point, 'type'), `the MLP does not take text (token ids; dataset ${ds.name} at datasets[${i}]); use model.type transformer`));
      }
      if (info && model.type === 'transformer' && info.modality === 'image') {
        const [h, w] = info.shape;
        if (h % model.patch !== 0 || w % model.patch !== 0) {
          issues.push(issueAt(src, modelPath(point, 'patch'), `patch ${model.patch} does not divide the ${h}×${w} images of ${ds.name}; use a divisor such as ${divisors(h).join(', ')}`));
        }
      }
    }
    if (ensemble) {
      for (const key of ['augment', 'measure'] as const) {
        const group = key === 'augment' ? ensemble.group : ensemble.measure;
        if (group === 'none' || (key === 'measure' && ensemble.measure === ensemble.group)) continue;
        if (modality !== 'image') {
          issues.push(issueAt(src, ['ensemble', key, 'group'], `group ${group} acts on images, but dataset ${ds.name} at datasets[${i}] is ${modality}; use group: none`));
        } else if (info && group === 'c4' && info.shape[0] !== info.shape[1]) {
          issues.push(issueAt(src, ['ensemble', key, 'group'], `C4 rotations need square images; ${ds.name} is ${info.shape[0]}×${info.shape[1]}`));
        }
      }
    }
    methods.forEach((m, k) => {
      for (const part of m.parts) {
        const mi = methodInfo(part.method)!;
        if (!mi.modalities.includes(modality)) {
          issues.push(issueAt(src, ['methods', entryIndex[k]], `${part.method} cannot act on ${modality} data (dataset ${ds.name} at datasets[${i}]); it supports ${mi.modalities.join(', ')} data${mi.otherData ? `; ${mi.otherData}` : ''}`));
        }
      }
    });
  }
  if (Array.isArray(fields.claims)) {
    fields.claims.forEach((c, i) => {
      const claim = ClaimFileSchema.safeParse(c);
      if (claim.success && 'ensembleInvariant' in claim.data && fields.ensemble === undefined) {
        issues.push(issueAt(src, ['claims', i], 'an ensembleInvariant claim needs ensemble members: add `ensemble: {members: K, augment: {group: c4}}`'));
      }
    });
  }
  if (fields.model && typeof fields.model === 'object' && (fields.model as Record<string, unknown>).type === 'mlp' && 'head' in (fields.model as Record<string, unknown>)) {
    issues.push(issueAt(src, ['model', 'head'], 'model.head places the Transformer\'s final LayerNorm; the MLP has none: remove model.head'));
  }
  for (const point of points) {
    const model = point.model;
    const prefix = pointPrefix(point, many);
    if (model.type === 'transformer' && model.dim % model.heads !== 0) {
      issues.push(issueAt(src, modelPath(point, point.point.some((p) => p.axis.key === 'heads') ? 'heads' : point.point.some((p) => p.axis.key === 'dim') ? 'dim' : 'heads'), `heads (${model.heads}) must divide dim (${model.dim})`));
    }
    methods.forEach((m, i) => {
      for (const part of m.parts) {
        const mi = methodInfo(part.method)!;
        if (!mi.models.includes(model.type)) {
          issues.push(issueAt(src, ['methods', entryIndex[i]], `${prefix}${part.method} acts inside attention and needs model.type transformer, not ${model.type}`));
        }
        const problem = mi.checkModel?.(part.options, model);
        if (problem) issues.push(issueAt(src, ['methods', entryIndex[i]], `${prefix}${part.method}: ${problem}`));
      }
    });
  }
  return issues;
}

/**
 * Claims and axis plots against the plan: claim arms that exist (an entry name, or an arm as labelled in the
 * tables), a `than` arm that is one arm in each compared cell, `where` keys that are settings with that value in the
 * plan, and plot axes that are swept numeric settings.
 */
function reportIssues(src: SourceMap, file: ExperimentFile, methods: ResolvedMethod[], points: ResolvedGridPoint[], declared: SweepAxis[]): Issue[] {
  const issues: Issue[] = [];
  const specs = methods.flatMap((method) => points.map((p) => ({ experiment: file.name, method, model: p.model, train: p.train })));
  const axes = axesOf(specs, declared);
  const values = new Map<string, Set<string>>();
  for (const spec of specs) {
    for (const [k, v] of runSettings(spec)) {
      if (!values.has(k)) values.set(k, new Set());
      values.get(k)!.add(JSON.stringify(v));
    }
  }
  const arms = [...new Map(methods.map((m) => [armLabel({ experiment: file.name, method: m }, axes), m])).entries()];
  const names = new Set([...methods.map((m) => m.name), ...arms.map(([label]) => label)]);
  const known = [...new Set(arms.map(([label]) => label))];
  const matches = (name: string, where: Record<string, unknown> | undefined) => arms.filter(([label, m]) => {
    if (label !== name && m.name !== name) return false;
    return Object.entries(where ?? {}).every(([k, v]) => {
      const spec = { experiment: file.name, method: m, model: points[0].model, train: points[0].train };
      const mine = runSetting(spec, k);
      return isModelOrTrainKey(k) || mine === undefined || JSON.stringify(mine) === JSON.stringify(v);
    });
  });
  (file.claims ?? []).forEach((c, i) => {
    const at = ['claims', i];
    const arm = 'better' in c ? ['better', c.better] as const : 'notWorse' in c ? ['notWorse', c.notWorse] as const : ['ensembleInvariant', c.ensembleInvariant] as const;
    const checkName = (key: string, name: string) => {
      if (!names.has(name)) issues.push(issueAt(src, [...at, key], `"${name}" is not an arm of this config; arms: ${known.join(', ')}`));
    };
    checkName(arm[0], arm[1]);
    if ('than' in c) {
      checkName('than', c.than);
      const found = matches(c.than, c.where);
      if (names.has(c.than) && found.length > 1) {
        const keys = [...new Set(found.flatMap(([label]) => label === c.than ? [] : [label]))];
        issues.push(issueAt(src, [...at, 'than'], `"${c.than}" stands for ${found.length} arms (${keys.join(', ')}); compare with one of them: name it, e.g. than: ${keys[0]}, or pin its options with where`));
      }
    }
    for (const [k, v] of Object.entries(c.where ?? {})) {
      const seen = values.get(k);
      if (!seen) {
        issues.push(keyIssue(src, [...at, 'where'], k, `"${k}" is not a setting of this config's runs; where takes axis keys such as ${[...axes.columns, 'model.depth', 'train.lr'].slice(0, 4).join(', ')}`));
      } else if (!seen.has(JSON.stringify(v))) {
        issues.push(issueAt(src, [...at, 'where', k], `${k} is never ${JSON.stringify(v)} in this plan (its values: ${[...seen].join(', ')})`));
      }
    }
  });
  (file.report?.plots ?? []).forEach((plot, i) => {
    const seen = values.get(plot.x);
    const numeric = seen ? [...seen].map((v) => JSON.parse(v) as unknown).filter((v) => typeof v === 'number') : [];
    if (!seen || seen.size < 2 || numeric.length !== seen.size) {
      const swept = axes.columns.filter((k) => [...(values.get(k) ?? [])].every((v) => typeof JSON.parse(v) === 'number'));
      issues.push(issueAt(src, ['report', 'plots', i, 'x'], `${plot.x} is not a swept numeric setting of this config; ${swept.length ? `swept numeric settings: ${swept.join(', ')}` : 'the config sweeps no numeric setting (write a list of values, e.g. model.depth: [2, 4, 8])'}`));
    }
  });
  return issues;
}

const EXPECTED: Record<string, string> = {
  number: 'a number', int: 'an integer', string: 'a string', boolean: 'true or false', array: 'a list', object: 'a map',
};

/** The value a YAML document holds at `path`, or undefined when a key on the way is absent. */
function valueAt(raw: unknown, path: (string | number)[]): unknown {
  let v = raw;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

function describeValue(v: unknown): string {
  if (v === null) return 'an empty value';
  if (typeof v === 'string') return `the text "${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  if (typeof v === 'number') return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return 'a list';
  return 'a map';
}

function schemaIssue(src: SourceMap, raw: unknown, zi: z.core.$ZodIssue): Issue {
  const path = zi.path as (string | number)[];
  if (zi.code === 'unrecognized_keys') {
    const keys = (zi as { keys: string[] }).keys;
    return keyIssue(src, path, keys[0], `unknown key${keys.length > 1 ? 's' : ''} "${keys.join('", "')}"; remove or correct ${keys.length > 1 ? 'them' : 'it'} (keys are listed in the README's config reference)`);
  }
  const value = valueAt(raw, path);
  if ((zi.code === 'invalid_type' || zi.code === 'invalid_union') && value === undefined) {
    return issueAt(src, path, `missing required key "${path[path.length - 1]}"`);
  }
  if (zi.code === 'invalid_type') {
    const expected = EXPECTED[(zi as { expected: string }).expected] ?? (zi as { expected: string }).expected;
    return issueAt(src, path, `expected ${expected}, got ${describeValue(value)}`);
  }
  if (zi.code === 'invalid_union') {
    const alternatives = (zi as unknown as { errors: z.core.$ZodIssue[][] }).errors
      .map((errs) => errs.find((e) => e.code === 'invalid_type' && e.path.length === 0) as { expected?: string } | undefined)
      .map((e) => (e?.expected ? EXPECTED[e.expected] ?? e.expected : undefined));
    if (alternatives.every((a) => a !== undefined)) return issueAt(src, path, `expected ${[...new Set(alternatives)].join(' or ')}, got ${describeValue(value)}`);
  }
  return issueAt(src, path, zi.message);
}

function sortIssues(issues: Issue[]): Issue[] {
  return [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
}

function divisors(n: number): number[] {
  const out: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) out.push(d);
  return out;
}
