/**
 * What loads at run time, checked by `npm run depcheck` next to .dependency-cruiser.cjs. This cruise follows the
 * imports that survive compilation (tsPreCompilationDeps: false drops type-only imports, as tsc does), because "never
 * loads tfjs" is a run-time property: the method files name tfjs types (`import type * as tf from '../tf'`) and
 * reach tfjs itself only through the toolkit the registry hands to `create` (DEVELOPERS.md, "Methods").
 */
module.exports = {
  forbidden: [
    {
      name: 'no-tfjs-loaded-by-pure-layers',
      comment: 'validate, plan, methods, datasets and report never load tfjs: nothing they import at run time reaches src/tf.ts.',
      severity: 'error',
      from: { path: '^src/(core|util|config|data|store|report)/|^src/methods/(index|define|draws|options|describe|docs)\\.ts$' },
      to: { path: '^src/(tf|backend)\\.ts$|@tensorflow/', reachable: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: false,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
