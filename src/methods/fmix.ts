/**
 * FMix (Harris et al., arXiv 2002.12047; official code ecs-vlc/FMix fmix.py): one binary mask per batch from
 * low-frequency Fourier noise. λ ~ Beta(α, α); a complex spectrum on the half-plane of frequencies, amplitude
 * 1/max(f, 1/max(H, W))^δ times (u + i·v) with u, v ~ N(0, 1), inverse real 2-D FFT to an H×W grey image g; the
 * ⌈λHW⌉ or ⌊λHW⌋ (a fair coin) largest pixels of g become 1 (optionally a linear ramp of 2·maxSoft·HW pixels at the
 * threshold), the rest 0. x̃ = m ⊙ x + (1 − m) ⊙ x[π]; the targets are mixed with λ = mean(m).
 *
 * The spectrum is assembled as the paper describes it (real and imaginary parts from the last axis of the noise).
 * The official fmix.py indexes the wrong axis (spectrum[:, 0] + 1j·spectrum[:, 1] picks two frequency rows), which
 * leaves masks with only the horizontal frequencies 0 and ±1/W; that bug is not reproduced. The inverse FFT is a
 * direct separable inverse DFT on the host in float64 (H·W ≤ a few thousand pixels here; tfjs-wasm has no FFT).
 */
import { z } from 'zod';
import type * as tf from '../tf';
import { defineMethod } from './define';
import { drawFourier, type FourierDraw } from './draws';
import { CUT_OTHER_DATA, mixingAlpha } from './options';

/** numpy's fftfreq(n)[k]: k/n for k < ⌈n/2⌉, else (k − n)/n. */
function fftfreq(k: number, n: number): number {
  return (k < Math.ceil(n / 2) ? k : k - n) / n;
}

/**
 * The low-frequency image g = irfft2(spectrum, (H, W)) of a draw (numpy's irfftn semantics: complex inverse DFT over
 * the rows, then the real inverse over the W//2+1 half-spectrum columns, whose DC and (W even) Nyquist columns
 * contribute their real part only). Returned unscaled: FMix only ranks its pixels.
 */
export function lowFrequencyImage(d: FourierDraw, height: number, width: number, decay: number): Float64Array {
  const H = height;
  const W = width;
  const K = Math.floor(W / 2) + 1; // the columns the inverse real FFT reads
  const floor = 1 / Math.max(H, W);
  // Spectrum S[ky, kx] = scale·(u + i·v).
  const re = new Float64Array(H * K);
  const im = new Float64Array(H * K);
  for (let ky = 0; ky < H; ky++) {
    for (let kx = 0; kx < K; kx++) {
      const fy = fftfreq(ky, H);
      const fx = fftfreq(kx, W);
      const scale = 1 / Math.max(Math.sqrt(fx * fx + fy * fy), floor) ** decay;
      const at = (ky * d.columns + kx) * 2;
      re[ky * K + kx] = scale * d.noise[at];
      im[ky * K + kx] = scale * d.noise[at + 1];
    }
  }
  // Inverse complex DFT along the rows: c[y, kx] = (1/H) Σ_ky S[ky, kx]·e^{2πi·ky·y/H}.
  const cr = new Float64Array(H * K);
  const ci = new Float64Array(H * K);
  for (let y = 0; y < H; y++) {
    for (let ky = 0; ky < H; ky++) {
      const a = (2 * Math.PI * ky * y) / H;
      const c = Math.cos(a);
      const s = Math.sin(a);
      for (let kx = 0; kx < K; kx++) {
        const sr = re[ky * K + kx];
        const si = im[ky * K + kx];
        cr[y * K + kx] += (sr * c - si * s) / H;
        ci[y * K + kx] += (sr * s + si * c) / H;
      }
    }
  }
  // Inverse real DFT along the columns: g[y, x] = (1/W)[Re c0 + 2 Σ_k Re(c_k e^{2πikx/W}) (+ Re c_{W/2}·(−1)^x, W even)].
  const g = new Float64Array(H * W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      let v = cr[y * K];
      for (let kx = 1; kx < K; kx++) {
        const a = (2 * Math.PI * kx * x) / W;
        const term = cr[y * K + kx] * Math.cos(a) - ci[y * K + kx] * Math.sin(a);
        v += W % 2 === 0 && kx === W / 2 ? term : 2 * term;
      }
      g[y * W + x] = v / W;
    }
  }
  return g;
}

/**
 * binarise_mask of fmix.py: the pixels of g ranked from the largest; the first ⌈λN⌉ (coin > 0.5) or ⌊λN⌋ are 1, the
 * rest 0, with a linear ramp from 1 to 0 over 2·soft pixels around the threshold (soft = ⌊N·min(maxSoft, λ, 1−λ)⌋
 * when maxSoft exceeds λ or 1 − λ, else ⌊N·maxSoft⌋).
 */
export function binariseMask(g: Float64Array, lambda: number, coin: number, maxSoft: number): Float32Array {
  const N = g.length;
  const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => g[b] - g[a] || a - b);
  const num = coin > 0.5 ? Math.ceil(lambda * N) : Math.floor(lambda * N);
  const effSoft = maxSoft > lambda || maxSoft > 1 - lambda ? Math.min(lambda, 1 - lambda) : maxSoft;
  const soft = Math.floor(N * effSoft);
  const low = num - soft;
  const high = num + soft;
  const mask = new Float32Array(N);
  for (let k = 0; k < Math.min(high, N); k++) mask[order[k]] = 1;
  for (let k = Math.max(low, 0); k < N; k++) mask[order[k]] = 0;
  // np.linspace(1, 0, n) over ranks low..high−1
  const n = high - low;
  for (let k = 0; k < n; k++) {
    const rank = low + k;
    if (rank >= 0 && rank < N) mask[order[rank]] = n === 1 ? 1 : 1 - k / (n - 1);
  }
  return mask;
}

/** The mask of a draw and its mean (the λ of the targets). */
export function fmixMask(d: FourierDraw, height: number, width: number, decay: number, maxSoft: number): { mask: Float32Array; lambda: number } {
  const mask = binariseMask(lowFrequencyImage(d, height, width, decay), d.drawnLambda, d.coin, maxSoft);
  let sum = 0;
  for (const v of mask) sum += v;
  return { mask, lambda: sum / mask.length };
}

export default defineMethod({
  name: 'fmix',
  summary: 'a binary mask thresholded from low-frequency Fourier noise mixes each image with its partner; targets weighted by the mask mean',
  family: 'cutting-based',
  kinds: ['mixing'],
  actsOn: 'model input images [H, W, C] (one H×W mask per batch, the same for every channel); targets with the same π and λ = mask mean',
  models: ['transformer', 'mlp'],
  modalities: ['image'],
  cost: { text: '≈1× (one H×W inverse DFT and one sort per batch, on the host)', measured: 1 },
  paper: 'Harris, Marcu, Painter, Niranjan, Prügel-Bennett, Hare, "FMix: Enhancing Mixed Sample Data Augmentation", arXiv 2002.12047 (2020)',
  notes: 'Spectrum assembled as the paper describes (the official fmix.py takes real and imaginary parts from the wrong axis, which restricts masks to horizontal frequencies 0 and ±1/W). The targets use λ = mask mean, the exact share of each image (the official loss uses the sampled λ, which differs by less than 1/(H·W)). Not implemented: the reformulated loss (reformulate=True).',
  otherData: CUT_OTHER_DATA,
  options: z.strictObject({
    alpha: mixingAlpha(1, 'λ ~ Beta(α, α), the share of pixels kept from the example; 0 gives λ = 1 (an all-ones mask)'),
    decay: z.number().gt(0).default(3).describe('decay power δ of the amplitude 1/f^δ: larger δ, smoother blobs'),
    maxSoft: z.number().min(0).max(0.5).default(0).describe('softening of the mask edge: a linear ramp over 2·maxSoft·H·W pixels at the threshold'),
  }),
  limit: { options: { alpha: 0 }, why: 'α = 0 gives λ = 1: the mask is all ones' },
  create: ({ alpha, decay, maxSoft }, { tk, forceLambda }) => ({
    name: 'fmix',
    beginStep(ctx) {
      if (ctx.modality !== 'image' || ctx.shape.length !== 3) throw new Error(`fmix needs image data, not ${ctx.modality}`);
      const [H, W] = ctx.shape;
      const d = drawFourier(ctx.rng, alpha, ctx.batchSize, H, W, forceLambda);
      const { mask, lambda } = fmixMask(d, H, W, decay, maxSoft);
      const { tf } = tk;
      return {
        info: { lambda, drawnLambda: d.drawnLambda, perm: d.perm, coin: d.coin, noise: Array.from(d.noise) },
        batch: (x, y) => {
          if (lambda === 1) return { x, y };
          const m = tf.tensor4d(mask, [1, H, W, 1]);
          const xm = tf.add(tf.mul(x, m), tf.mul(tk.permuteRows(x, d.perm), tf.sub(1, m)));
          return { x: xm, y: tk.lerp(y, tk.permuteRows(y, d.perm), lambda) };
        },
      };
    },
  }),
});
