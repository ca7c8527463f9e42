/**
 * The shape of a run record as the tables read it. Records whose `done` marker carries a hash are exactly what mixbench
 * wrote; older records (a status-only marker) are checked against this shape before use, so that a hand-edited or
 * damaged result.json is redone rather than crashing the report with a wrong type where a number should be.
 * Extra fields are allowed (newer writers, older optional fields).
 */
import { z } from 'zod';

const num = z.number().finite();
const int = z.number().int();
const maybeNum = num.nullable().optional();

const EpochShape = z.looseObject({ epoch: int, testAccuracy: num, trainLoss: num.nullable(), testNll: maybeNum, testEce: maybeNum, lr: maybeNum, seconds: maybeNum });

const SpecShape = z.looseObject({
  id: z.string(),
  experiment: z.string(),
  dataset: z.looseObject({ name: z.string(), trainFraction: num.optional(), trainSize: num.optional() }),
  noise: z.looseObject({ label: z.string(), type: z.string().optional(), rate: num.optional() }),
  method: z.looseObject({ name: z.string(), parts: z.array(z.looseObject({ method: z.string() })) }),
  seed: int,
  model: z.looseObject({ type: z.enum(['transformer', 'mlp']) }),
  train: z.looseObject({ epochs: int.positive() }),
  member: z.looseObject({ index: int, of: int, group: z.string(), measure: z.string() }).optional(),
});

const MetricsShape = z.looseObject({
  bestAccuracy: num, lastAccuracy: num, bestEpoch: int, testNll: maybeNum, ece: maybeNum, finalTrainLoss: maybeNum,
  trainSeconds: maybeNum, samplesPerSec: maybeNum, parameterCount: maybeNum,
});

export const RecordShape = z.looseObject({
  format: z.literal('mixbench-run/1'),
  id: z.string(),
  status: z.enum(['ok', 'diverged', 'failed']),
  spec: SpecShape,
  metrics: MetricsShape.nullable(),
  curve: z.array(EpochShape),
  environment: z.looseObject({ backend: z.string() }),
  error: z.string().nullable(),
  wallSeconds: num,
  finishedAt: z.string(),
  attempt: int.optional(),
  oversmoothing: z.looseObject({ layers: z.array(z.looseObject({ site: z.enum(['embed', 'block']), layer: int.nullable(), depth: int, cosine: num })) }).nullable().optional(),
  orbit: z.looseObject({ file: z.string(), group: z.string(), elements: int.positive(), examples: int.nonnegative(), classes: int.positive() }).nullable().optional(),
  noise: z.looseObject({ labelFraction: num, inputFraction: num }).nullable().optional(),
  memorisation: z.looseObject({ examples: int, noisyFit: num, trueFit: num.nullable() }).nullable().optional(),
});

export function recordShapeOk(rec: unknown): boolean {
  return RecordShape.safeParse(rec).success;
}
