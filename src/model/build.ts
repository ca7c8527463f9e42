import type { ResolvedModel } from '../core/experiment';
import type { Dataset } from '../data/dataset';
import { featureSize } from '../data/dataset';
import { Mlp } from './mlp';
import { Transformer } from './transformer';
import type { Model } from './types';

export function buildModel(config: ResolvedModel, ds: Pick<Dataset, 'modality' | 'shape' | 'numClasses' | 'vocabSize'>, seed: number): Model {
  // Token ids are not features: the MLP on text is refused in config validation (src/config/load.ts).
  if (config.type === 'mlp' && ds.modality === 'text') throw new Error('the MLP does not take text (token ids); use model.type transformer');
  if (config.type === 'mlp') return new Mlp(config, featureSize(ds.shape), ds.numClasses, seed);
  if (ds.modality === 'image') {
    const [height, width, channels] = ds.shape;
    return new Transformer(config, { image: { height, width, channels } }, ds.numClasses, seed);
  }
  if (ds.modality === 'tabular') return new Transformer(config, { features: ds.shape[0] }, ds.numClasses, seed);
  if (ds.modality === 'text') {
    if (!ds.vocabSize) throw new Error('text data needs a vocabulary size');
    return new Transformer(config, { text: { length: ds.shape[0], vocab: ds.vocabSize } }, ds.numClasses, seed);
  }
  throw new Error(`the Transformer does not take ${ds.modality} data yet`);
}
