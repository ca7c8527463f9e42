/** The one table joining catalogue entries (src/methods/catalog.ts) to their tfjs parts. */
import type { ResolvedMethod } from '../config/schema';
import { methodNames } from './catalog';
import { mixup } from './mixup';
import type { MethodPart, PartFactory } from './types';

const factories = new Map<string, PartFactory>();

function register(name: string, factory: PartFactory): void {
  if (factories.has(name)) throw new Error(`method part "${name}" is registered twice`);
  factories.set(name, factory);
}

register('baseline', () => ({ name: 'baseline' }));
register('mixup', mixup);

for (const name of methodNames()) {
  if (!factories.has(name)) throw new Error(`method "${name}" is in the catalogue but has no implementation`);
}

export function instantiateMethod(method: ResolvedMethod): MethodPart[] {
  return method.parts.map((p) => {
    const factory = factories.get(p.method);
    if (!factory) throw new Error(`no implementation for method "${p.method}"`);
    return factory(p.options);
  });
}
