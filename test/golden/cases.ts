/**
 * The golden step cases: which method (and composition) runs on which tiny network and batch. `npm run golden`
 * exports one fixture per case to test/golden/steps/<name>.json and the PyTorch twin (reference/) fills in what it
 * computes. test/golden.test.ts checks that these cover every catalogue method on every modality and model it takes,
 * every value of its enumerated options, and every method of the paper configs (configs/papers/).
 */

import type { ModelHead } from '../../src/core/experiment';

export type GoldenModality = 'image' | 'tabular' | 'text';
/** mean / cls: the Transformer with that pooling; mlp: the MLP. */
export type GoldenNet = 'mean' | 'cls' | 'mlp';

export interface GoldenCaseSpec {
  /** File name stem: `<method>-<modality>-<net>[-variant]`, the method name as mixbench displays it. */
  name: string;
  /** The parts, as a config writes them (main method first); options not given take the catalogue's defaults. */
  parts: { method: string; options?: Record<string, unknown> }[];
  modality: GoldenModality;
  net: GoldenNet;
  /** The shape of one example, when not the modality's GOLDEN_SHAPES one (saliency needs 1 or 3 image channels). */
  shape?: number[];
  /** Transformer head (model.head; default: the default head, which the fixture's model then leaves out). */
  head?: ModelHead;
  /** Transformer depth (default 2; NeuTRENO cases use 3 so that V⁰ feeds two later layers). */
  depth?: number;
  /** First seed of the method's random stream to try (default: derived from the name). */
  methodSeed?: number;
  /** Keeps the first method seed whose draws pass (e.g. an AMPLIFY λ far enough from 1 to matter). */
  accept?: (draws: Record<string, unknown>[]) => boolean;
  /** SGD with Nesterov momentum (default false) and gradient clipping (default 0.1, below every case's gradient norm). */
  nesterov?: boolean;
  gradClip?: number | null;
}

/** The model and data of every case (small enough for fixtures of a few tens of kB). */
export const GOLDEN_SHAPES = {
  /** H 4 × W 6 × C 2: not square and with two channels, so patch layout errors show. 2×2 patches → 6 tokens. */
  image: [4, 6, 2],
  tabular: [5],
  /** Token ids, 0 = padding at the end; vocabulary of 13 (0 padding, 1 OOV). */
  text: [7],
} as const;
export const GOLDEN_VOCAB = 13;
/** As many classes as examples, every label distinct: targets mixed with a wrong permutation always show. */
export const GOLDEN_CLASSES = 6;
export const GOLDEN_BATCH = 6;
export const GOLDEN_TRANSFORMER = { dim: 8, depth: 2, heads: 2, mlpDim: 16, patch: 2, dropout: 0 };
export const GOLDEN_MLP_HIDDEN = [12, 10];

const lambdaBetween = (min: number, max: number) => (draws: Record<string, unknown>[]) =>
  draws.some((d) => typeof d.lambda === 'number' && d.lambda < max && d.lambda > min);
/** A λ far enough from 1 that mixing matters (and not so small that the partner is all there is). */
const lambdaBelow = (max: number) => lambdaBetween(0.2, max);
const hiddenLayer = (draws: Record<string, unknown>[]) => draws.some((d) => typeof d.layer === 'number');
/** A CutMix box that is neither empty nor the whole image. */
const partialBox = (draws: Record<string, unknown>[]) => draws.some((d) => typeof d.lambda === 'number' && d.lambda > 0.3 && d.lambda < 0.9);

/** A mixed SaliencyMix step whose box is neither empty nor the whole image. */
const partialSaliencyBox = (draws: Record<string, unknown>[]) => draws.some((d) => d.mixed === true && typeof d.lambda === 'number' && d.lambda > 0.3 && d.lambda < 0.9);
/** A TransMix step of the given branch (CutMix: a partial box). */
const transmixBranch = (branch: string) => (draws: Record<string, unknown>[]) => draws.some((d) =>
  d.branch === branch && typeof d.lambda === 'number' && d.lambda > 0.25 && d.lambda < 0.9);
/** timm-mixup: some row mixed by CutMix with a partial box (cut) or by mixup (no box), λ away from 1 and 0. */
const timmRows = (branch: 'cut' | 'mixup') => (draws: Record<string, unknown>[]) => draws.some((d) =>
  Array.isArray(d.lambda) && (d.lambda as number[]).some((l, i) => l > 0.3 && l < 0.85 && ((d.box as unknown[])[i] !== null) === (branch === 'cut')));

export const GOLDEN_CASES: GoldenCaseSpec[] = [
  // Baseline: every input and network.
  { name: 'baseline-image-mean', parts: [{ method: 'baseline' }], modality: 'image', net: 'mean', gradClip: null },
  { name: 'baseline-image-cls', parts: [{ method: 'baseline' }], modality: 'image', net: 'cls', nesterov: true },
  { name: 'baseline-tabular-mean', parts: [{ method: 'baseline' }], modality: 'tabular', net: 'mean' },
  { name: 'baseline-text-mean', parts: [{ method: 'baseline' }], modality: 'text', net: 'mean' },
  { name: 'baseline-text-cls', parts: [{ method: 'baseline' }], modality: 'text', net: 'cls', gradClip: null },
  { name: 'baseline-image-mlp', parts: [{ method: 'baseline' }], modality: 'image', net: 'mlp' },
  { name: 'baseline-tabular-mlp', parts: [{ method: 'baseline' }], modality: 'tabular', net: 'mlp', nesterov: true },

  // λ < 0.5: the partner dominates the mixed input and target.
  { name: 'mixup-image-mean', parts: [{ method: 'mixup', options: { alpha: 1 } }], modality: 'image', net: 'mean', accept: lambdaBetween(0.2, 0.5) },
  { name: 'mixup-tabular-cls', parts: [{ method: 'mixup', options: { alpha: 8 } }], modality: 'tabular', net: 'cls', nesterov: true },
  // gradClip 1 is above this case's gradient norm (0.29): clipping must leave the gradient alone.
  { name: 'mixup-tabular-mlp', parts: [{ method: 'mixup', options: { alpha: 1 } }], modality: 'tabular', net: 'mlp', accept: lambdaBelow(0.9), gradClip: 1 },

  { name: 'manifold-mixup-image-mean-embed', parts: [{ method: 'manifold-mixup', options: { layers: ['embed'] } }], modality: 'image', net: 'mean' },
  { name: 'manifold-mixup-text-mean-block0', parts: [{ method: 'manifold-mixup', options: { layers: [0] } }], modality: 'text', net: 'mean' },
  { name: 'manifold-mixup-tabular-cls-block1', parts: [{ method: 'manifold-mixup', options: { layers: [1] } }], modality: 'tabular', net: 'cls' },
  { name: 'manifold-mixup-image-mlp', parts: [{ method: 'manifold-mixup' }], modality: 'image', net: 'mlp', accept: hiddenLayer },

  { name: 'cutmix-image-mean', parts: [{ method: 'cutmix' }], modality: 'image', net: 'mean', accept: partialBox },
  { name: 'cutmix-image-cls', parts: [{ method: 'cutmix' }], modality: 'image', net: 'cls', accept: partialBox },
  { name: 'cutmix-image-mlp', parts: [{ method: 'cutmix' }], modality: 'image', net: 'mlp', accept: partialBox },

  { name: 'label-smoothing-image-mean', parts: [{ method: 'label-smoothing' }], modality: 'image', net: 'mean' },
  { name: 'label-smoothing-text-mean', parts: [{ method: 'label-smoothing', options: { epsilon: 0.1 } }], modality: 'text', net: 'mean' },
  { name: 'label-smoothing-tabular-mlp', parts: [{ method: 'label-smoothing', options: { epsilon: 0.3 } }], modality: 'tabular', net: 'mlp' },

  // AMPLIFY as the paper configs run it (text, max-beta α 0.1 and beta α 1), and on the other inputs.
  { name: 'amplify-text-mean-maxbeta', parts: [{ method: 'amplify', options: { lambda: 'max-beta', alpha: 0.1 } }], modality: 'text', net: 'mean', accept: lambdaBelow(0.95) },
  { name: 'amplify-text-mean-beta', parts: [{ method: 'amplify', options: { lambda: 'beta', alpha: 1 } }], modality: 'text', net: 'mean', accept: lambdaBelow(0.9) },
  { name: 'amplify-image-cls-beta', parts: [{ method: 'amplify', options: { lambda: 'beta', alpha: 0.4 } }], modality: 'image', net: 'cls', accept: lambdaBelow(0.9) },
  { name: 'amplify-tabular-mean-maxbeta', parts: [{ method: 'amplify', options: { lambda: 'max-beta', alpha: 1 } }], modality: 'tabular', net: 'mean', accept: lambdaBelow(0.9) },

  { name: 'sam-image-mean', parts: [{ method: 'sam' }], modality: 'image', net: 'mean' },
  { name: 'sam-text-mean', parts: [{ method: 'sam', options: { rho: 0.1 } }], modality: 'text', net: 'mean' },
  { name: 'sam-tabular-cls', parts: [{ method: 'sam' }], modality: 'tabular', net: 'cls', nesterov: true },
  { name: 'sam-tabular-mlp-asam', parts: [{ method: 'sam', options: { rho: 0.5, adaptive: true } }], modality: 'tabular', net: 'mlp' },

  { name: 'gmix-image-mean', parts: [{ method: 'gmix' }], modality: 'image', net: 'mean', accept: lambdaBelow(0.9) },
  { name: 'gmix-tabular-mlp-asam', parts: [{ method: 'gmix', options: { rho: 0.5, adaptive: true } }], modality: 'tabular', net: 'mlp', accept: lambdaBelow(0.9) },
  { name: 'bgmix-image-mean', parts: [{ method: 'bgmix' }], modality: 'image', net: 'mean', accept: lambdaBelow(0.9) },
  { name: 'bgmix-tabular-mlp-asam', parts: [{ method: 'bgmix', options: { rho: 0.5, adaptive: true } }], modality: 'tabular', net: 'mlp', accept: lambdaBelow(0.9) },
  { name: 'dgmix-image-mean', parts: [{ method: 'dgmix' }], modality: 'image', net: 'mean', accept: lambdaBelow(0.9) },
  { name: 'dgmix-tabular-cls', parts: [{ method: 'dgmix' }], modality: 'tabular', net: 'cls', accept: lambdaBelow(0.9) },
  { name: 'dgmix-image-mlp-asam', parts: [{ method: 'dgmix', options: { rho: 0.5, adaptive: true } }], modality: 'image', net: 'mlp', accept: lambdaBelow(0.9) },

  { name: 'neutreno-image-mean', parts: [{ method: 'neutreno', options: { lambda: 0.6 } }], modality: 'image', net: 'mean', depth: 3 },
  { name: 'neutreno-text-cls', parts: [{ method: 'neutreno' }], modality: 'text', net: 'cls', depth: 3 },
  { name: 'neutreno-tabular-mean', parts: [{ method: 'neutreno', options: { lambda: 0.4 } }], modality: 'tabular', net: 'mean', depth: 3 },

  // Compositions (docs/methods.md and the README name these; the paper configs use none today).
  { name: 'amplify+neutreno-text-mean', parts: [{ method: 'amplify', options: { alpha: 0.1 } }, { method: 'neutreno' }], modality: 'text', net: 'mean', depth: 3, accept: lambdaBelow(0.95) },
  { name: 'mixup+label-smoothing-image-mean', parts: [{ method: 'mixup' }, { method: 'label-smoothing' }], modality: 'image', net: 'mean', accept: lambdaBelow(0.9) },
  { name: 'gmix+label-smoothing-tabular-mean', parts: [{ method: 'gmix', options: { rho: 0.1 } }, { method: 'label-smoothing' }], modality: 'tabular', net: 'mean', accept: lambdaBelow(0.9) },
  { name: 'cutmix+sam-image-cls', parts: [{ method: 'cutmix' }, { method: 'sam', options: { rho: 0.5, adaptive: true } }], modality: 'image', net: 'cls', accept: partialBox },
  { name: 'dgmix+label-smoothing-image-mean', parts: [{ method: 'dgmix' }, { method: 'label-smoothing' }], modality: 'image', net: 'mean', accept: lambdaBelow(0.9) },
  { name: 'manifold-mixup+neutreno-image-mean', parts: [{ method: 'manifold-mixup', options: { layers: [1] } }, { method: 'neutreno' }], modality: 'image', net: 'mean', depth: 3 },
  { name: 'amplify+label-smoothing-text-cls', parts: [{ method: 'amplify', options: { lambda: 'beta', alpha: 1 } }, { method: 'label-smoothing' }], modality: 'text', net: 'cls', accept: lambdaBelow(0.9) },
  // SaliencyMix: the twin computes the saliency map, its peak and the box itself (OpenCV's fine-grained detector).
  { name: 'saliencymix-image-mean-rgb', parts: [{ method: 'saliencymix', options: { prob: 1 } }], modality: 'image', net: 'mean', shape: [6, 8, 3], accept: partialSaliencyBox },
  { name: 'saliencymix-image-cls-grey', parts: [{ method: 'saliencymix', options: { prob: 1 } }], modality: 'image', net: 'cls', shape: [8, 8, 1], accept: partialSaliencyBox },
  { name: 'saliencymix-image-mlp', parts: [{ method: 'saliencymix', options: { prob: 1 } }], modality: 'image', net: 'mlp', shape: [8, 8, 1], accept: partialSaliencyBox },
  // TransMix: a CutMix step (attention-weighted targets) on the 4×6 image's 2×3 patch grid, a mixup step, and the
  // composition of the paper config (label smoothing 0.1, and the area-label control arm).
  { name: 'transmix-image-cls-cutmix', parts: [{ method: 'transmix' }], modality: 'image', net: 'cls', accept: transmixBranch('cutmix') },
  { name: 'transmix-image-cls-mixup', parts: [{ method: 'transmix' }], modality: 'image', net: 'cls', accept: transmixBranch('mixup') },
  { name: 'transmix-image-cls-depth3', parts: [{ method: 'transmix', options: { attentionShare: 1 } }], modality: 'image', net: 'cls', depth: 3, accept: transmixBranch('cutmix') },
  { name: 'transmix+label-smoothing-image-cls', parts: [{ method: 'transmix' }, { method: 'label-smoothing' }], modality: 'image', net: 'cls', accept: transmixBranch('cutmix') },
  { name: 'transmix+label-smoothing-image-cls-area', parts: [{ method: 'transmix', options: { attentionShare: 0 } }, { method: 'label-smoothing' }], modality: 'image', net: 'cls', accept: transmixBranch('cutmix') },
  // The CutMix arm of configs/papers/transmix.yaml.
  { name: 'cutmix+label-smoothing-image-cls', parts: [{ method: 'cutmix' }, { method: 'label-smoothing' }], modality: 'image', net: 'cls', accept: partialBox },
  { name: 'mixup+sam-tabular-mean', parts: [{ method: 'mixup' }, { method: 'sam' }], modality: 'tabular', net: 'mean', accept: lambdaBelow(0.9) },

  // model.head token-norm (the final LayerNorm on every token, then pooling): mean pooling of images, masked mean
  // pooling of text (only real tokens are pooled, all are normalised), CLS; and NeuTRENO's paper configs' network.
  { name: 'baseline-image-mean-token-norm', parts: [{ method: 'baseline' }], modality: 'image', net: 'mean', head: 'token-norm' },
  { name: 'baseline-text-mean-token-norm', parts: [{ method: 'baseline' }], modality: 'text', net: 'mean', head: 'token-norm' },
  { name: 'baseline-image-cls-token-norm', parts: [{ method: 'baseline' }], modality: 'image', net: 'cls', head: 'token-norm' },
  { name: 'neutreno-image-mean-token-norm', parts: [{ method: 'neutreno', options: { lambda: 0.6 } }], modality: 'image', net: 'mean', depth: 3, head: 'token-norm' },
  // The AMPLIFY paper configs' network (token-norm, the nearest pre-norm counterpart of post-norm BERT).
  { name: 'amplify-text-mean-maxbeta-token-norm', parts: [{ method: 'amplify', options: { lambda: 'max-beta', alpha: 0.1 } }], modality: 'text', net: 'mean', head: 'token-norm', accept: lambdaBelow(0.95) },
  { name: 'amplify-text-mean-beta-token-norm', parts: [{ method: 'amplify', options: { lambda: 'beta', alpha: 1 } }], modality: 'text', net: 'mean', head: 'token-norm', accept: lambdaBelow(0.9) },
  { name: 'label-smoothing-text-mean-token-norm', parts: [{ method: 'label-smoothing', options: { epsilon: 0.1 } }], modality: 'text', net: 'mean', head: 'token-norm' },
  { name: 'manifold-mixup-text-mean-block1-token-norm', parts: [{ method: 'manifold-mixup', options: { layers: [1] } }], modality: 'text', net: 'mean', head: 'token-norm' },
  // Text mixup (issue 13): wordMixup (the union padding mask) and senMixup, and the G-Mix family, whose mixup is wordMixup.
  { name: 'mixup-text-mean-word', parts: [{ method: 'mixup', options: { text: 'word' } }], modality: 'text', net: 'mean', accept: lambdaBelow(0.9) },
  { name: 'mixup-text-cls-word', parts: [{ method: 'mixup', options: { text: 'word' } }], modality: 'text', net: 'cls', accept: lambdaBelow(0.9) },
  { name: 'mixup-text-mean-sentence', parts: [{ method: 'mixup', options: { text: 'sentence' } }], modality: 'text', net: 'mean', accept: lambdaBelow(0.9) },
  { name: 'mixup+label-smoothing-text-cls-sentence', parts: [{ method: 'mixup', options: { text: 'sentence' } }, { method: 'label-smoothing' }], modality: 'text', net: 'cls', accept: lambdaBelow(0.9) },
  { name: 'gmix-text-mean', parts: [{ method: 'gmix' }], modality: 'text', net: 'mean', accept: lambdaBelow(0.9) },
  { name: 'bgmix-text-mean', parts: [{ method: 'bgmix' }], modality: 'text', net: 'mean', accept: lambdaBelow(0.9) },
  { name: 'dgmix-text-cls-asam', parts: [{ method: 'dgmix', options: { rho: 0.5, adaptive: true } }], modality: 'text', net: 'cls', accept: lambdaBelow(0.9) },

  // RegMixup: the clean and the mixed half (α 20, λ ≈ 0.5), η = 1 (the official loss) and other weights.
  { name: 'regmixup-image-mean', parts: [{ method: 'regmixup' }], modality: 'image', net: 'mean' },
  { name: 'regmixup-tabular-mlp-eta0.5', parts: [{ method: 'regmixup', options: { eta: 0.5, alpha: 2 } }], modality: 'tabular', net: 'mlp', accept: lambdaBelow(0.8) },
  { name: 'regmixup-tabular-cls', parts: [{ method: 'regmixup', options: { alpha: 1 } }], modality: 'tabular', net: 'cls', accept: lambdaBelow(0.8) },
  { name: 'regmixup-text-mean-word', parts: [{ method: 'regmixup', options: { text: 'word' } }], modality: 'text', net: 'mean' },
  { name: 'regmixup+label-smoothing-text-cls-sentence', parts: [{ method: 'regmixup', options: { text: 'sentence', eta: 2 } }, { method: 'label-smoothing' }], modality: 'text', net: 'cls' },

  // ResizeMix: both references' draws and both interpolations, on the 4×6 image (not square).
  { name: 'resizemix-image-mean', parts: [{ method: 'resizemix', options: { variant: 'openmixup' } }], modality: 'image', net: 'mean', accept: partialBox },
  { name: 'resizemix-image-cls-bilinear', parts: [{ method: 'resizemix', options: { variant: 'openmixup', interpolation: 'bilinear' } }], modality: 'image', net: 'cls', accept: partialBox },
  { name: 'resizemix-image-mlp-mmpretrain', parts: [{ method: 'resizemix', options: { variant: 'mmpretrain' } }], modality: 'image', net: 'mlp', accept: partialBox },
  { name: 'resizemix-image-mean-mmpretrain-nearest', parts: [{ method: 'resizemix', options: { variant: 'mmpretrain', interpolation: 'nearest' } }], modality: 'image', net: 'mean', accept: partialBox },

  // FMix: the mask from the exported Fourier noise (np.fft.irfftn in the twin), hard and soft edges.
  { name: 'fmix-image-mean', parts: [{ method: 'fmix' }], modality: 'image', net: 'mean', accept: partialBox },
  { name: 'fmix-image-cls-soft', parts: [{ method: 'fmix', options: { maxSoft: 0.1, decay: 2 } }], modality: 'image', net: 'cls', accept: partialBox },
  { name: 'fmix-image-mlp', parts: [{ method: 'fmix' }], modality: 'image', net: 'mlp', accept: partialBox },

  // timm-mixup: DeiT's settings on a mixup and on a CutMix batch, and the per-row modes (the twin replays timm's Mixup).
  { name: 'timm-mixup-image-mean-deit-mixup', parts: [{ method: 'timm-mixup', options: { mixupAlpha: 0.8, cutmixAlpha: 1 } }], modality: 'image', net: 'mean', accept: timmRows('mixup') },
  { name: 'timm-mixup-image-mean-deit-cutmix', parts: [{ method: 'timm-mixup', options: { mixupAlpha: 0.8, cutmixAlpha: 1 } }], modality: 'image', net: 'mean', accept: timmRows('cut') },
  { name: 'timm-mixup-image-cls-elem', parts: [{ method: 'timm-mixup', options: { mixupAlpha: 1, cutmixAlpha: 1, mode: 'elem', prob: 0.8, correctLam: false } }], modality: 'image', net: 'cls', accept: timmRows('cut') },
  { name: 'timm-mixup-image-mlp-pair-minmax', parts: [{ method: 'timm-mixup', options: { mixupAlpha: 0.4, cutmixMinmax: [0.3, 0.8], mode: 'pair', labelSmoothing: 0.2 } }], modality: 'image', net: 'mlp', accept: timmRows('cut') },
];
