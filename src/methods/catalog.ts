/**
 * The method catalogue: names, option schemas, defaults and documentation. Pure data (no tfjs import), so the
 * config layer and `mixbench methods` can use it without loading a backend. The tfjs parts live in
 * `src/methods/<name>.ts` and are joined to these entries by `src/methods/registry.ts`.
 */
import { z } from 'zod';

/**
 * What a method part changes. Two parts of one composed method may not share a kind: two mixing rules would each
 * mix the targets, two optimizer-level methods would each own the update, two attention variants would collide.
 */
export type PartKind = 'mixing' | 'target' | 'attention' | 'optimizer';

export interface OptionDoc {
  name: string;
  default: string;
  range: string;
  description: string;
}

export interface MethodInfo {
  name: string;
  summary: string;
  /** What the method changes; [] for the baseline. */
  kinds: PartKind[];
  actsOn: string;
  cost: string;
  paper: string;
  /** Models the method can act on. */
  models: ('transformer' | 'mlp')[];
  /** Data modalities the method can act on. */
  modalities: ('image' | 'tabular' | 'text')[];
  options: z.ZodObject<z.ZodRawShape>;
  optionDocs: OptionDoc[];
  /** Extra notes shown by `mixbench methods` (reconstructions, deviations from official code). */
  notes?: string;
}

const catalog = new Map<string, MethodInfo>();

export function registerMethodInfo(info: MethodInfo): void {
  if (catalog.has(info.name)) throw new Error(`method "${info.name}" is registered twice`);
  catalog.set(info.name, info);
}

export function methodInfo(name: string): MethodInfo | undefined {
  return catalog.get(name);
}

export function methodNames(): string[] {
  return [...catalog.keys()];
}

const ALL_MODALITIES: MethodInfo['modalities'] = ['image', 'tabular', 'text'];

registerMethodInfo({
  name: 'baseline',
  summary: 'plain empirical risk minimisation with cross-entropy on one-hot targets',
  kinds: [],
  actsOn: 'nothing (reference arm)',
  cost: '1x',
  paper: '-',
  models: ['transformer', 'mlp'],
  modalities: ALL_MODALITIES,
  options: z.strictObject({}),
  optionDocs: [],
});

registerMethodInfo({
  name: 'mixup',
  summary: 'convex combinations of input pairs and of their one-hot targets, one λ ~ Beta(α, α) and one permutation per batch',
  kinds: ['mixing'],
  actsOn: 'model input (after normalisation); targets with the same permutation and λ',
  cost: '≈1x (one interpolation per batch)',
  paper: 'Zhang, Cisse, Dauphin, Lopez-Paz, "mixup: Beyond Empirical Risk Minimization", ICLR 2018 (arXiv 1710.09412)',
  models: ['transformer', 'mlp'],
  modalities: ['image', 'tabular'],
  options: z.strictObject({
    alpha: z.number().min(0, 'alpha must be >= 0 (0 disables mixing)').default(1),
  }),
  optionDocs: [
    { name: 'alpha', default: '1', range: '>= 0', description: 'Beta(α, α) concentration; α = 0 gives λ = 1 (plain training), as in the official code' },
  ],
});
