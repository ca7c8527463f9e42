/**
 * The method catalogue: names, option schemas, defaults and documentation. Pure data (no tfjs import), so the
 * config layer and `mixbench methods` can use it without loading a backend. The tfjs parts live in
 * `src/methods/<name>.ts` and are joined to these entries by `src/methods/registry.ts`.
 */
import { z } from 'zod';
import type { ResolvedModel } from '../core/experiment';

/**
 * What a method part changes. Two parts of one composed method may not share a kind: two mixing rules would each
 * mix the targets, two optimizer-level methods would each own the update, two attention variants would collide.
 */
export type PartKind = 'mixing' | 'target' | 'attention' | 'optimizer';

export interface OptionDoc {
  name: string;
  default: string;
  range: string;
  description: string;
}

export interface MethodInfo {
  name: string;
  summary: string;
  /** What the method changes; [] for the baseline. */
  kinds: PartKind[];
  actsOn: string;
  cost: string;
  paper: string;
  /** Models the method can act on. */
  models: ('transformer' | 'mlp')[];
  /** Data modalities the method can act on. */
  modalities: ('image' | 'tabular' | 'text')[];
  options: z.ZodObject<z.ZodRawShape>;
  optionDocs: OptionDoc[];
  /** Extra notes shown by `mixbench methods` (reconstructions, deviations from official code). */
  notes?: string;
  /** Checks of the resolved options against the model (config time); returns a problem or undefined. */
  checkModel?(options: Record<string, unknown>, model: ResolvedModel): string | undefined;
}

const catalog = new Map<string, MethodInfo>();

export function registerMethodInfo(info: MethodInfo): void {
  if (catalog.has(info.name)) throw new Error(`method "${info.name}" is registered twice`);
  catalog.set(info.name, info);
}

export function methodInfo(name: string): MethodInfo | undefined {
  return catalog.get(name);
}

export function methodNames(): string[] {
  return [...catalog.keys()];
}

/** The Beta(α, α) concentration of a mixing method; α = 0 means no mixing. */
function mixingAlpha(defaultValue: number) {
  return z.number().min(0, 'alpha must be >= 0 (0 disables mixing)').default(defaultValue);
}

const ALL_MODALITIES: MethodInfo['modalities'] = ['image', 'tabular', 'text'];

registerMethodInfo({
  name: 'baseline',
  summary: 'plain empirical risk minimisation with cross-entropy on one-hot targets',
  kinds: [],
  actsOn: 'nothing (reference arm)',
  cost: '1x',
  paper: '-',
  models: ['transformer', 'mlp'],
  modalities: ALL_MODALITIES,
  options: z.strictObject({}),
  optionDocs: [],
});

registerMethodInfo({
  name: 'mixup',
  summary: 'convex combinations of input pairs and of their one-hot targets, one λ ~ Beta(α, α) and one permutation per batch',
  kinds: ['mixing'],
  actsOn: 'model input (after normalisation); targets with the same permutation and λ',
  cost: '≈1x (one interpolation per batch)',
  paper: 'Zhang, Cisse, Dauphin, Lopez-Paz, "mixup: Beyond Empirical Risk Minimization", ICLR 2018 (arXiv 1710.09412)',
  models: ['transformer', 'mlp'],
  modalities: ['image', 'tabular'],
  options: z.strictObject({
    alpha: mixingAlpha(1),
  }),
  optionDocs: [
    { name: 'alpha', default: '1', range: '>= 0', description: 'Beta(α, α) concentration; α = 0 gives λ = 1 (plain training), as in the official code' },
  ],
});

const BETA_NOTE = 'λ ~ Beta(α, α) and one permutation π per step';
const SAM_OPTIONS = {
  rho: z.number().min(0, 'rho must be >= 0 (0 is the base optimizer)').default(0.05),
  adaptive: z.boolean().default(false),
};
const SAM_DOCS: OptionDoc[] = [
  { name: 'rho', default: '0.05', range: '>= 0', description: 'radius of the weight perturbation (‖ε̂‖₂ = ρ); 0 gives the base optimizer; ASAM needs ~10× larger ρ' },
  { name: 'adaptive', default: 'false', range: 'true | false', description: 'ASAM: ε̂ = ρ·T²g/‖Tg‖ with T = |w| (scale-invariant sharpness)' },
];
const GMIX_PAPER = 'Li & Tang, "G-Mix: A Generalized Mixup Learning Framework Towards Flat Minima", arXiv 2308.03236; IEEE Trans. AI 6(7), 2025';
const SPLIT_NOTE =
  'RECONSTRUCTION: no official code exists and the paper\'s rule is not verified (shared/docs/methods.md §4). Pass 1: mixup loss at w → ε̂ (as G-Mix). ' +
  'Sensitivity s_i = ℓ_i^mix(w+ε̂) − ℓ_i^mix(w) (a constant). Pass 2 runs the mixed and the plain batch together (2B rows) at w+ε̂ and descends ' +
  '(1/B)·Σ_i [(1−a_i)·ℓ_i^mix + a_i·ℓ_i^plain]';

registerMethodInfo({
  name: 'manifold-mixup',
  summary: 'mixup of hidden states: per step one site drawn uniformly from a set, h ← λh + (1−λ)h[π] there, targets mixed alike',
  kinds: ['mixing'],
  actsOn: 'the token sequence after the embedding or after a block (MLP: the input row or a hidden layer); targets with the same π and λ',
  cost: '≈1x (one interpolation per step; 1.03x measured)',
  paper: 'Verma, Lamb, Beckham, Najafi, Mitliagkas, Lopez-Paz, Bengio, "Manifold Mixup", ICML 2019 (arXiv 1806.05236)',
  models: ['transformer', 'mlp'],
  modalities: ALL_MODALITIES,
  options: z.strictObject({
    alpha: mixingAlpha(2),
    layers: z.array(z.union([z.literal('embed'), z.number().int().min(0, 'a layer is a block index >= 0 or "embed"')])).min(1).optional(),
  }),
  optionDocs: [
    { name: 'alpha', default: '2', range: '>= 0', description: `${BETA_NOTE}; 0 gives λ = 1` },
    { name: 'layers', default: '[embed, 0, 1, ..., depth-1]', range: 'list of "embed" and block indices', description: 'sites the mixing layer is drawn from, uniformly per step ("embed" = after patch+position embedding; l = output of block l)' },
  ],
  notes: 'Cross-entropy on the mixed soft targets (the official code uses BCE on softmax outputs).',
  checkModel(options, model) {
    const blocks = model.type === 'transformer' ? model.depth : model.hidden.length;
    const bad = ((options.layers as unknown[] | undefined) ?? []).filter((l) => l !== 'embed' && !((l as number) < blocks));
    return bad.length ? `layers ${bad.join(', ')} do not exist; the model has blocks 0..${blocks - 1} and "embed"` : undefined;
  },
});

registerMethodInfo({
  name: 'cutmix',
  summary: 'a box of area fraction ≈1−λ is pasted from the permuted partner image; λ recomputed from the exact pasted area',
  kinds: ['mixing'],
  actsOn: 'model input images [H, W, C]; targets with the same π and the area λ',
  cost: '≈1x (one mask per step; 1.03x measured)',
  paper: 'Yun, Han, Oh, Chun, Choe, Yoo, "CutMix: Regularization Strategy to Train Strong Classifiers with Localizable Features", ICCV 2019 (arXiv 1905.04899)',
  models: ['transformer', 'mlp'],
  modalities: ['image'],
  options: z.strictObject({
    alpha: mixingAlpha(1),
  }),
  optionDocs: [{ name: 'alpha', default: '1', range: '>= 0', description: `${BETA_NOTE} for the box size; 0 gives no box` }],
  notes: 'Box as the official rand_bbox (sides ⌊H·√(1−λ)⌋ × ⌊W·√(1−λ)⌋ centred at a uniform pixel, clipped); every step is cut-mixed (the official CIFAR script uses probability 0.5).',
});

registerMethodInfo({
  name: 'label-smoothing',
  summary: 'soft targets q = (1−ε)·onehot + ε/K',
  kinds: ['target'],
  actsOn: 'targets (before any mixing: smooth, then mix)',
  cost: '1x',
  paper: 'Szegedy, Vanhoucke, Ioffe, Shlens, Wojna, "Rethinking the Inception Architecture for Computer Vision", CVPR 2016 (arXiv 1512.00567)',
  models: ['transformer', 'mlp'],
  modalities: ALL_MODALITIES,
  options: z.strictObject({
    epsilon: z.number().min(0).max(1, 'epsilon must be in [0, 1]').default(0.1),
  }),
  optionDocs: [{ name: 'epsilon', default: '0.1', range: '[0, 1]', description: 'probability mass spread uniformly over the K classes' }],
});

registerMethodInfo({
  name: 'amplify',
  summary: 'in every attention sub-block the residual stream is mixed with the permuted batch, A ← λA + (1−λ)A[π], one λ and π for all layers',
  kinds: ['mixing'],
  actsOn: 'the residual stream after each attention sub-block (hidden site "attention": h + MHA(LN(h))); targets with the same π and λ',
  cost: '≈1x (one interpolation per layer; 1.06x measured)',
  paper: 'Yang & Xiang, "AMPLIFY: Attention-based Mixup for Performance Improvement and Label Smoothing in Transformer", arXiv 2309.12689; PeerJ Comput. Sci. 2024',
  models: ['transformer'],
  modalities: ALL_MODALITIES,
  options: z.strictObject({
    lambda: z.enum(['max-beta', 'beta']).default('max-beta'),
    alpha: z.number().positive('alpha must be > 0').default(0.1),
  }),
  optionDocs: [
    { name: 'lambda', default: 'max-beta', range: 'max-beta | beta', description: 'max-beta: λ = max of 5 draws from Beta(α, α) (official code; λ ≈ 1 mostly); beta: one draw from Beta(α, α)' },
    { name: 'alpha', default: '0.1', range: '> 0', description: 'Beta(α, α) concentration for either rule' },
  ],
  notes: 'The official code mixes LayerNorm(h + MHA(h)) of a post-norm BERT, the residual stream handed to the feed-forward sub-block; in our pre-norm block that tensor is h + MHA(LN(h)).',
});

registerMethodInfo({
  name: 'sam',
  summary: 'sharpness-aware minimisation: gradient at w + ρ·g/‖g‖, then the base optimizer steps from w',
  kinds: ['optimizer'],
  actsOn: 'the gradient of each step (two forward/backward passes); the base optimizer is train.optimizer',
  cost: '≈2x (two passes; 1.94x measured)',
  paper: 'Foret, Kleiner, Mobahi, Neyshabur, "Sharpness-Aware Minimization for Efficiently Improving Generalization", ICLR 2021 (arXiv 2010.01412); ASAM: Kwon et al., ICML 2021 (arXiv 2102.11600)',
  models: ['transformer', 'mlp'],
  modalities: ALL_MODALITIES,
  options: z.strictObject(SAM_OPTIONS),
  optionDocs: SAM_DOCS,
  notes: 'The norm runs over all parameters jointly; the logged loss is the first pass\'s; weights are restored exactly before the step.',
});

/** gmix, bgmix and dgmix share mixup's α and SAM's options. */
const GMIX_OPTIONS = { alpha: mixingAlpha(1), ...SAM_OPTIONS };
const GMIX_DOCS: OptionDoc[] = [{ name: 'alpha', default: '1', range: '>= 0', description: `mixup's ${BETA_NOTE}` }, ...SAM_DOCS];

registerMethodInfo({
  name: 'gmix',
  summary: 'G-Mix: SAM on the mixup loss, the same λ and π in both passes',
  kinds: ['mixing', 'optimizer'],
  actsOn: 'model input and targets (mixup) and the gradient (SAM)',
  cost: '≈2x (two passes; 1.91x measured)',
  paper: GMIX_PAPER,
  models: ['transformer', 'mlp'],
  modalities: ['image', 'tabular'],
  options: z.strictObject(GMIX_OPTIONS),
  optionDocs: GMIX_DOCS,
  notes: 'No official code; the objective min_w max_{‖ε‖≤ρ} L_mix(w+ε) follows from "mixup + SAM" (shared/docs/methods.md §4).',
});

registerMethodInfo({
  name: 'bgmix',
  summary: 'BG-Mix-like: G-Mix whose most sharpness-sensitive half of the batch trains on the plain loss, the rest on the mixup loss',
  kinds: ['mixing', 'optimizer'],
  actsOn: 'model input and targets (mixup), per-example loss weights and the gradient (SAM)',
  cost: '≈2.8x measured (pass 2 runs the mixed and the plain rows, 2B)',
  paper: GMIX_PAPER,
  models: ['transformer', 'mlp'],
  modalities: ['image', 'tabular'],
  options: z.strictObject(GMIX_OPTIONS),
  optionDocs: GMIX_DOCS,
  notes: `${SPLIT_NOTE}, a_i = 1 for the ⌊B/2⌋ examples with the largest s_i (above the median), else 0.`,
});

registerMethodInfo({
  name: 'dgmix',
  summary: 'DG-Mix-like: G-Mix where each example\'s mixed and plain losses are weighted by its normalised sharpness-sensitivity',
  kinds: ['mixing', 'optimizer'],
  actsOn: 'model input and targets (mixup), per-example loss weights and the gradient (SAM)',
  cost: '≈2.8x measured (pass 2 runs the mixed and the plain rows, 2B)',
  paper: GMIX_PAPER,
  models: ['transformer', 'mlp'],
  modalities: ['image', 'tabular'],
  options: z.strictObject(GMIX_OPTIONS),
  optionDocs: GMIX_DOCS,
  notes: `${SPLIT_NOTE}, a_i = (s_i − min s)/(max s − min s).`,
});

registerMethodInfo({
  name: 'neutreno',
  summary: 'attention with a return-to-origin term: per head U = softmax(QKᵀ/√d)Vˡ + λ(V⁰ − Vˡ) in layers ≥ 1',
  kinds: ['attention'],
  actsOn: 'the per-head attention output before the output projection, in every layer after the first (training and evaluation: it is part of the network)',
  cost: '≈1x (one elementwise op per layer; 1.04x measured)',
  paper: 'Nguyen, Nguyen, Baraniuk, "Mitigating Over-smoothing in Transformers via Regularized Nonlocal Functionals", NeurIPS 2023 (arXiv 2312.00751)',
  models: ['transformer'],
  modalities: ALL_MODALITIES,
  options: z.strictObject({
    lambda: z.number().min(0, 'lambda must be >= 0').default(0.6),
  }),
  optionDocs: [{ name: 'lambda', default: '0.6', range: '>= 0', description: 'weight of the fidelity term (0.6 DeiT/Segmenter, 0.4 WikiText-103 in the official code); 0 is softmax attention' }],
  notes: 'V⁰ is block 0\'s value tensor and is not detached (later layers train block 0\'s W_V). Unlike the mixing methods it also applies at evaluation.',
});
