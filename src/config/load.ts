/**
 * YAML file → validated, fully resolved experiment. Every problem is collected and reported together: schema errors,
 * and the checks across fields (unknown dataset, heads not dividing dim, a method on data it cannot take, ...) on every
 * part of the file that is valid on its own.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import type { ResolvedDataset, ResolvedExperiment, ResolvedModel, ResolvedNoise } from '../core/experiment';
import { ConfigError, type Issue } from '../errors';
import { builtinDataset, builtinDatasetNames } from '../data/catalog';
import { checkDatasetEntry, modalityOf } from '../data/spec';
import { checkNoise } from '../data/noise';
import { methodInfo } from '../methods/index';
import { issueAt, keyIssue, type SourceMap } from './locate';
import { resolveMethods } from './methods';
import { resolveDatasetEntry, resolveEnsemble, resolveExperiment, resolveModel, resolveNoise } from './resolve';
import { ClaimFileSchema, DatasetEntrySchema, EnsembleSchema, ExperimentFileSchema, ModelSchema } from './schema';

export interface LoadOptions {
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
  return parseConfig(text, options.displayName ?? path);
}

export function parseConfig(text: string, file: string): ResolvedExperiment {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const src: SourceMap = { file, doc, lineCounter };
  const issues: Issue[] = [];
  for (const err of doc.errors) {
    const pos = err.linePos?.[0] ?? lineCounter.linePos(err.pos[0]);
    issues.push({ file, line: pos.line, col: pos.col, message: `YAML: ${err.message.split('\n')[0]}` });
  }
  if (issues.length) throw new ConfigError(issues);

  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([{ file, line: 1, col: 1, message: 'the config must be a YAML map with at least name, datasets and methods' }]);
  }
  const fields = raw as Record<string, unknown>;
  const parsed = ExperimentFileSchema.safeParse(raw);
  if (!parsed.success) for (const zi of parsed.error.issues) issues.push(schemaIssue(src, raw, zi));

  // Method entries and the noise axis are resolved entry by entry, whatever else is wrong.
  const resolved = Array.isArray(fields.methods) ? resolveMethods(src, fields.methods) : { methods: [], entryIndex: [], issues: [] };
  issues.push(...resolved.issues);
  const noise = Array.isArray(fields.noise) || fields.noise === undefined ? resolveNoise(src, fields.noise as unknown[] | undefined, issues) : [];
  issues.push(...crossFieldIssues(src, fields, resolved, noise));

  if (issues.length || !parsed.success) throw new ConfigError(sortIssues(issues));
  return resolveExperiment(parsed.data, resolved.methods, noise);
}

/**
 * Checks across fields, on every part of the file that is valid on its own: the datasets that parse (unknown names,
 * options, modality against noise, model, groups and methods), the model when it parses (heads vs dim, patch vs
 * image size), claims against the ensemble. A part with a schema error is left out of these checks (its own error
 * is already reported), so no problem is reported twice or as a consequence of another.
 */
function crossFieldIssues(
  src: SourceMap,
  fields: Record<string, unknown>,
  resolved: ReturnType<typeof resolveMethods>,
  noise: ResolvedNoise[],
): Issue[] {
  const issues: Issue[] = [];
  const modelParse = ModelSchema.optional().safeParse(fields.model);
  const model: ResolvedModel | undefined = modelParse.success ? resolveModel(modelParse.data) : undefined;
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
    if (model?.type === 'mlp' && modality === 'text') {
      issues.push(issueAt(src, ['model', 'type'], `the MLP does not take text (token ids; dataset ${ds.name} at datasets[${i}]); use model.type transformer`));
    }
    if (info && model?.type === 'transformer' && info.modality === 'image') {
      const [h, w] = info.shape;
      if (h % model.patch !== 0 || w % model.patch !== 0) {
        issues.push(issueAt(src, ['model', 'patch'], `patch ${model.patch} does not divide the ${h}×${w} images of ${ds.name}; use a divisor such as ${divisors(h).join(', ')}`));
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
  if (model?.type === 'transformer' && model.dim % model.heads !== 0) {
    issues.push(issueAt(src, ['model', 'heads'], `heads (${model.heads}) must divide dim (${model.dim})`));
  }
  if (model) {
    methods.forEach((m, i) => {
      for (const part of m.parts) {
        const mi = methodInfo(part.method)!;
        if (!mi.models.includes(model.type)) {
          issues.push(issueAt(src, ['methods', entryIndex[i]], `${part.method} acts inside attention and needs model.type transformer, not ${model.type}`));
        }
        const problem = mi.checkModel?.(part.options, model);
        if (problem) issues.push(issueAt(src, ['methods', entryIndex[i]], `${part.method}: ${problem}`));
      }
    });
  }
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
