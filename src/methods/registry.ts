/** The one table joining catalogue entries (src/methods/catalog.ts) to their tfjs parts. */
import type { ResolvedMethod } from '../core/experiment';
import { methodNames } from './catalog';
import type { ResolvedModel } from '../core/experiment';
import { amplify } from './amplify';
import { cutmix } from './cutmix';
import { bgmix, dgmix, gmix } from './gmix';
import { labelSmoothing } from './label-smoothing';
import { manifoldMixup } from './manifold-mixup';
import { mixup } from './mixup';
import { neutreno } from './neutreno';
import { sam } from './sam';
import type { MethodPart, PartFactory } from './types';

const factories = new Map<string, PartFactory>();

function register(name: string, factory: PartFactory): void {
  if (factories.has(name)) throw new Error(`method part "${name}" is registered twice`);
  factories.set(name, factory);
}

register('baseline', () => ({ name: 'baseline' }));
register('mixup', mixup);
register('manifold-mixup', manifoldMixup);
register('cutmix', cutmix);
register('label-smoothing', labelSmoothing);
register('amplify', amplify);
register('sam', sam);
register('gmix', gmix);
register('bgmix', bgmix);
register('dgmix', dgmix);
register('neutreno', neutreno);

for (const name of methodNames()) {
  if (!factories.has(name)) throw new Error(`method "${name}" is in the catalogue but has no implementation`);
}

/** The parts of a method for a run on `model`. */
export function instantiateMethod(method: ResolvedMethod, model: ResolvedModel): MethodPart[] {
  return method.parts.map((p) => {
    const factory = factories.get(p.method);
    if (!factory) throw new Error(`no implementation for method "${p.method}"`);
    return factory(p.options, { model });
  });
}
