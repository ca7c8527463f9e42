/** Ensemble members' test logits under their group, stored next to the record (binary, see OrbitInfo). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OrbitInfo } from '../core/record';
import { writeFileAtomic } from '../util/fs';

export const ORBIT_FILE = 'orbit-logits.bin';

export interface OrbitData {
  /** Logits [elements][examples · classes], identity element first. */
  orbit: Float32Array[];
  labels: Int32Array;
}

/**
 * Write a member's orbit logits into its run directory (before the record's `done` marker) and describe them.
 * `root`: the sweep's output directory, which must still exist (a vanished one is reported, not recreated).
 */
export function writeOrbitLogits(dir: string, data: OrbitData, group: string, classes: number, root: string): OrbitInfo {
  const per = data.orbit[0].length;
  const examples = data.labels.length;
  const bytes = new Uint8Array(data.orbit.length * per * 4 + examples * 4);
  const logits = new Float32Array(bytes.buffer, 0, data.orbit.length * per);
  data.orbit.forEach((o, g) => logits.set(o, g * per));
  new Int32Array(bytes.buffer, data.orbit.length * per * 4, examples).set(data.labels);
  writeFileAtomic(join(dir, ORBIT_FILE), bytes, root);
  return { file: ORBIT_FILE, group, elements: data.orbit.length, examples, classes };
}

/** The orbit logits and test labels of a run, or undefined when absent or of the wrong size. */
export function readOrbitLogits(dir: string, info: OrbitInfo): OrbitData | undefined {
  try {
    const buf = readFileSync(join(dir, info.file));
    const per = info.examples * info.classes;
    if (buf.byteLength !== (info.elements * per + info.examples) * 4) return undefined;
    const copy = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
    const logits = new Float32Array(copy, 0, info.elements * per);
    const labels = new Int32Array(copy, info.elements * per * 4, info.examples);
    return { orbit: Array.from({ length: info.elements }, (_, g) => logits.subarray(g * per, (g + 1) * per)), labels };
  } catch {
    return undefined;
  }
}
