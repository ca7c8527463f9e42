/**
 * TransMix (Chen, Sun, He, Torr, Yuille & Bai, CVPR 2022; official code Beckschen/TransMix, transmix.py
 * `Mixup_transmix` and `transmix_label`, with timm 0.5's ViT returning the last block's attention): timm's per-batch
 * mixup-or-CutMix with the flipped batch as partner (Mixup_transmix is timm's Mixup: timm-mixup's draw in mode batch,
 * with correct_lam); on CutMix steps the targets are re-weighted by the class
 * token's attention. From the same forward pass, the last block's softmax attention (detached), the CLS query's row
 * over the patch keys (the CLS column dropped, not renormalised), averaged over heads: a ∈ R^{B×N}. The box is brought
 * to the patch grid by nearest-neighbour downsampling (a patch counts when its top-left pixel is pasted): m ∈ {0,1}^N.
 * λ_attn = Σ m·a / Σ a, λ_area = box area/(H·W); the partner's weight w = (λ_area + λ_attn)/2 per example; targets
 * (1−w)·y + w·y[flip]. Mixup steps keep timm's targets.
 */
import { z } from 'zod';
import type * as tf from '../tf';
import { defineMethod } from './define';
import { drawTimmMixup, flipPermutation, type Box } from './draws';
import { mixingAlpha } from './options';
import type { PartStep, Toolkit } from './types';

/** [1, H, W, 1] mask, 1 inside the box. */
function boxMask(tk: Toolkit, box: Box, height: number, width: number): tf.Tensor4D {
  const m = new Float32Array(height * width);
  for (let r = box.y1; r < box.y2; r++) m.fill(1, r * width + box.x1, r * width + box.x2);
  return tk.tf.tensor4d(m, [1, height, width, 1]);
}

/**
 * The box on the patch grid [gh·gw], row-major: PyTorch's nearest downsampling (nn.Upsample(size)) keeps source
 * pixel ⌊i·H/gh⌋ = i·p, the patch's top-left pixel. The official code downsamples to a square √N × √N grid; per axis
 * here, so that non-square images work the same way.
 */
export function patchMask(box: Box, height: number, width: number, patch: number): Float32Array {
  const gh = height / patch;
  const gw = width / patch;
  const m = new Float32Array(gh * gw);
  for (let i = 0; i < gh; i++) {
    for (let j = 0; j < gw; j++) {
      const r = i * patch;
      const c = j * patch;
      if (r >= box.y1 && r < box.y2 && c >= box.x1 && c < box.x2) m[i * gw + j] = 1;
    }
  }
  return m;
}

export default defineMethod({
  name: 'transmix',
  summary: 'timm mixup-or-CutMix per batch; on CutMix steps the partner\'s label weight is the mean of the pasted area and the CLS attention mass on the pasted patches',
  family: 'attention-based',
  kinds: ['mixing'],
  actsOn: 'model input images (mixup or a CutMix box, partner = flipped batch); targets re-weighted after the forward pass by the last block\'s CLS attention',
  models: ['transformer'],
  modalities: ['image'],
  cost: { text: '≈1× (the attention of the same forward pass; no extra pass)', measured: 1.01 },
  paper: 'Chen, Sun, He, Torr, Yuille, Bai, "TransMix: Attend to Mix for Vision Transformers", CVPR 2022 (arXiv 2111.09833)',
  notes: 'Needs model.pool: cls. Defaults as the official configs (mixup 0.8, cutmix 1.0, prob 1, switch 0.5: deit_s\'s 0.8 is stored under a name argparse ignores); ' +
    'the official recipe adds label smoothing 0.1: compose label-smoothing. The box is downsampled to the patch grid per axis (official: a square √N grid).',
  options: z.strictObject({
    mixupAlpha: mixingAlpha(0.8, 'Beta(α, α) of the mixup branch (timm mixup_alpha); 0 leaves CutMix only'),
    cutmixAlpha: mixingAlpha(1, 'Beta(α, α) of the CutMix branch (timm cutmix_alpha); 0 leaves mixup only (no TransMix labels)'),
    prob: z.number().min(0, 'prob must be in [0, 1]').max(1, 'prob must be in [0, 1]').default(1)
      .describe('probability that a step is mixed at all (timm prob); 0 gives plain training'),
    switchProb: z.number().min(0, 'switchProb must be in [0, 1]').max(1, 'switchProb must be in [0, 1]').default(0.5)
      .describe('probability of CutMix (with TransMix labels) rather than mixup when both alphas are > 0 (timm switch_prob)'),
    attentionShare: z.number().min(0, 'attentionShare must be in [0, 1]').max(1, 'attentionShare must be in [0, 1]').default(0.5)
      .describe('weight of λ_attn against the area λ in the partner\'s label weight: 0.5 is the official mean of both; 0 gives area labels (timm\'s recipe), 1 attention only'),
  }),
  limit: { options: { prob: 0 }, why: 'prob = 0 never mixes' },
  checkModel({ mixupAlpha, cutmixAlpha }, model) {
    if (model.type !== 'transformer' || model.pool !== 'cls') {
      return 'its label weights come from the class token\'s attention, so it needs model: {type: transformer, pool: cls} (set model.pool: cls)';
    }
    if (!(mixupAlpha > 0) && !(cutmixAlpha > 0)) return 'transmix: one of mixupAlpha and cutmixAlpha must be > 0 (set prob: 0 to switch mixing off)';
    return undefined;
  },
  create: (o, { model, tk, forceLambda }) => {
    if (model.type !== 'transformer' || model.pool !== 'cls') throw new Error('transmix needs a Transformer with pool: cls');
    const last = model.depth - 1;
    const patch = model.patch;
    const { heads } = model;
    return {
      name: 'transmix',
      beginStep(ctx): PartStep {
        if (ctx.modality !== 'image' || ctx.shape.length !== 3) throw new Error(`transmix needs image data, not ${ctx.modality}`);
        const [H, W] = ctx.shape;
        const settings = { mixupAlpha: o.mixupAlpha, cutmixAlpha: o.cutmixAlpha, prob: o.prob, switchProb: o.switchProb, mode: 'batch', correctLam: true } as const;
        const d = drawTimmMixup(ctx.rng, settings, ctx.batchSize, H, W, forceLambda);
        // Mode batch: one λ and one box (null: mixup or not mixed) for every row; λ of a CutMix step is the unpasted
        // area. A CutMix box can be empty (λ = 1): still a CutMix step, whose targets come out unmixed.
        const lambda = d.lambda[0];
        const box = d.box[0];
        const perm = flipPermutation(ctx.batchSize);
        const branch = box ? 'cutmix' : d.mixed ? 'mixup' : 'none';
        const info = { branch, lambda, perm, ...(box ? { box } : {}), raw: d.raw };
        const { tf } = tk;
        if (branch === 'none') return { info };
        if (!box) return { info, batch: (x, y) => ({ x: tk.mixRows(x, { lambda, perm }), y: tk.mixRows(y, { lambda, perm }) }) };
        const areaPasted = 1 - lambda;
        const share = o.attentionShare;
        const grid = patchMask(box, H, W, patch);
        const N = grid.length;
        // The last block's attention probabilities of the current forward pass (set by the hook, read by the targets).
        let probs: tf.Tensor3D | null = null;
        return {
          info: { ...info, patchMask: Array.from(grid) },
          batch: (x, y) => {
            const mask = boxMask(tk, box, H, W);
            return { x: tf.add(tf.mul(x, tf.sub(1, mask)), tf.mul(tk.permuteRows(x, perm), mask)), y };
          },
          hooks: {
            attention(args) {
              if (args.layer === last) probs = args.probs;
              return args.context;
            },
          },
          targetsAfterForward(y) {
            if (!probs || probs.isDisposed) throw new Error('transmix: the last block\'s attention was not seen in this forward pass');
            const B = y.shape[0];
            const T = N + 1;
            // w = (1−s)·λ_area + s·λ_attn per example: a constant of the loss (the official attention is detached), so
            // the op's gradient is zero and autodiff never walks the slicing below.
            const shape = probs.shape;
            const weights = tf.customGrad(((p: tf.Tensor) => {
              const cls = p.reshape([B, heads, T, T]).slice([0, 0, 0, 1], [B, heads, 1, N]).reshape([B, heads, N]);
              const a = tf.mean(cls, 1); // [B, N], mean over heads
              const lambdaAttn = tf.div(tf.sum(tf.mul(a, tf.tensor2d(grid, [1, N])), 1), tf.sum(a, 1));
              return { value: tf.add(tf.mul(lambdaAttn, share), (1 - share) * areaPasted).reshape([B, 1]), gradFunc: () => [tf.zeros(shape)] };
            }) as unknown as Parameters<typeof tf.customGrad>[0]);
            const w = weights(probs) as tf.Tensor2D;
            probs = null;
            return tf.add(tf.mul(y, tf.sub(1, w)), tf.mul(tk.permuteRows(y, perm), w)) as tf.Tensor2D;
          },
        };
      },
    };
  },
});
