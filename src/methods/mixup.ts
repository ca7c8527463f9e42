/**
 * Mixup (Zhang et al., ICLR 2018; official code facebookresearch/mixup-cifar10): x̃ = λx + (1−λ)x[π],
 * ỹ = λy + (1−λ)y[π], one λ ~ Beta(α, α) and one π per batch, loss = soft-target cross-entropy (equal to the
 * official λ-weighted pair of losses because cross-entropy is linear in the target). α = 0 gives λ = 1 (no
 * mixing), as in the official code.
 *
 * Text (Guo, Mao & Zhang 2019, arXiv 1905.08941): token ids cannot be interpolated, so mixup acts inside the network.
 *   - wordMixup (`text: word`, the default): the padded embedding sequences are mixed position by position, at the
 *     'embed' site (token embedding + position embedding; the position embedding is shared by both sequences, so
 *     mixing before or after adding it is the same). A position that is padding in one sentence contributes that
 *     sentence's embedding of the padding token there (as the EmbedMix code of AMPLIFY's repository and
 *     xashru/mixup-text do). Attention and mean pooling of the mixed row use the union of the two sentences' real
 *     tokens (EmbedMix's elementwise max of the two attention masks).
 *   - senMixup (`text: sentence`): each sentence is encoded with its own mask, and the sentence vectors fed to the
 *     classifier layer (pooled, after the final LayerNorm: the 'head' site) are mixed. The head is affine, so this
 *     equals mixing the two sentences' logits (SentMix). The partner is a row of the same batch, so one encoder pass
 *     serves both sentences.
 */
import { z } from 'zod';
import type * as tf from '../tf';
import type { Modality } from '../core/experiment';
import type { ForwardHooks, HiddenSite } from '../model/types';
import { defineMethod } from './define';
import { drawMix, type MixDraw } from './draws';
import { mixingAlpha, type OptionMeta } from './options';
import type { PartStep, Toolkit } from './types';

export const TEXT_LEVELS = ['word', 'sentence'] as const;
export type TextLevel = (typeof TEXT_LEVELS)[number];

/** The `text` option of the methods that mix text at the word or sentence level. */
export const textLevelOption = z.enum(TEXT_LEVELS).optional()
  .describe('on text: word = wordMixup (embedding sequences mixed position by position; attention and pooling over the union of both sentences\' real tokens), sentence = senMixup (the pooled sentence vectors fed to the classifier are mixed); ignored on images and tabular rows')
  .meta({ defaultDoc: 'word' } satisfies OptionMeta);

export const GUO_PAPER = 'Guo, Mao, Zhang, "Augmenting Data with Mixup for Sentence Classification: An Empirical Study", arXiv 1905.08941 (2019)';

/**
 * Rows offset..offset+B−1 of h (N ≥ offset + B rows) mixed with their partners in the same range: h_r ←
 * λ·h_r + (1−λ)·h_{offset+π(r−offset)}; the other rows unchanged. offset 0 and N = B is plain `mixRows`.
 */
export function mixRowRange<T extends tf.Tensor>(tk: Toolkit, h: T, d: MixDraw, offset: number): T {
  const B = d.perm.length;
  const N = h.shape[0];
  if (d.lambda === 1) return h;
  if (offset === 0 && N === B) return tk.mixRows(h, d);
  const { tf } = tk;
  const rest = h.shape.slice(1);
  const pieces: tf.Tensor[] = [];
  if (offset > 0) pieces.push(tf.slice(h, [0, ...rest.map(() => 0)], [offset, ...rest]));
  pieces.push(tk.mixRows(tf.slice(h, [offset, ...rest.map(() => 0)], [B, ...rest]), d));
  if (offset + B < N) pieces.push(tf.slice(h, [offset + B, ...rest.map(() => 0)], [N - offset - B, ...rest]));
  return tf.concat(pieces, 0) as T;
}

/** The union of each mixed row's real tokens and its partner's, for rows offset..offset+B−1 of a [N, L] mask. */
export function unionRealTokens(real: Uint8Array, L: number, d: MixDraw, offset: number): Uint8Array {
  const out = Uint8Array.from(real);
  const B = d.perm.length;
  for (let i = 0; i < B; i++) {
    const r = (offset + i) * L;
    const p = (offset + d.perm[i]) * L;
    for (let t = 0; t < L; t++) out[r + t] = real[r + t] | real[p + t];
  }
  return out;
}

/**
 * The hooks of text mixup for rows offset..offset+B−1 of the forward pass (the other rows pass unchanged): wordMixup
 * mixes the embedding sequences and widens the padding masks to the union; senMixup mixes the classifier's input.
 * Undefined when λ = 1 (nothing is mixed).
 */
export function textMixHooks(tk: Toolkit, d: MixDraw, level: TextLevel, offset = 0): ForwardHooks | undefined {
  if (d.lambda === 1) return undefined;
  const site: HiddenSite['kind'] = level === 'word' ? 'embed' : 'head';
  return {
    hidden: (s, h) => (s.kind === site ? mixRowRange(tk, h, d, offset) : h),
    ...(level === 'word' ? { realTokens: (real: Uint8Array, _B: number, L: number) => unionRealTokens(real, L, d, offset) } : {}),
  };
}

/**
 * The mixup step of one draw (shared by mixup and the G-Mix family): input mixup on images and tabular rows; on text
 * wordMixup or senMixup, whose hooks also serve the paired 2B pass of BG-/DG-Mix (they mix rows 0..B−1 only).
 */
export function mixupStep(tk: Toolkit, d: MixDraw, modality: Modality = 'image', level: TextLevel = 'word'): PartStep {
  const info = { lambda: d.lambda, perm: d.perm, ...(modality === 'text' ? { text: level } : {}) };
  if (modality !== 'text') return { info, batch: (x, y) => ({ x: tk.mixRows(x, d), y: tk.mixRows(y, d) }) };
  const hooks = textMixHooks(tk, d, level);
  return { info, batch: (x, y) => ({ x, y: tk.mixRows(y, d) }), ...(hooks ? { hooks, pairHooks: hooks } : {}) };
}

export default defineMethod({
  name: 'mixup',
  summary: 'convex combinations of input pairs and of their one-hot targets, one λ ~ Beta(α, α) and one permutation per batch; on text at the word embeddings or the sentence vector',
  family: 'static linear',
  kinds: ['mixing'],
  actsOn: 'model input (after normalisation); text: the embedding sequence (wordMixup) or the pooled sentence vector (senMixup); targets with the same permutation and λ',
  models: ['transformer', 'mlp'],
  modalities: ['image', 'tabular', 'text'],
  cost: { text: '≈1× (one interpolation per batch)', measured: 1.01 },
  paper: `Zhang, Cisse, Dauphin, Lopez-Paz, "mixup: Beyond Empirical Risk Minimization", ICLR 2018 (arXiv 1710.09412); text: ${GUO_PAPER}`,
  notes: 'Text: wordMixup mixes the padded embedding sequences (a padding position contributes the padding token\'s embedding) and attends and pools over the union of both sentences\' real tokens; senMixup mixes the classifier\'s input (pooled, after the final LayerNorm), which equals mixing the logits. No official code exists for the text paper.',
  options: z.strictObject({
    alpha: mixingAlpha(1, 'Beta(α, α) concentration; α = 0 gives λ = 1 (plain training), as in the official code'),
    text: textLevelOption,
  }),
  limit: { options: { alpha: 0 }, why: 'α = 0 gives λ = 1: the batch is not mixed' },
  create: ({ alpha, text }, { tk, forceLambda }) => ({
    name: 'mixup',
    beginStep: (ctx) => mixupStep(tk, drawMix(ctx.rng, alpha, ctx.batchSize, forceLambda), ctx.modality, text ?? 'word'),
  }),
});
