/** YAML file → validated, fully resolved experiment. Collects every problem and reports them together. */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type Issue } from '../errors';
import { builtinDataset, builtinDatasetNames } from '../data/catalog';
import { checkDatasetEntry, modalityOf, resolveDatasetEntry } from '../data/spec';
import { checkNoise } from '../data/noise';
import { methodInfo } from '../methods/catalog';
import { issueAt, keyIssue, type SourceMap } from './locate';
import { resolveMethods } from './methods';
import { resolveModel, resolveTrain, resolveSeeds, resolveNoise, DEFAULT_SPLIT_SEED } from './resolve';
import { ExperimentFileSchema, type ResolvedExperiment } from './schema';
import { resolveReport } from '../report/settings';
import { collectionKeyIssues, datasetCollisionIssues, planSizeIssues } from './limits';

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
  if (!issues.length) issues.push(...collectionKeyIssues(src));
  if (issues.length) throw new ConfigError(issues);

  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([{ file, line: 1, col: 1, message: 'the config must be a YAML map with at least name, datasets and methods' }]);
  }
  const parsed = ExperimentFileSchema.safeParse(raw);
  if (!parsed.success) {
    for (const zi of parsed.error.issues) issues.push(schemaIssue(src, zi));
    // Still check method entries so that all problems are reported in one go.
    const methods = (raw as { methods?: unknown }).methods;
    if (Array.isArray(methods)) issues.push(...resolveMethods(src, methods).issues);
    throw new ConfigError(sortIssues(issues));
  }
  const file_ = parsed.data;

  const { methods, entryIndex, issues: methodIssues } = resolveMethods(src, file_.methods);
  issues.push(...methodIssues);

  const datasets = file_.datasets.map(resolveDatasetEntry);
  const model = resolveModel(file_.model);
  const train = resolveTrain(file_.train, model.type);
  const noise = resolveNoise(src, file_.noise, issues);

  datasets.forEach((ds, i) => {
    const info = builtinDataset(ds.name);
    if (!info && !ds.format) {
      issues.push(issueAt(src, ['datasets', i], `unknown dataset "${ds.name}"; built-in datasets: ${builtinDatasetNames().join(', ')} (see \`mixbench datasets\`), or give a \`format\` and \`path\` for your own file`));
      return;
    }
    if (info && ds.format) {
      issues.push(issueAt(src, ['datasets', i, 'name'], `"${ds.name}" is a built-in dataset; give your file another name`));
      return;
    }
    for (const [key, message] of checkDatasetEntry(ds)) issues.push(issueAt(src, ['datasets', i, key], message));
    const modality = modalityOf(ds)!;
    for (const nz of noise) {
      // (the message names the setting: one entry may expand into several)
      const problem = checkNoise(nz, { name: ds.name, modality, numClasses: info?.classes ?? Number.MAX_SAFE_INTEGER });
      if (problem) issues.push(issueAt(src, ['noise'], problem));
    }
    if (model.type === 'mlp' && modality === 'text') {
      issues.push(issueAt(src, ['model', 'type'], `the MLP does not take text (token ids; dataset ${ds.name} at datasets[${i}]); use model.type transformer`));
    }
    if (info && model.type === 'transformer' && info.modality === 'image') {
      const [h, w] = info.shape;
      if (h % model.patch !== 0 || w % model.patch !== 0) {
        issues.push(issueAt(src, ['model', 'patch'], `patch ${model.patch} does not divide the ${h}×${w} images of ${ds.name}; use a divisor such as ${divisors(h).join(', ')}`));
      }
    }
    for (const key of ['augment', 'measure'] as const) {
      const group = file_.ensemble?.[key]?.group;
      if (!group || group === 'none') continue;
      if (modality !== 'image') {
        issues.push(issueAt(src, ['ensemble', key, 'group'], `group ${group} acts on images, but dataset ${ds.name} at datasets[${i}] is ${modality}; use group: none`));
      } else if (info && group === 'c4' && info.shape[0] !== info.shape[1]) {
        issues.push(issueAt(src, ['ensemble', key, 'group'], `C4 rotations need square images; ${ds.name} is ${info.shape[0]}×${info.shape[1]}`));
      }
    }
    methods.forEach((m, k) => {
      for (const part of m.parts) {
        const mi = methodInfo(part.method)!;
        if (!mi.modalities.includes(modality)) {
          issues.push(issueAt(src, ['methods', entryIndex[k]], `${part.method} cannot act on ${modality} data (dataset ${ds.name} at datasets[${i}]); it supports ${mi.modalities.join(', ')} data`));
        }
      }
    });
  });
  issues.push(...planSizeIssues(src, file_, { datasets: datasets.length, noise: noise.length, methods: methods.length }), ...datasetCollisionIssues(src, datasets));
  (file_.claims ?? []).forEach((c, i) => {
    if ('ensembleInvariant' in c && !file_.ensemble) {
      issues.push(issueAt(src, ['claims', i], 'an ensembleInvariant claim needs ensemble members: add `ensemble: {members: K, augment: {group: c4}}`'));
    }
  });
  if (model.type === 'transformer' && model.dim % model.heads !== 0) {
    issues.push(issueAt(src, ['model', 'heads'], `heads (${model.heads}) must divide dim (${model.dim})`));
  }
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

  if (issues.length) throw new ConfigError(sortIssues(issues));
  return {
    name: file_.name,
    seeds: resolveSeeds(file_.seeds),
    datasets,
    methods,
    noise,
    model,
    train,
    backend: file_.backend ?? 'auto',
    splitSeed: file_.splitSeed ?? DEFAULT_SPLIT_SEED,
    output: file_.output ?? `results/${file_.name}`,
    ensemble: file_.ensemble
      ? {
          members: file_.ensemble.members,
          group: file_.ensemble.augment?.group ?? 'none',
          measure: file_.ensemble.measure?.group ?? file_.ensemble.augment?.group ?? 'none',
        }
      : null,
    report: resolveReport(file_.report, file_.claims),
  };
}

function schemaIssue(src: SourceMap, zi: z.core.$ZodIssue): Issue {
  const path = zi.path as (string | number)[];
  if (zi.code === 'unrecognized_keys') {
    const keys = (zi as { keys: string[] }).keys;
    return keyIssue(src, path, keys[0], `unknown key${keys.length > 1 ? 's' : ''} "${keys.join('", "')}"; remove or correct ${keys.length > 1 ? 'them' : 'it'} (keys are listed in the README's config reference)`);
  }
  if (zi.code === 'invalid_type' && (zi as { input?: unknown }).input === undefined) {
    return issueAt(src, path, `missing required key "${path[path.length - 1]}"`);
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
