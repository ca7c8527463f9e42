/**
 * Manifold Mixup (Verma et al., ICML 2019): per step draw one site k uniformly from the eligible set, λ ~ Beta(α, α)
 * and one π; at site k replace the hidden state h by λh + (1−λ)h[π] and continue the forward pass; targets are mixed
 * with the same π and λ. Sites: 'embed' (the token sequence after patch/position embedding; the input row of the MLP)
 * and block l (the output of Transformer block l, or hidden layer l of the MLP).
 */
import type { HiddenSite } from '../model/types';
import { drawMix, mixRows } from './mixup';
import { forcedLambda, type MethodPart, type PartFactory } from './types';

export type ManifoldSite = 'embed' | number;

export function blockCount(env: Parameters<PartFactory>[1]): number {
  return env.model.type === 'transformer' ? env.model.depth : env.model.hidden.length;
}

export const manifoldMixup: PartFactory = (options, env): MethodPart => {
  const alpha = options.alpha as number;
  const force = forcedLambda(options);
  const blocks = blockCount(env);
  const sites: ManifoldSite[] = (options.layers as ManifoldSite[] | undefined) ?? ['embed', ...Array.from({ length: blocks }, (_, l) => l)];
  for (const s of sites) {
    if (s !== 'embed' && !(Number.isInteger(s) && s >= 0 && s < blocks)) {
      throw new Error(`manifold-mixup: layer ${s} does not exist; the model has blocks 0..${blocks - 1} (and 'embed')`);
    }
  }
  const matches = (site: HiddenSite, target: ManifoldSite): boolean =>
    target === 'embed' ? site.kind === 'embed' : site.kind === 'block' && site.layer === target;
  return {
    name: 'manifold-mixup',
    beginStep(ctx) {
      const layer = sites[ctx.rng.int(sites.length)];
      const d = drawMix(ctx.rng, alpha, ctx.batchSize, force);
      return {
        info: { lambda: d.lambda, perm: d.perm, layer },
        batch: (x, y) => ({ x, y: mixRows(y, d) }),
        hooks: { hidden: (site, h) => (matches(site, layer) ? mixRows(h, d) : h) },
      };
    },
  };
};
