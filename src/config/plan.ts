/**
 * The run matrix: datasets × noise × methods × seeds → run specs with stable ids. Pure.
 *
 * Seeds: `initSeed` (weights, batch order, dropout) depends on (dataset, noise, seed) only, so under one seed every
 * method starts from the same weights and sees the same batches: paired comparisons with common random numbers.
 * `methodSeed` (λ, permutations, ...) also depends on the method. Both are derived by hashing and never 0.
 * Ensembles add a member axis: member m of (dataset, noise, method, seed) gets its own initSeed and is an ordinary run
 * (so members run in parallel, resume and shard like any other run).
 */
import type { ResolvedDataset, ResolvedExperiment, ResolvedMethod, ResolvedNoise } from '../core/experiment';
import type { EnsembleMember, Plan, RunSpec } from '../core/run';
import { canonicalJson, deriveSeed, sha256Hex } from '../util/hash';
import { slug } from '../util/slug';

export function planRuns(exp: ResolvedExperiment): Plan {
  const runs: RunSpec[] = [];
  for (const dataset of exp.datasets) {
    for (const noise of exp.noise) {
      for (const method of exp.methods) {
        for (const seed of exp.seeds) {
          if (!exp.ensemble) runs.push(makeRun(exp, dataset, noise, method, seed));
          else {
            for (let m = 0; m < exp.ensemble.members; m++) {
              runs.push(makeRun(exp, dataset, noise, method, seed, { index: m, of: exp.ensemble.members, group: exp.ensemble.group, measure: exp.ensemble.measure }));
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
    model: exp.model,
    train: exp.train,
    ...(member ? { member } : {}),
  };
  const hash = sha256Hex(canonicalJson(body)).slice(0, 10);
  const memberTag = member ? `-m${member.index}` : '';
  const id = `${slug(dataset.name)}-${slug(method.name)}-${slug(noise.label)}-s${seed}${memberTag}-${hash}`;
  return { id, ...body };
}
