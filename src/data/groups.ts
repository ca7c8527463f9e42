/**
 * Finite groups acting on square images [H, W, C] by permuting pixels: C4 (rotations by multiples of 90°) and the
 * horizontal flip group. Used for group augmentation (one random element per training sample) and for equivariance
 * diagnostics (every element on the test set). Pure functions over typed arrays.
 */

export type GroupName = 'c4' | 'flip';

export function groupOrder(group: GroupName): number {
  return group === 'c4' ? 4 : 2;
}

/**
 * For element g, the source index of each destination pixel: dst[(i, j)] = src[index[(i, j)]] for an H×W image.
 * c4: g = k rotates by k·90° counter-clockwise; flip: g = 1 mirrors left–right. g = 0 is the identity.
 */
export function pixelMap(group: GroupName, g: number, height: number, width: number): Int32Array {
  if (group === 'c4' && g % 2 === 1 && height !== width) throw new Error(`C4 needs square images, got ${height}×${width}`);
  const map = new Int32Array(height * width);
  for (let i = 0; i < height; i++) {
    for (let j = 0; j < width; j++) {
      let si = i;
      let sj = j;
      if (group === 'c4') {
        // Counter-clockwise rotation by k·90°: dst(i, j) = src(j, n-1-i) for k = 1.
        for (let k = 0; k < g; k++) {
          const ti = sj;
          const tj = height - 1 - si;
          si = ti;
          sj = tj;
        }
      } else if (g === 1) {
        sj = width - 1 - j;
      }
      map[i * width + j] = si * width + sj;
    }
  }
  return map;
}

/** Apply the pixel map to one image stored at `offset` of `src` (H·W·C values), writing into `dst` at `dstOffset`. */
export function transformImage(src: Float32Array, offset: number, dst: Float32Array, dstOffset: number, map: Int32Array, channels: number): void {
  for (let p = 0; p < map.length; p++) {
    const from = offset + map[p] * channels;
    const to = dstOffset + p * channels;
    for (let c = 0; c < channels; c++) dst[to + c] = src[from + c];
  }
}

/** All pixel maps of a group for images of this size (index = group element). */
export function groupMaps(group: GroupName, height: number, width: number): Int32Array[] {
  return Array.from({ length: groupOrder(group) }, (_, g) => pixelMap(group, g, height, width));
}
