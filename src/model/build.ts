import type { ResolvedModel } from '../config/schema';
import type { Dataset } from '../data/dataset';
import { featureSize } from '../data/dataset';
import { Mlp } from './mlp';
import { Transformer } from './transformer';
import type { Model } from './types';

export function buildModel(config: ResolvedModel, ds: Pick<Dataset, 'modality' | 'shape' | 'numClasses'>, seed: number): Model {
  if (config.type === 'mlp') return new Mlp(config, featureSize(ds.shape), ds.numClasses, seed);
  if (ds.modality === 'image') {
    const [height, width, channels] = ds.shape;
    return new Transformer(config, { image: { height, width, channels } }, ds.numClasses, seed);
  }
  if (ds.modality === 'tabular') return new Transformer(config, { features: ds.shape[0] }, ds.numClasses, seed);
  throw new Error(`the Transformer does not take ${ds.modality} data yet`);
}
