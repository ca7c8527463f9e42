/**
 * Static fine-grained saliency (Montabone & Soto, "Human detection using a mobile platform and novel features derived
 * from a visual saliency mechanism", Image and Vision Computing 2010), as OpenCV contrib computes it
 * (`cv::saliency::StaticSaliencyFineGrained`, modules/saliency/src/staticSaliencyFineGrained.cpp) — the saliency
 * method SaliencyMix's official code calls. Pure host code over typed arrays (no tfjs): the images mixbench mixes are
 * small (8×8 to 32×32), so one map is a few thousand operations.
 *
 * The arithmetic follows OpenCV's step by step, so that the map (and its first maximum) is OpenCV's:
 *   1. grey: one channel as is; three channels by cvtColor(BGR2GRAY)'s fixed-point rule, channel 0 taken as blue
 *      (the official code hands OpenCV an RGB tensor, which OpenCV reads as BGR);
 *   2. two 3×3 Gaussian blurs (σ from the size: kernel [1, 2, 1]/4), OpenCV's bit-exact 8-bit rounding, borders
 *      reflected without repeating the edge (BORDER_REFLECT_101);
 *   3. a float32 integral image; for each neighbourhood n ∈ {12, 24, 48, 28, 56, 112}, the surround mean of pixel
 *      (y, x) over the integral-image corners (x−n+1, y−n+1) and (x+n+1, y+n+1), clipped to the integral image, minus
 *      the centre pixel, over (box pixels − 1), in float32;
 *   4. on = (uchar)(I − mean) where positive, off = (uchar)(mean − I) where positive (truncation), per scale;
 *   5. on and off each summed over the scales (uint16) and rescaled to 0..255 by their own maximum (truncation);
 *   6. S = (uchar)(255·(on + off)/max(max on, max off)). on + off can exceed that maximum; the C++ conversion of a
 *      double above 255 to uchar then keeps the low 8 bits on x86-64 (cvttsd2si, then the low byte), which is what
 *      the official runs computed, so this code keeps them too.
 */

/** OpenCV's neighbourhood half-sizes of the six scales. */
export const FINE_GRAINED_SCALES = [12, 24, 48, 28, 56, 112] as const;

/**
 * One image [H, W, C] (row-major, channels last) as the 8-bit image the saliency detector expects: min–max scaled to
 * 0..255 over all its values and rounded (a constant image gives zeros). The official code passes OpenCV the
 * normalised float tensor, which the fine-grained detector reads byte by byte as if it were 8-bit; mixbench gives it
 * the 8-bit image it is written for (the scaling makes the map independent of how the inputs were normalised).
 */
export function toUint8Image(image: Float32Array, offset: number, size: number): Uint8Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < size; i++) {
    const v = image[offset + i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const out = new Uint8Array(size);
  if (!(hi > lo)) return out;
  const scale = 255 / (hi - lo);
  for (let i = 0; i < size; i++) out[i] = Math.round((image[offset + i] - lo) * scale);
  return out;
}

/** cvtColor's BGR2GRAY on 8-bit data: (B·1868 + G·9617 + R·4899 + 2¹³) >> 14, channel 0 = B. */
export function greyOf(image: Uint8Array, height: number, width: number, channels: number): Uint8Array {
  if (channels === 1) return Uint8Array.from(image);
  if (channels !== 3) throw new Error(`fine-grained saliency takes 1 or 3 channels, not ${channels}`);
  const out = new Uint8Array(height * width);
  for (let p = 0; p < height * width; p++) {
    const b = image[3 * p];
    const g = image[3 * p + 1];
    const r = image[3 * p + 2];
    out[p] = (b * 1868 + g * 9617 + r * 4899 + (1 << 13)) >> 14;
  }
  return out;
}

/** BORDER_REFLECT_101 index: gfedcb|abcdefgh|gfedcba. */
function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  let k = i;
  while (k < 0 || k >= n) k = k < 0 ? -k : 2 * n - 2 - k;
  return k;
}

/**
 * GaussianBlur(src, Size(3, 3), 0, 0) on 8-bit data: the binomial kernel [1, 2, 1]/4 in rows and columns, computed
 * exactly in fixed point and rounded half up once at the end, as OpenCV's bit-exact 8-bit path does.
 */
export function gaussianBlur3(src: Uint8Array, height: number, width: number): Uint8Array {
  const out = new Uint8Array(height * width);
  const k = [1, 2, 1];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = reflect101(y + dy, height);
        for (let dx = -1; dx <= 1; dx++) s += k[dy + 1] * k[dx + 1] * src[yy * width + reflect101(x + dx, width)];
      }
      out[y * width + x] = Math.floor((s + 8) / 16);
    }
  }
  return out;
}

/** The fine-grained saliency map (8-bit, [H, W] row-major) of a grey 8-bit image. */
export function fineGrainedSaliency(grey: Uint8Array, height: number, width: number): Uint8Array {
  const g = gaussianBlur3(gaussianBlur3(grey, height, width), height, width);
  // Integral image [(H+1), (W+1)] in float32 (sums of 8-bit values: exact below 2^24).
  const iw = width + 1;
  const integral = new Float32Array((height + 1) * iw);
  for (let y = 0; y < height; y++) {
    let row = 0;
    for (let x = 0; x < width; x++) {
      row += g[y * width + x];
      integral[(y + 1) * iw + x + 1] = integral[y * iw + x + 1] + row;
    }
  }
  const f32 = Math.fround;
  const clip = (v: number, hi: number) => (v < 0 ? 0 : v > hi ? hi : v);
  const onSum = new Uint16Array(height * width);
  const offSum = new Uint16Array(height * width);
  for (const n of FINE_GRAINED_SCALES) {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const c = g[y * width + x];
        const x1 = clip(x - n + 1, width);
        const y1 = clip(y - n + 1, height);
        const x2 = clip(x + n + 1, width);
        const y2 = clip(y + n + 1, height);
        const box = f32(integral[y2 * iw + x2] + integral[y1 * iw + x1] - integral[y2 * iw + x1] - integral[y1 * iw + x2]);
        const mean = f32((box - c) / ((x2 - x1) * (y2 - y1) - 1));
        const on = f32(c - mean);
        const off = f32(mean - c);
        if (on > 0) onSum[y * width + x] += Math.trunc(on);
        if (off > 0) offSum[y * width + x] += Math.trunc(off);
      }
    }
  }
  const rescale = (sum: Uint16Array): Uint8Array => {
    let max = 0;
    for (const v of sum) if (v > max) max = v;
    // 255·(v/max) with v/max in float32; a zero maximum gives 0/0 = NaN, which the C++ cast turns into 0 on x86-64.
    return Uint8Array.from(sum, (v) => (max === 0 ? 0 : Math.trunc(255 * f32(v / max))));
  };
  const on = rescale(onSum);
  const off = rescale(offSum);
  let maxVal = 0;
  for (let p = 0; p < on.length; p++) maxVal = Math.max(maxVal, on[p], off[p]);
  // (uchar)(255.·(float)(on + off)/(float)maxVal) in double, truncated, low 8 bits kept (see the header).
  return Uint8Array.from(on, (v, p) => (maxVal === 0 ? 0 : Math.trunc((255 * (v + off[p])) / maxVal) & 255));
}

/** Row and column of the first maximum in row-major order (numpy's argmax + unravel_index). */
export function argmax2d(map: Uint8Array, width: number): { row: number; col: number } {
  let best = 0;
  for (let p = 1; p < map.length; p++) if (map[p] > map[best]) best = p;
  return { row: Math.floor(best / width), col: best % width };
}

/** The saliency peak of example `index` of a host batch [B, H, W, C]: OpenCV fine-grained saliency, first maximum. */
export function saliencyPeak(batch: Float32Array, index: number, shape: readonly number[]): { row: number; col: number; map: Uint8Array } {
  const [H, W, C] = shape;
  const size = H * W * C;
  const grey = greyOf(toUint8Image(batch, index * size, size), H, W, C);
  const map = fineGrainedSaliency(grey, H, W);
  return { ...argmax2d(map, W), map };
}
