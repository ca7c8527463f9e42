/**
 * A pre-norm Vision/Text Transformer classifier in tfjs-core ops (not tf.layers: methods reach inside attention).
 *
 *   tokens = PatchEmbed(x) + pos                      → hooks.hidden({kind: 'embed'})
 *   for each block l:
 *     a = MHA(LN(h))                                   (hooks.attention may change the per-head context)
 *     h = h + Dropout(a)                               → hooks.hidden({kind: 'attention', layer: l})
 *     h = h + Dropout(MLP(LN(h)))                      → hooks.hidden({kind: 'block', layer: l})
 *   z = LN(pool(h))                                    head pooled-norm; pool = mean over tokens, or the CLS token
 *   z = pool(LN(h))                                    head token-norm (DeiT, NeuTRENO's official code)
 *                                                      → hooks.hidden({kind: 'head'})
 *   logits = Linear(z)
 *
 * Text: attention masks padding keys and mean pooling skips padding; the real-token mask comes from the ids, or from
 * hooks.realTokens when a method changes it (wordMixup: the union of the two mixed sequences' real tokens).
 *
 * The 'attention' site is the residual stream right after the attention sub-block: in a post-norm BERT (AMPLIFY's
 * official code) the attention sub-block's output LayerNorm(h + MHA(h)) is exactly the residual stream handed to
 * the feed-forward sub-block, and in a pre-norm block that stream is h + MHA(LN(h)).
 *
 * Tokens are kept as [B·T, d] so every projection is one 2-D matmul (the wasm fast path).
 */
import * as tf from '../tf';
import { MODEL_DEFAULTS, type ModelHead, type ResolvedTransformer } from '../core/experiment';
import { ParamFactory, uniquePrefix } from './init';
import { addRow, dense, dropout, gelu, layerNorm } from './ops';
import { multiHeadAttention } from './attention';
import { embedTokens, paddingMasks, realTokens } from './embedding';
import type { ForwardOptions, Model } from './types';

export interface TransformerInput {
  /** Image inputs: [H, W, C]; the model cuts patch×patch patches. */
  image?: { height: number; width: number; channels: number };
  /** Tabular rows [F]: each feature becomes a token (value × embedding + feature embedding). */
  features?: number;
  /** Token ids [L] (0 = padding, 1 = OOV): a token embedding [vocab, d]; attention and mean pooling skip padding. */
  text?: { length: number; vocab: number };
}

interface Block {
  ln1g: tf.Variable; ln1b: tf.Variable;
  wq: tf.Variable; bq: tf.Variable; wk: tf.Variable; bk: tf.Variable; wv: tf.Variable; bv: tf.Variable;
  wo: tf.Variable; bo: tf.Variable;
  ln2g: tf.Variable; ln2b: tf.Variable;
  w1: tf.Variable; b1: tf.Variable; w2: tf.Variable; b2: tf.Variable;
}

export class Transformer implements Model {
  readonly kind = 'transformer' as const;
  readonly variables: tf.Variable[];
  readonly parameterCount: number;
  readonly tokens: number;
  private readonly patchDim: number;
  private readonly wPatch: tf.Variable;
  private readonly bPatch: tf.Variable;
  private readonly pos: tf.Variable;
  private readonly cls: tf.Variable | null;
  private readonly blocks: Block[] = [];
  private readonly lnfG: tf.Variable;
  private readonly lnfB: tf.Variable;
  private readonly wHead: tf.Variable;
  private readonly bHead: tf.Variable;
  private readonly head: ModelHead;

  constructor(
    readonly config: ResolvedTransformer,
    private readonly input: TransformerInput,
    readonly numClasses: number,
    seed: number,
  ) {
    const { dim, depth, mlpDim } = config;
    const f = new ParamFactory(seed, uniquePrefix('vit'), config.init ?? MODEL_DEFAULTS.init);
    this.head = config.head ?? MODEL_DEFAULTS.head;
    if (input.image) {
      const { height, width, channels } = input.image;
      const p = config.patch;
      this.patchDim = p * p * channels;
      this.tokens = (height / p) * (width / p);
    } else if (input.features) {
      this.patchDim = 1;
      this.tokens = input.features;
    } else if (input.text) {
      // Text: wPatch is the token-embedding table [vocab, d] (row lookup, src/model/embedding.ts), bPatch its bias.
      this.patchDim = input.text.vocab;
      this.tokens = input.text.length;
    } else {
      throw new Error('Transformer needs image, feature or text input');
    }
    // Text: a lookup table, not a projection, so it is named as an embedding (not decayed, src/train/optimizers.ts).
    if (input.text) {
      this.wPatch = f.tokenTable('tokens/table', this.patchDim, dim);
      this.bPatch = f.constant('patch/b', [dim], 0);
    } else {
      ({ w: this.wPatch, b: this.bPatch } = f.linear('patch', this.patchDim, dim, 'patch'));
    }
    this.cls = config.pool === 'cls' ? f.positional('cls', [1, dim]) : null;
    const seqLen = this.tokens + (this.cls ? 1 : 0);
    this.pos = f.positional('pos', [seqLen * dim]);
    for (let l = 0; l < depth; l++) {
      const n = `block${l}`;
      const ln1g = f.constant(`${n}/ln1/g`, [dim], 1), ln1b = f.constant(`${n}/ln1/b`, [dim], 0);
      const q = f.linear(`${n}/q`, dim, dim), k = f.linear(`${n}/k`, dim, dim), v = f.linear(`${n}/v`, dim, dim);
      const o = f.linear(`${n}/o`, dim, dim);
      const ln2g = f.constant(`${n}/ln2/g`, [dim], 1), ln2b = f.constant(`${n}/ln2/b`, [dim], 0);
      const m1 = f.linear(`${n}/mlp1`, dim, mlpDim), m2 = f.linear(`${n}/mlp2`, mlpDim, dim);
      this.blocks.push({
        ln1g, ln1b, wq: q.w, bq: q.b, wk: k.w, bk: k.b, wv: v.w, bv: v.b, wo: o.w, bo: o.b,
        ln2g, ln2b, w1: m1.w, b1: m1.b, w2: m2.w, b2: m2.b,
      });
    }
    this.lnfG = f.constant('lnf/g', [dim], 1);
    this.lnfB = f.constant('lnf/b', [dim], 0);
    ({ w: this.wHead, b: this.bHead } = f.linear('head', dim, numClasses));
    this.variables = f.variables;
    this.parameterCount = this.variables.reduce((s, v) => s + v.size, 0);
  }

  /** [B, ...] inputs → [B·T, patchDim] patch rows. */
  private patchify(x: tf.Tensor): tf.Tensor2D {
    const B = x.shape[0];
    if (this.input.features) return x.reshape([B * this.tokens, 1]);
    const { height: H, width: W, channels: C } = this.input.image!;
    const p = this.config.patch;
    // [B, H/p, p, W/p, p, C] → [B, H/p, W/p, p, p, C]
    const img = x.reshape([B, H / p, p, W / p, p, C]);
    const patches = p === 1 ? img : tf.transpose(img, [0, 1, 3, 2, 4, 5]);
    return patches.reshape([B * this.tokens, this.patchDim]);
  }

  forward(x: tf.Tensor, opts: ForwardOptions): tf.Tensor2D {
    const { dim, heads, dropout: rate } = this.config;
    const B = x.shape[0];
    const hooks = opts.hooks;
    const T = this.tokens + (this.cls ? 1 : 0);

    // Text: token ids read back once per batch for the embedding gradient and the padding masks.
    const ids = this.input.text ? Int32Array.from(x.dataSync()) : null;
    const real = ids ? realTokens(ids) : null;
    const masks = real ? paddingMasks(hooks?.realTokens ? hooks.realTokens(real, B, this.tokens) : real, B, this.tokens, this.cls ? 1 : 0) : null;
    const keyBias = masks ? tf.tensor2d(masks.keyBias, [B, T]) : undefined;
    let tokens = ids
      ? (tf.add(embedTokens(ids, this.wPatch as tf.Tensor2D), this.bPatch) as tf.Tensor2D)
      : dense(this.patchify(x), this.wPatch as tf.Tensor2D, this.bPatch as tf.Tensor1D);
    if (this.cls) {
      // ones[B,1]·cls: a 2-D product whose gradient is another matmul (fast on wasm) rather than a Sum.
      const cls = tf.matMul(tf.ones([B, 1]), this.cls as tf.Tensor2D).reshape([B, 1, dim]);
      tokens = tf.concat([cls, tokens.reshape([B, this.tokens, dim])], 1).reshape([B * T, dim]);
    }
    let h = addRow(tokens.reshape([B, T * dim]), this.pos).reshape([B * T, dim]) as tf.Tensor2D;
    h = dropout(h, rate, opts.training, opts.nextSeed);
    if (hooks?.hidden) h = hooks.hidden({ kind: 'embed' }, h.reshape([B, T, dim])).reshape([B * T, dim]);

    this.blocks.forEach((blk, layer) => {
      const a = layerNorm(h, blk.ln1g as tf.Tensor1D, blk.ln1b as tf.Tensor1D);
      // Per-head attention in the backend's fastest formulation (src/model/attention.ts); hooks see [B·H, T, dh].
      const merged = multiHeadAttention({
        q: dense(a, blk.wq as tf.Tensor2D, blk.bq as tf.Tensor1D),
        k: dense(a, blk.wk as tf.Tensor2D, blk.bk as tf.Tensor1D),
        v: dense(a, blk.wv as tf.Tensor2D, blk.bv as tf.Tensor1D),
        batch: B, tokens: T, heads, layer, hook: hooks?.attention, keyBias,
      });
      const attnOut = dense(merged, blk.wo as tf.Tensor2D, blk.bo as tf.Tensor1D);
      h = tf.add(h, dropout(attnOut, rate, opts.training, opts.nextSeed));
      if (hooks?.hidden) h = hooks.hidden({ kind: 'attention', layer }, h.reshape([B, T, dim])).reshape([B * T, dim]);

      const m = layerNorm(h, blk.ln2g as tf.Tensor1D, blk.ln2b as tf.Tensor1D);
      const m1 = gelu(dense(m, blk.w1 as tf.Tensor2D, blk.b1 as tf.Tensor1D));
      const m2 = dense(dropout(m1, rate, opts.training, opts.nextSeed), blk.w2 as tf.Tensor2D, blk.b2 as tf.Tensor1D);
      h = tf.add(h, dropout(m2, rate, opts.training, opts.nextSeed));
      if (hooks?.hidden) h = hooks.hidden({ kind: 'block', layer }, h.reshape([B, T, dim])).reshape([B * T, dim]);
    });

    // token-norm: the final LayerNorm on every token, then pooling of the normalised tokens.
    if (this.head === 'token-norm') h = layerNorm(h, this.lnfG as tf.Tensor1D, this.lnfB as tf.Tensor1D);
    const seq = h.reshape([B, T, dim]);
    const pooled = (this.cls
      ? seq.slice([0, 0, 0], [B, 1, dim]).reshape([B, dim])
      : masks // text: the mean over real tokens only
        ? tf.sum(tf.mul(seq, tf.tensor3d(masks.poolWeights, [B, T, 1])), 1)
        : tf.mean(seq, 1)) as tf.Tensor2D;
    let normed = this.head === 'pooled-norm' ? layerNorm(pooled, this.lnfG as tf.Tensor1D, this.lnfB as tf.Tensor1D) : pooled;
    if (hooks?.hidden) normed = hooks.hidden({ kind: 'head' }, normed) as tf.Tensor2D;
    return dense(normed, this.wHead as tf.Tensor2D, this.bHead as tf.Tensor1D);
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }
}
