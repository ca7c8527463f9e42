/**
 * CutMix (Yun et al., ICCV 2019; official code clovaai/CutMix-PyTorch `rand_bbox`): λ ~ Beta(α, α); a box with sides
 * ⌊H·√(1−λ)⌋ × ⌊W·√(1−λ)⌋ centred at a uniform pixel, clipped to the image, is pasted from the permuted partner
 * x[π]; λ is then recomputed as the exact unpasted area fraction, and the targets are mixed with that λ and π.
 * Images only ([B, H, W, C] inputs). Unlike the official CIFAR script (which applies CutMix to a batch with
 * probability 0.5) every step is cut-mixed, as in OpenMixup.
 */
import * as tf from '../tf';
import { lerp, permuteRows } from '../model/ops';
import type { Rng } from '../util/rng';
import { forcedLambda, type MethodPart, type PartFactory } from './types';

export interface CutBox {
  /** Rows [y1, y2) and columns [x1, x2) of the pasted box. */
  y1: number; y2: number; x1: number; x2: number;
  /** 1 − pasted area / image area: the target weight of the example itself. */
  lambda: number;
  /** The drawn centre (row, column), before clipping. */
  cy: number; cx: number;
}

/** The official rand_bbox: cut ratio √(1−λ), centre uniform, clipped to the image; λ recomputed from the box. */
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

/** [1, H, W, 1] mask, 1 inside the box. */
function boxMask(box: CutBox, height: number, width: number): tf.Tensor4D {
  const m = new Float32Array(height * width);
  for (let r = box.y1; r < box.y2; r++) m.fill(1, r * width + box.x1, r * width + box.x2);
  return tf.tensor4d(m, [1, height, width, 1]);
}

export const cutmix: PartFactory = (options): MethodPart => {
  const alpha = options.alpha as number;
  const force = forcedLambda(options);
  return {
    name: 'cutmix',
    beginStep(ctx) {
      if (ctx.modality !== 'image' || ctx.shape.length !== 3) throw new Error(`cutmix needs image data, not ${ctx.modality}`);
      const [H, W] = ctx.shape;
      const drawn = alpha > 0 ? ctx.rng.beta(alpha, alpha) : 1;
      const perm = ctx.rng.permutation(ctx.batchSize);
      const box = drawBox(ctx.rng, H, W, force ?? drawn);
      const lambda = box.lambda;
      return {
        info: { lambda, drawnLambda: force ?? drawn, perm, box },
        batch: (x, y) => {
          if (lambda === 1) return { x, y };
          const mask = boxMask(box, H, W);
          const xm = tf.add(tf.mul(x, tf.sub(1, mask)), tf.mul(permuteRows(x, perm), mask));
          return { x: xm, y: lerp(y, permuteRows(y, perm), lambda) };
        },
      };
    },
  };
};
