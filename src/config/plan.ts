/**
 * The run matrix: datasets × noise × model/training grid × method arms × seeds → run specs with stable ids. Pure.
 *
 * Ids: `<dataset>-<method>-<noise>-s<seed>[-m<k>]-<hash>`, the hash over the run's resolved settings alone (never
 * over the rest of the plan, the axes or `--set`), so a scalar written as a one-element list, a value added to an
 * axis, or the same value given by `--set`, leaves the ids of existing runs (and their results) as they were.
 *
 * Seeds: `initSeed` (weights, batch order, dropout) depends on (dataset, noise, seed) only, so under one seed every
 * arm of a cell starts from the same weights and sees the same batches: paired comparisons with common random
 * numbers. That holds across every axis value too: the arms of one block (one point of the model/training grid)
 * share their draws, and a model axis changes the initial weights only through the shapes it changes. `methodSeed`
 * (λ, permutations, ...) also depends on the method and its options. Both are derived by hashing and never 0.
 * Ensembles add a member axis: member m of (dataset, noise, method, seed) gets its own initSeed and is an ordinary run
 * (so members run in parallel, resume and shard like any other run).
 */
import type { GridPoint, ResolvedDataset, ResolvedExperiment, ResolvedMethod, ResolvedNoise } from '../core/experiment';
import type { EnsembleMember, Plan, RunSpec } from '../core/run';
import { canonicalJson, deriveSeed, sha256Hex } from '../util/hash';
import { slug } from '../util/slug';

export function planRuns(exp: ResolvedExperiment): Plan {
  const runs: RunSpec[] = [];
  for (const dataset of exp.datasets) {
    for (const noise of exp.noise) {
      for (const point of exp.grid) {
        for (const method of exp.methods) {
          for (const seed of exp.seeds) {
            if (!exp.ensemble) runs.push(makeRun(exp, dataset, noise, point, method, seed));
            else {
              for (let m = 0; m < exp.ensemble.members; m++) {
                runs.push(makeRun(exp, dataset, noise, point, method, seed, { index: m, of: exp.ensemble.members, group: exp.ensemble.group, measure: exp.ensemble.measure }));
              }
            }
          }
        }
      }
    }
  }
  return { experiment: exp.name, output: exp.output, runs };
}

function makeRun(
  exp: ResolvedExperiment,
  dataset: ResolvedDataset,
  noise: ResolvedNoise,
  point: GridPoint,
  method: ResolvedMethod,
  seed: number,
  member?: EnsembleMember,
): RunSpec {
  const initSeed = member
    ? deriveSeed('init', canonicalJson(dataset), canonicalJson(noise), seed, 'member', member.index)
    : deriveSeed('init', canonicalJson(dataset), canonicalJson(noise), seed);
  const methodSeed = deriveSeed('method', initSeed, canonicalJson(method.parts));
  const body = {
    experiment: exp.name,
    dataset,
    method,
    noise,
    seed,
    initSeed,
    methodSeed,
    splitSeed: exp.splitSeed,
    model: point.model,
    train: point.train,
    ...(member ? { member } : {}),
  };
  const hash = sha256Hex(canonicalJson(body)).slice(0, 10);
  const memberTag = member ? `-m${member.index}` : '';
  const id = `${slug(dataset.name)}-${slug(method.name)}-${slug(noise.label)}-s${seed}${memberTag}-${hash}`;
  return { id, ...body, ...(exp.overrides?.length ? { overrides: exp.overrides } : {}) };
}
