/**
 * `node dist/test/golden/dataset.js <config> <out.json>`: writes what the twin's training script (reference/train.py)
 * needs to train a config's runs on mixbench's data: the prepared train and test splits of the config's first dataset
 * (mixbench's loader and split, so both train on the same examples), the resolved model and training settings, the
 * methods' resolved parts and the seeds. No weights and no batch order: the twin initialises and shuffles itself.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadConfigFile } from '../../src/config/load';
import { planRuns } from '../../src/config/plan';
import { datasetFor } from '../../src/data/cache';
import { encodeF32 } from './format';

export const TWIN_DATASET_FORMAT = 'mixbench-twin-dataset/1';

function main(argv: string[]): number {
  const [config, out] = argv;
  if (!config || !out) {
    process.stderr.write('usage: node dist/test/golden/dataset.js <config.yaml> <out.json>\n');
    return 2;
  }
  const exp = loadConfigFile(config);
  const plan = planRuns(exp);
  const spec = plan.runs[0];
  if (plan.runs.some((r) => JSON.stringify([r.model, r.train]) !== JSON.stringify([spec.model, spec.train]))) {
    process.stderr.write(`${config}: the config sweeps model or training settings; give the twin one point (mixbench run --set)\n`);
    return 2;
  }
  if (exp.datasets.length > 1 || exp.noise.some((n) => n.type !== 'none')) {
    process.stderr.write(`${config}: the twin's training script takes one dataset without noise; this config has ${exp.datasets.length} datasets and noise ${exp.noise.map((n) => n.label).join(', ')}\n`);
    return 2;
  }
  const ds = datasetFor(spec);
  const split = (s: typeof ds.train) => ({ n: s.n, x: encodeF32(s.x), y: Array.from(s.y) });
  const body = {
    format: TWIN_DATASET_FORMAT,
    experiment: exp.name,
    dataset: { name: ds.name, modality: ds.modality, shape: ds.shape, numClasses: ds.numClasses, vocabSize: ds.vocabSize ?? null },
    model: spec.model,
    train: spec.train,
    methods: exp.methods.map((m) => ({ name: m.name, parts: m.parts })),
    seeds: exp.seeds,
    trainSplit: split(ds.train),
    testSplit: split(ds.test),
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(`${out}.tmp`, JSON.stringify(body));
  renameSync(`${out}.tmp`, out);
  process.stdout.write(`${out}: ${ds.name}, ${ds.train.n} train and ${ds.test.n} test examples, ${exp.methods.length} methods, seeds ${exp.seeds.join(', ')}\n`);
  return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
