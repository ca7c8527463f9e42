/** One run of the plan: every setting that determines what it computes, and its id. */
import { z } from 'zod';
import {
  DatasetSpecSchema, GROUPS, ResolvedMethodSchema, ResolvedModelSchema, ResolvedNoiseSchema, ResolvedTrainSchema,
} from './experiment';

/** Ensemble membership and the groups used for augmentation and equivariance diagnostics. */
export const EnsembleMemberSchema = z.strictObject({
  index: z.number().int().min(0),
  of: z.number().int().min(1),
  /** Augmentation group. */
  group: z.enum(GROUPS),
  /** Group of the test-set equivariance diagnostics. */
  measure: z.enum(GROUPS),
});
export type EnsembleMember = z.infer<typeof EnsembleMemberSchema>;

export const RunSpecSchema = z.strictObject({
  /** `<dataset>-<method>-<noise>-s<seed>[-m<k>]-<hash10>`; the hash covers every setting below. */
  id: z.string().min(1),
  experiment: z.string().min(1),
  dataset: DatasetSpecSchema,
  method: ResolvedMethodSchema,
  noise: ResolvedNoiseSchema,
  seed: z.number().int(),
  initSeed: z.number().int(),
  methodSeed: z.number().int(),
  splitSeed: z.number().int(),
  model: ResolvedModelSchema,
  train: ResolvedTrainSchema,
  /** Absent: not an ensemble member. */
  member: EnsembleMemberSchema.optional(),
  /**
   * The `--set` overrides of the command that planned the run (how it was asked for; not a setting: the id's hash
   * leaves it out, the settings it changed are in the fields above). Absent: none.
   */
  overrides: z.array(z.string()).optional(),
});
export type RunSpec = z.infer<typeof RunSpecSchema>;

export interface Plan {
  experiment: string;
  output: string;
  runs: RunSpec[];
}
