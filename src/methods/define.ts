/**
 * What a method file declares, and `defineMethod`, which turns it into an entry of the method list
 * (src/methods/index.ts). A method file holds everything about one method: metadata for `mixbench methods` and the
 * docs, the zod option schema (defaults and descriptions written there once; the option type is inferred from it),
 * the limit case the tests check, and `create`, which builds the tfjs parts. Method files import tfjs as types only:
 * `create` receives the tfjs toolkit in `env.tk` from the registry, so the list loads without a backend.
 */
import type { z } from 'zod';
import type { Modality, ResolvedModel } from '../core/experiment';
import type { MethodPart, PartEnv } from './types';

/** The families of the Mixup survey (and the two non-mixing families mixbench also covers). */
export const FAMILIES = [
  'reference',
  'static linear',
  'cutting-based',
  'saliency-based',
  'attention-based',
  'label-side',
  'optimizer/flatness',
  'attention regularisation',
] as const;
export type Family = (typeof FAMILIES)[number];

/**
 * What a method part changes. Two parts of one composed method may not share a kind: two mixing rules would each
 * mix the targets, two optimizer-level methods would each own the update, two attention variants would collide.
 */
export type PartKind = 'mixing' | 'target' | 'attention' | 'optimizer';

export type ModelType = ResolvedModel['type'];

/** A method's option schema: a strict zod object (unknown keys are config errors). */
export type OptionSchema = z.ZodObject<z.ZodRawShape, z.core.$strict>;

export interface Cost {
  /** Expected extra cost and why, e.g. "≈2× (two forward/backward passes)". */
  text: string;
  /** Step time ÷ baseline step time measured by bench/methods.ts (wasm, CPU clock), where measured. */
  measured?: number;
}

/**
 * The limit case: option values under which the method is another method (by default `baseline`) bit for bit —
 * the same loss and gradients of a step and the same weights after optimizer steps. Checked for every method by
 * test/methods-matrix.test.ts.
 */
export interface LimitCase<Options> {
  options: Partial<Options>;
  /** The method it then equals (default: baseline), with its default options. */
  equals?: string;
  /**
   * Test-only λ for methods whose λ rule reaches 1 under no option value (AMPLIFY: α > 0 and a max of Beta draws);
   * passed as `env.forceLambda`.
   */
  forceLambda?: number;
  /** Why these values are the limit (shown in the docs). */
  why: string;
}

export interface MethodMeta {
  name: string;
  /** One line: what the method does. */
  summary: string;
  family: Family;
  /** What the method changes; [] for the baseline. */
  kinds: readonly PartKind[];
  /** Where in the step it acts. */
  actsOn: string;
  models: readonly ModelType[];
  modalities: readonly Modality[];
  cost: Cost;
  /** The paper (authors, title, venue, arXiv id). */
  paper: string;
  /** Deviations from the official code, reconstructions, facts a user must know. */
  notes?: string;
  /** What to use instead on data the method cannot take (appended to the config error), e.g. for text. */
  otherData?: string;
}

/** What a method file writes; `Options` is inferred from `options`. */
export interface MethodSpec<S extends OptionSchema> extends MethodMeta {
  options: S;
  limit: LimitCase<z.input<S>>;
  /** Config-time check of the resolved options against the model; returns a problem or undefined. */
  checkModel?(options: z.output<S>, model: ResolvedModel): string | undefined;
  /** The tfjs parts of the method for one run (called by the registry with the toolkit in `env.tk`). */
  create(options: z.output<S>, env: PartEnv): MethodPart;
}

/** An entry of the method list: the metadata, the schema, and the typed spec behind an untyped-input boundary. */
export interface MethodModule extends MethodMeta {
  options: OptionSchema;
  limit: LimitCase<Record<string, unknown>>;
  /** Parses `options` with the schema, then runs the spec's checkModel. */
  checkModel(options: unknown, model: ResolvedModel): string | undefined;
  /** Parses `options` with the schema (defaults fill in), then runs the spec's create. */
  create(options: unknown, env: PartEnv): MethodPart;
}

export function defineMethod<S extends OptionSchema>(spec: MethodSpec<S>): MethodModule {
  const { options, limit, checkModel, create, ...meta } = spec;
  return {
    ...meta,
    options,
    limit: { ...limit, options: { ...limit.options } },
    checkModel: (raw, model) => checkModel?.(options.parse(raw), model),
    create: (raw, env) => create(options.parse(raw), env),
  };
}
