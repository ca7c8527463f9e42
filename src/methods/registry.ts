/** Builds a run's method parts: the method list's `create`, handed the tfjs toolkit (the tfjs side of the methods). */
import type { ResolvedMethod, ResolvedModel } from '../core/experiment';
import { methodInfo } from './index';
import * as toolkit from './toolkit';
import type { MethodPart } from './types';

/** Test-only settings of one part (see PartEnv.forceLambda). */
export interface PartOverrides {
  forceLambda?: number;
}

/** The parts of a method for a run on `model`; `overrides[i]` applies to part i (tests only). */
export function instantiateMethod(method: ResolvedMethod, model: ResolvedModel, overrides: PartOverrides[] = []): MethodPart[] {
  return method.parts.map((p, i) => {
    const m = methodInfo(p.method);
    if (!m) throw new Error(`no implementation for method "${p.method}"`);
    return m.create(p.options, { model, tk: toolkit, forceLambda: overrides[i]?.forceLambda });
  });
}
