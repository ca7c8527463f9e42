/**
 * The layering of src/, checked by `npm run depcheck` (part of `npm test`). DEVELOPERS.md ("Layout and rules")
 * explains each rule; keep the two in step.
 *
 *   core      contracts (zod schemas, types, cell keys): imports nothing of ours
 *   util      small pure helpers: imports nothing of ours
 *   errors    typed errors: imports nothing of ours
 *   data      typed arrays, loaders, noise: core, util, errors
 *   model     tfjs networks: core, util, data (dataset types)
 *   methods   method parts: core, util, model, data
 *   config    YAML → resolved experiment → plan: core, util, errors, data, the pure method catalogue; never tfjs
 *   train     loop, optimizers, diagnostics that run the model: core, util, errors, data, model, methods
 *   store     records, orbit logits, report.json, locks, merging directories: core, util, errors, data/spec
 *   report    records → rows, plots, claims (pure); only report/write.ts touches files: core, util, store
 *   run       scheduling, workers, one run: core, util, errors, data, train, store (never config or report: cli wires them)
 *   backends  WebGPU adapter probe and activation, `mixbench backends`: core, errors, tf (and backend.ts); may import tfjs
 *   cli.ts    thin: imports the layers lazily; nothing imports it
 */
const layer = (folder, forbidden, comment) => ({
  name: `${folder}-layer`,
  comment,
  severity: 'error',
  from: { path: `^src/${folder}/` },
  to: { path: `^src/(${forbidden.join('|')})(/|\\.ts$)` },
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'cli.ts reads the version from package.json relative to its compiled location (dist/src), unresolvable from src.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '^\\.\\./\\.\\./package\\.json$' },
    },
    {
      name: 'core-is-a-leaf',
      comment: 'src/core/ holds the contracts everything depends on; it imports nothing of ours.',
      severity: 'error',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'util-is-a-leaf',
      severity: 'error',
      from: { path: '^src/util/' },
      to: { path: '^src/', pathNot: '^src/util/' },
    },
    {
      name: 'errors-is-a-leaf',
      severity: 'error',
      from: { path: '^src/errors\\.ts$' },
      to: { path: '^src/' },
    },
    {
      name: 'tfjs-only-through-src-tf',
      comment: 'src/tf.ts is the one tfjs import (the union package registers the gradients); backend.ts and src/backends/ load backends.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(tf|backend)\\.ts$|^src/backends/' },
      to: { path: '@tensorflow/' },
    },
    {
      name: 'no-tfjs-in-pure-layers',
      comment: 'core, util, data, store and report do not even name tfjs types: nothing they import reaches src/tf.ts. ' +
        'config and the method list name tfjs types through the method files; that they never load tfjs is checked ' +
        'on run-time imports by .dependency-cruiser-runtime.cjs.',
      severity: 'error',
      from: { path: '^src/(core|util|data|store|report)/' },
      to: { path: '^src/(tf|backend)\\.ts$|@tensorflow/', reachable: true },
    },
    layer('data', ['config', 'methods', 'model', 'train', 'run', 'report', 'store', 'cli'], 'data knows datasets and noise, not experiments'),
    layer('model', ['config', 'methods', 'train', 'run', 'report', 'store', 'cli'], 'the networks know nothing of methods or training'),
    layer('methods', ['config', 'train', 'run', 'report', 'store', 'cli'], 'a method plugs into the model seams; the loop calls it'),
    layer('config', ['model', 'train', 'run', 'report', 'store', 'cli', 'tf', 'backend'], 'config never imports report, run or train'),
    layer('train', ['config', 'run', 'report', 'store', 'cli'], 'training returns record sections; it does not write them'),
    layer('store', ['config', 'methods', 'model', 'train', 'run', 'report', 'cli', 'tf', 'backend'], 'records on disk'),
    {
      name: 'store-reads-data-spec-only',
      comment: 'The store needs a dataset\'s modality (which old records a version change made stale), nothing else of data.',
      severity: 'error',
      from: { path: '^src/store/' },
      to: { path: '^src/data/', pathNot: '^src/data/(spec|catalog)\\.ts$' },
    },
    layer('report', ['config', 'data', 'methods', 'model', 'train', 'run', 'cli', 'tf', 'backend'], 'report: records in, rows, plots and claims out'),
    {
      name: 'report-is-pure',
      comment: 'Only src/report/write.ts touches files (and the store); the rest of report/ are pure functions.',
      severity: 'error',
      from: { path: '^src/report/', pathNot: '^src/report/write\\.ts$' },
      to: { path: '^src/store/|^(node:)?fs$' },
    },
    layer('run', ['config', 'report', 'cli'], 'cli wires config and report into a sweep'),
    layer('backends', ['config', 'data', 'methods', 'model', 'train', 'store', 'report', 'run', 'cli'], 'backend loading: core, errors, tf'),
    {
      name: 'nothing-imports-cli',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/cli\\.ts$' },
      to: { path: '^src/cli\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
