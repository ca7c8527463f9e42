/**
 * Manifold Mixup (Verma et al., ICML 2019; official code vikasverma1077/manifold_mixup): per step draw one site k
 * uniformly from the eligible set, λ ~ Beta(α, α) and one π; at site k replace the hidden state h by λh + (1−λ)h[π]
 * and continue the forward pass; targets are mixed with the same π and λ. Sites: 'embed' (the token sequence after
 * patch/position embedding; the input row of the MLP) and block l (the output of Transformer block l, or hidden
 * layer l of the MLP).
 */
import { z } from 'zod';
import type { ResolvedModel } from '../core/experiment';
import type { HiddenSite } from '../model/types';
import { defineMethod } from './define';
import { drawMix, drawSite } from './draws';
import { mixingAlpha, type OptionMeta } from './options';

type Site = 'embed' | number;

function blockCount(model: ResolvedModel): number {
  return model.type === 'transformer' ? model.depth : model.hidden.length;
}

/** The layers that do not exist in `model`. */
function missingLayers(layers: readonly Site[], model: ResolvedModel): Site[] {
  const blocks = blockCount(model);
  return layers.filter((l) => l !== 'embed' && !(l < blocks));
}

const matches = (site: HiddenSite, target: Site): boolean =>
  target === 'embed' ? site.kind === 'embed' : site.kind === 'block' && site.layer === target;

export default defineMethod({
  name: 'manifold-mixup',
  summary: 'mixup of hidden states: per step one site drawn uniformly from a set, h ← λh + (1−λ)h[π] there, targets mixed alike',
  family: 'static linear',
  kinds: ['mixing'],
  actsOn: 'the token sequence after the embedding or after a block (MLP: the input row or a hidden layer); targets with the same π and λ',
  models: ['transformer', 'mlp'],
  modalities: ['image', 'tabular', 'text'],
  cost: { text: '≈1× (one interpolation per step)', measured: 1.03 },
  paper: 'Verma, Lamb, Beckham, Najafi, Mitliagkas, Lopez-Paz, Bengio, "Manifold Mixup", ICML 2019 (arXiv 1806.05236)',
  notes: 'Cross-entropy on the mixed soft targets (the official code uses BCE on softmax outputs).',
  options: z.strictObject({
    alpha: mixingAlpha(2, 'λ ~ Beta(α, α) and one permutation π per step; 0 gives λ = 1'),
    layers: z.array(z.union([z.literal('embed'), z.number().int().min(0, 'a layer is a block index >= 0 or "embed"')])).min(1).optional()
      .describe('sites the mixing layer is drawn from, uniformly per step ("embed" = after patch+position embedding; l = output of block l)')
      .meta({ defaultDoc: '[embed, 0, 1, ..., depth-1]' } satisfies OptionMeta),
  }),
  limit: { options: { alpha: 0 }, why: 'α = 0 gives λ = 1: no hidden state is mixed' },
  checkModel({ layers }, model) {
    const bad = missingLayers(layers ?? [], model);
    return bad.length ? `layers ${bad.join(', ')} do not exist; the model has blocks 0..${blockCount(model) - 1} and "embed"` : undefined;
  },
  create({ alpha, layers }, { model, tk, forceLambda }) {
    const blocks = blockCount(model);
    const sites: Site[] = layers ?? ['embed', ...Array.from({ length: blocks }, (_, l) => l)];
    const bad = missingLayers(sites, model);
    if (bad.length) throw new Error(`manifold-mixup: layer ${bad.join(', ')} does not exist; the model has blocks 0..${blocks - 1} (and 'embed')`);
    return {
      name: 'manifold-mixup',
      beginStep(ctx) {
        const layer = drawSite(ctx.rng, sites);
        const d = drawMix(ctx.rng, alpha, ctx.batchSize, forceLambda);
        return {
          info: { lambda: d.lambda, perm: d.perm, layer },
          batch: (x, y) => ({ x, y: tk.mixRows(y, d) }),
          hooks: { hidden: (site, h) => (matches(site, layer) ? tk.mixRows(h, d) : h) },
        };
      },
    };
  },
});
