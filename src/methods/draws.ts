/**
 * The per-step random draws of the mixing methods, in one place: λ ~ Beta(α, α), the partner permutation π, CutMix
 * boxes and the mixing site. Pure host code over mixbench's seeded Rng (no tfjs), drawn once per step in
 * `beginStep` from the method's own stream. The order of calls on the stream is part of each method's definition
 * (it fixes which λ and π a seed gives), so a method that changes it changes its numbers.
 */
import type { Rng } from '../util/rng';

export interface MixDraw {
  lambda: number;
  perm: Int32Array;
}

/** λ ~ Beta(α, α); α = 0 gives λ = 1 (no mixing) without touching the stream, as the official mixup code does. */
export function betaLambda(rng: Rng, alpha: number): number {
  return alpha > 0 ? rng.beta(alpha, alpha) : 1;
}

/** A uniformly random permutation of the batch (fixed points allowed, as torch.randperm). */
export function partnerPermutation(rng: Rng, batchSize: number): Int32Array {
  return rng.permutation(batchSize);
}

/** A test-only forced λ, checked: a number in [0, 1] or nothing. */
export function checkedForce(force: number | undefined): number | undefined {
  if (force === undefined) return undefined;
  if (!(typeof force === 'number' && force >= 0 && force <= 1)) throw new Error(`a forced λ must be a number in [0, 1], not ${force}`);
  return force;
}

/** λ ~ Beta(α, α) then π (in that order); `force` replaces λ after the draw, so the stream advances alike. */
export function drawMix(rng: Rng, alpha: number, batchSize: number, force?: number): MixDraw {
  const drawn = betaLambda(rng, alpha);
  return { lambda: checkedForce(force) ?? drawn, perm: partnerPermutation(rng, batchSize) };
}

/** One site drawn uniformly from `sites` (manifold mixup's layer). */
export function drawSite<S>(rng: Rng, sites: readonly S[]): S {
  return sites[rng.int(sites.length)];
}

export interface CutBox {
  /** Rows [y1, y2) and columns [x1, x2) of the pasted box. */
  y1: number; y2: number; x1: number; x2: number;
  /** The drawn centre (row, column), before clipping. */
  cy: number; cx: number;
  /** 1 − pasted area / image area: the target weight of the example itself. */
  lambda: number;
}

/**
 * The official CutMix rand_bbox: sides ⌊H·√(1−λ)⌋ × ⌊W·√(1−λ)⌋ centred at a uniform pixel (row, then column),
 * clipped to the image; λ recomputed as the exact unpasted area fraction.
 */
export function drawBox(rng: Rng, height: number, width: number, lambda: number): CutBox {
  const ratio = Math.sqrt(1 - lambda);
  const cutH = Math.floor(height * ratio);
  const cutW = Math.floor(width * ratio);
  const cy = rng.int(height);
  const cx = rng.int(width);
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const y1 = clip(cy - Math.floor(cutH / 2), height);
  const y2 = clip(cy + Math.floor(cutH / 2), height);
  const x1 = clip(cx - Math.floor(cutW / 2), width);
  const x2 = clip(cx + Math.floor(cutW / 2), width);
  return { y1, y2, x1, x2, cy, cx, lambda: 1 - ((y2 - y1) * (x2 - x1)) / (height * width) };
}

export interface CutDraw extends MixDraw {
  /** The λ the box size was drawn for (λ itself is the box's exact area λ). */
  drawnLambda: number;
  box: CutBox;
}

/** CutMix's draws: λ ~ Beta(α, α), π, then the box for that λ; the returned λ is the box's exact one. */
export function drawCut(rng: Rng, alpha: number, batchSize: number, height: number, width: number, force?: number): CutDraw {
  const { lambda, perm } = drawMix(rng, alpha, batchSize, force);
  const box = drawBox(rng, height, width, lambda);
  return { lambda: box.lambda, drawnLambda: lambda, perm, box };
}

/**
 * A CutMix box of the size rand_bbox gives for λ (sides ⌊H·√(1−λ)⌋ × ⌊W·√(1−λ)⌋), centred at a given pixel (row,
 * column) and clipped to the image; λ recomputed as the exact unpasted area fraction (SaliencyMix's saliency_bbox:
 * the centre is the saliency peak).
 */
export function boxAround(height: number, width: number, lambda: number, cy: number, cx: number): CutBox {
  const ratio = Math.sqrt(1 - lambda);
  const cutH = Math.floor(height * ratio);
  const cutW = Math.floor(width * ratio);
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  const y1 = clip(cy - Math.floor(cutH / 2), height);
  const y2 = clip(cy + Math.floor(cutH / 2), height);
  const x1 = clip(cx - Math.floor(cutW / 2), width);
  const x2 = clip(cx + Math.floor(cutW / 2), width);
  return { y1, y2, x1, x2, cy, cx, lambda: 1 - ((y2 - y1) * (x2 - x1)) / (height * width) };
}

/** timm's partner rule: example i is paired with B−1−i (the batch reversed; no random draw). */
export function flipPermutation(batchSize: number): Int32Array {
  return Int32Array.from({ length: batchSize }, (_, i) => batchSize - 1 - i);
}

export interface MixOrCutDraw extends MixDraw {
  /** 'none': not mixed this step (the probability roll failed, or λ = 1); 'mixup' or 'cutmix': the branch used. */
  branch: 'none' | 'mixup' | 'cutmix';
  /** The drawn λ (cutmix: the λ the box size was drawn for; λ itself is the box's exact one). */
  drawnLambda: number;
  box?: CutBox;
}

/**
 * timm's `Mixup._params_per_batch` and `_mix_batch` (mode 'batch', correct_lam): with probability `prob` the batch
 * is mixed; if both α > 0, CutMix is chosen with probability `switchProb`, else the op whose α is > 0; λ ~ Beta(α, α)
 * of that op; λ = 1 means no mixing; CutMix's box from rand_bbox (centre row, then column) and λ recomputed from its
 * area. The partner is the flipped batch. Order on the stream: the roll, the switch (when both α > 0), λ, the centre.
 * `force` replaces the drawn λ after its draw.
 */
export function drawMixOrCut(
  rng: Rng, o: { mixupAlpha: number; cutmixAlpha: number; prob: number; switchProb: number },
  batchSize: number, height: number, width: number, force?: number,
): MixOrCutDraw {
  const perm = flipPermutation(batchSize);
  const none: MixOrCutDraw = { branch: 'none', lambda: 1, drawnLambda: 1, perm };
  if (!(rng.uniform() < o.prob)) return none;
  let cut: boolean;
  if (o.mixupAlpha > 0 && o.cutmixAlpha > 0) cut = rng.uniform() < o.switchProb;
  else if (o.mixupAlpha > 0) cut = false;
  else if (o.cutmixAlpha > 0) cut = true;
  else throw new Error('one of mixupAlpha and cutmixAlpha must be > 0');
  const drawn = rng.beta(cut ? o.cutmixAlpha : o.mixupAlpha, cut ? o.cutmixAlpha : o.mixupAlpha);
  const lambda = checkedForce(force) ?? drawn;
  if (lambda === 1) return { ...none, drawnLambda: lambda };
  if (!cut) return { branch: 'mixup', lambda, drawnLambda: lambda, perm };
  const box = drawBox(rng, height, width, lambda);
  return { branch: 'cutmix', lambda: box.lambda, drawnLambda: lambda, perm, box };
}
