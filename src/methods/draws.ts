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
  const cy = rng.int(height);
  const cx = rng.int(width);
  return boxAround(height, width, lambda, cy, cx);
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

// ---------------------------------------------------------------------------------------------------------------
// The draws of timm-mixup (and TransMix, which is timm's batch mode), resizemix and fmix. Each records the raw random numbers it consumed, in the order the
// official code consumes them (`RawDraw`), so that the PyTorch twin can replay the official code on the same numbers.

/** One raw random number: numpy's rand() / beta(a, b) / randint(lo, hi) / uniform(lo, hi) / randn(), or a coin. */
export type RawDraw =
  | { op: 'rand'; value: number }
  | { op: 'beta'; a: number; value: number }
  | { op: 'randint'; lo: number; hi: number; value: number }
  | { op: 'uniform'; lo: number; hi: number; value: number };

/** A seeded stream that records what it hands out. */
export class RecordingRng {
  readonly raw: RawDraw[] = [];
  constructor(private readonly rng: Rng) {}
  rand(): number {
    const value = this.rng.uniform();
    this.raw.push({ op: 'rand', value });
    return value;
  }
  beta(a: number): number {
    const value = this.rng.beta(a, a);
    this.raw.push({ op: 'beta', a, value });
    return value;
  }
  /** Uniform integer in [lo, hi) (numpy's randint(lo, hi)). */
  randint(lo: number, hi: number): number {
    if (!(hi > lo)) throw new Error(`randint(${lo}, ${hi}): empty range`);
    const value = lo + this.rng.int(hi - lo);
    this.raw.push({ op: 'randint', lo, hi, value });
    return value;
  }
  /** Uniform in [lo, hi) (numpy's uniform(lo, hi) = lo + (hi − lo)·U). */
  uniform(lo: number, hi: number): number {
    const value = lo + (hi - lo) * this.rng.uniform();
    this.raw.push({ op: 'uniform', lo, hi, value });
    return value;
  }
}

/** Rows [y1, y2), columns [x1, x2). */
export interface Box {
  y1: number; y2: number; x1: number; x2: number;
}

/** timm's rand_bbox: sides ⌊H·√(1−λ)⌋ × ⌊W·√(1−λ)⌋ centred at (randint(H), randint(W)), clipped (margin 0). */
export function timmRandBbox(r: RecordingRng, height: number, width: number, lambda: number): Box {
  const cy = r.randint(0, height);
  const cx = r.randint(0, width);
  const { y1, y2, x1, x2 } = boxAround(height, width, lambda, cy, cx);
  return { y1, y2, x1, x2 };
}

/** timm's rand_bbox_minmax: side lengths uniform integers in [⌊H·min⌋, ⌊H·max⌋) (rows, then columns), never clipped. */
export function timmRandBboxMinmax(r: RecordingRng, height: number, width: number, minmax: readonly [number, number]): Box {
  const cutH = r.randint(Math.floor(height * minmax[0]), Math.floor(height * minmax[1]));
  const cutW = r.randint(Math.floor(width * minmax[0]), Math.floor(width * minmax[1]));
  const y1 = r.randint(0, height - cutH);
  const x1 = r.randint(0, width - cutW);
  return { y1, y2: y1 + cutH, x1, x2: x1 + cutW };
}

/** timm's cutmix_bbox_and_lam: the box, and λ = 1 − box area/(H·W) when correcting (always with minmax). */
export function timmCutmixBox(
  r: RecordingRng, height: number, width: number, lambda: number, minmax: readonly [number, number] | undefined, correctLam: boolean,
): { box: Box; lambda: number } {
  const box = minmax ? timmRandBboxMinmax(r, height, width, minmax) : timmRandBbox(r, height, width, lambda);
  const area = (box.y2 - box.y1) * (box.x2 - box.x1);
  return { box, lambda: correctLam || minmax ? 1 - area / (height * width) : lambda };
}

export interface TimmMixupSettings {
  mixupAlpha: number;
  cutmixAlpha: number;
  cutmixMinmax?: readonly [number, number];
  prob: number;
  switchProb: number;
  mode: 'batch' | 'pair' | 'elem';
  correctLam: boolean;
}

/** Per row i of the batch: the weight λ_i of its own target and its pasted box (null: mixup, or not mixed). */
export interface TimmDraw {
  lambda: number[];
  box: (Box | null)[];
  /** Whether any row is mixed. */
  mixed: boolean;
  raw: RawDraw[];
}

/**
 * timm's Mixup draws (timm/data/mixup.py), partner of row i = B−1−i. 'batch' (also TransMix's, whose official
 * Mixup_transmix is timm's Mixup): one apply flag (prob), one op (switch when both alphas are > 0), one λ and one box
 * for the batch, in that order on the stream (the box: centre row, then column). 'elem': per row (B switches, then B cutmix and B mixup
 * Betas, then B apply flags; λ kept in float32 as timm does), each cut row its own box. 'pair': 'elem' over the first
 * B/2 rows, row B−1−i sharing row i's λ and box (mixed the other way).
 */
export function drawTimmMixup(rng: Rng, s: TimmMixupSettings, batchSize: number, height: number, width: number, force?: number): TimmDraw {
  const r = new RecordingRng(rng);
  const cutmixAlpha = s.cutmixMinmax ? 1 : s.cutmixAlpha; // timm forces cutmix_alpha = 1 when minmax is set
  const B = batchSize;
  const forced = checkedForce(force);
  const lambda = new Array<number>(B).fill(1);
  const box = new Array<Box | null>(B).fill(null);
  if (s.mode === 'batch') {
    let lam = 1;
    let useCutmix = false;
    if (r.rand() < s.prob) {
      if (s.mixupAlpha > 0 && cutmixAlpha > 0) {
        useCutmix = r.rand() < s.switchProb;
        lam = r.beta(useCutmix ? cutmixAlpha : s.mixupAlpha);
      } else if (s.mixupAlpha > 0) {
        lam = r.beta(s.mixupAlpha);
      } else if (cutmixAlpha > 0) {
        useCutmix = true;
        lam = r.beta(cutmixAlpha);
      } else {
        throw new Error('one of mixupAlpha > 0, cutmixAlpha > 0 or cutmixMinmax must be set (timm asserts it)');
      }
      // As in modes elem and pair: a forced λ replaces a drawn one; a batch the roll left unmixed stays unmixed.
      lam = forced ?? lam;
    }
    if (lam !== 1) {
      let b: Box | null = null;
      if (useCutmix) ({ box: b, lambda: lam } = timmCutmixBox(r, height, width, lam, s.cutmixMinmax, s.correctLam));
      lambda.fill(lam);
      box.fill(b);
    }
    return { lambda, box, mixed: lambda.some((l) => l !== 1), raw: r.raw };
  }
  const n = s.mode === 'pair' ? B / 2 : B;
  let useCutmix = new Array<boolean>(n).fill(false);
  let mix: number[];
  if (s.mixupAlpha > 0 && cutmixAlpha > 0) {
    useCutmix = useCutmix.map(() => r.rand() < s.switchProb);
    const cut = Array.from({ length: n }, () => r.beta(cutmixAlpha));
    const mixup = Array.from({ length: n }, () => r.beta(s.mixupAlpha));
    mix = useCutmix.map((c, i) => (c ? cut[i] : mixup[i]));
  } else if (s.mixupAlpha > 0) {
    mix = Array.from({ length: n }, () => r.beta(s.mixupAlpha));
  } else {
    useCutmix = useCutmix.map(() => true);
    mix = Array.from({ length: n }, () => r.beta(cutmixAlpha));
  }
  const lam = mix.map((m) => (r.rand() < s.prob ? Math.fround(forced ?? m) : 1));
  for (let i = 0; i < n; i++) {
    if (lam[i] === 1) continue;
    let l = lam[i];
    let b: Box | null = null;
    if (useCutmix[i]) {
      ({ box: b, lambda: l } = timmCutmixBox(r, height, width, l, s.cutmixMinmax, s.correctLam));
      l = Math.fround(l);
    }
    lambda[i] = l;
    box[i] = b;
    if (s.mode === 'pair') {
      lambda[B - 1 - i] = l;
      box[B - 1 - i] = b;
    }
  }
  return { lambda, box, mixed: lambda.some((l) => l !== 1), raw: r.raw };
}

export interface ResizeMixSettings {
  /** openmixup: τ ~ U(scaleMin, scaleMax) is the side ratio (the paper's form); mmpretrain: λ = scaleMin + (scaleMax − scaleMin)·Beta(α, α) is the kept area, the side √(1−λ). */
  variant: 'openmixup' | 'mmpretrain';
  alpha: number;
  scaleMin: number;
  scaleMax: number;
}

export interface ResizeDraw extends MixDraw {
  /** The box the resized partner image fills (empty when the thumbnail has no pixels). */
  box: Box;
  /** openmixup: the side ratio τ; mmpretrain: the λ the box was drawn for. */
  scale: number;
  raw: RawDraw[];
}

/**
 * ResizeMix's draws. openmixup (openmixup/models/augments/resizemix.py, its "original settings"): π, τ ~ U(min, max),
 * then the box centre column and row (uniform), sides ⌊W·τ⌋ × ⌊H·τ⌋ halved around it and clipped. mmpretrain
 * (batch_augments/resizemix.py): λ₀ ~ Beta(α, α), λ = λ₀·(max − min) + min, π, then CutMix's rand_bbox for λ (centre
 * row, then column). Either way λ = 1 − box area/(H·W).
 */
export function drawResizeMix(rng: Rng, s: ResizeMixSettings, batchSize: number, height: number, width: number, force?: number): ResizeDraw {
  const r = new RecordingRng(rng);
  const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  // A forced λ (tests) replaces the drawn scale: the side ratio √(1−λ) (openmixup), the kept area λ (mmpretrain).
  const forced = checkedForce(force);
  if (s.variant === 'openmixup') {
    const perm = partnerPermutation(rng, batchSize);
    const drawnTau = r.uniform(s.scaleMin, s.scaleMax);
    const tau = forced === undefined ? drawnTau : Math.sqrt(1 - forced);
    const cutW = Math.floor(width * tau);
    const cutH = Math.floor(height * tau);
    const cx = r.randint(0, width);
    const cy = r.randint(0, height);
    const box = {
      y1: clip(cy - Math.floor(cutH / 2), height), y2: clip(cy + Math.floor(cutH / 2), height),
      x1: clip(cx - Math.floor(cutW / 2), width), x2: clip(cx + Math.floor(cutW / 2), width),
    };
    return { lambda: 1 - ((box.y2 - box.y1) * (box.x2 - box.x1)) / (height * width), perm, box, scale: tau, raw: r.raw };
  }
  const lam0 = r.beta(s.alpha);
  const lam = forced ?? lam0 * (s.scaleMax - s.scaleMin) + s.scaleMin;
  const perm = partnerPermutation(rng, batchSize);
  const box = timmRandBbox(r, height, width, lam);
  return { lambda: 1 - ((box.y2 - box.y1) * (box.x2 - box.x1)) / (height * width), perm, box, scale: lam, raw: r.raw };
}

export interface FourierDraw {
  /** λ ~ Beta(α, α) as drawn (the official loss weight). */
  drawnLambda: number;
  /** The real and imaginary parts of the spectrum's random factor, [H, Wf, 2] row-major (numpy randn(1, H, Wf, 2)). */
  noise: Float64Array;
  /** Wf: ⌊W/2⌋ + 1 columns (W even), ⌊W/2⌋ + 2 (W odd; the last is drawn and unused, as in the official code). */
  columns: number;
  /** The coin of binarise_mask: > 0.5 rounds λ·H·W up, else down. */
  coin: number;
  perm: Int32Array;
}

/** FMix's draws, in the official order (fmix.py sample_mask, then FMix.__call__): λ, the spectrum noise, the coin, π. */
export function drawFourier(rng: Rng, alpha: number, batchSize: number, height: number, width: number, force?: number): FourierDraw {
  const drawn = betaLambda(rng, alpha);
  const columns = width % 2 === 1 ? Math.floor(width / 2) + 2 : Math.floor(width / 2) + 1;
  const noise = new Float64Array(height * columns * 2);
  for (let i = 0; i < noise.length; i++) noise[i] = rng.normal();
  const coin = rng.uniform();
  return { drawnLambda: checkedForce(force) ?? drawn, noise, columns, coin, perm: partnerPermutation(rng, batchSize) };
}
