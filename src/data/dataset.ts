/** In-memory datasets: typed arrays, row-major, one example after another. */
import type { Modality } from '../core/experiment';

export interface Split {
  /** Features: n × prod(shape), row-major (images H×W×C; text: token ids, 0 = padding). */
  x: Float32Array;
  /** Class indices in [0, numClasses). */
  y: Int32Array;
  n: number;
}

export interface Dataset {
  name: string;
  modality: Modality;
  numClasses: number;
  /** Shape of one example: [H, W, C] for images, [F] for tabular rows, [L] for token sequences. */
  shape: number[];
  train: Split;
  test: Split;
  /** Text only: vocabulary size including padding (0) and OOV (1). */
  vocabSize?: number;
  /** Text only: id → word (0 "<pad>", 1 "<oov>"). */
  vocabulary?: string[];
  /** Class index → the label as written in the source. */
  classNames?: string[];
  /** How the data was read and prepared (split, encoding), for `mixbench datasets describe`. */
  notes?: string[];
}

export function featureSize(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
