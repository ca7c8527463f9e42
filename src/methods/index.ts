/**
 * The method list: the one place that says which methods exist. It drives config validation
 * (src/config/methods.ts), `mixbench methods`, the method tables of README.md and docs/methods.md (`npm run
 * docs:methods`), the method test matrix and the method bench. Loading it loads no tfjs (method files reach tfjs
 * only through the toolkit the registry hands to `create`).
 *
 * Adding a method: write src/methods/<name>.ts (`export default defineMethod({...})`) and add it below.
 */
import type { MethodModule } from './define';
import baseline from './baseline';
import mixup from './mixup';
import manifoldMixup from './manifold-mixup';
import cutmix from './cutmix';
import labelSmoothing from './label-smoothing';
import amplify from './amplify';
import neutreno from './neutreno';
import sam from './sam';
import gmix from './gmix';
import bgmix from './bgmix';
import dgmix from './dgmix';
import saliencymix from './saliencymix';
import transmix from './transmix';
import resizemix from './resizemix';
import fmix from './fmix';
import timmMixup from './timm-mixup';
import regmixup from './regmixup';

export const METHODS: readonly MethodModule[] = [
  baseline,
  mixup,
  manifoldMixup,
  cutmix,
  saliencymix,
  transmix,
  resizemix,
  fmix,
  timmMixup,
  regmixup,
  labelSmoothing,
  amplify,
  sam,
  gmix,
  bgmix,
  dgmix,
  neutreno,
];

const byName = new Map<string, MethodModule>();
for (const m of METHODS) {
  if (byName.has(m.name)) throw new Error(`method "${m.name}" is in the method list twice`);
  byName.set(m.name, m);
}

export function methodInfo(name: string): MethodModule | undefined {
  return byName.get(name);
}

export function methodNames(): string[] {
  return METHODS.map((m) => m.name);
}
