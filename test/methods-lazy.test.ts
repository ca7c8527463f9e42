/**
 * `mixbench validate`, `plan` and `methods` never load tfjs: the method list, its schemas and docs load without a
 * backend (method files reach tfjs only through the toolkit the registry hands to `create`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { METHODS } from '../src/methods/index';
import { CLI, tempDir } from './helpers';

/** Runs the CLI with a preload that records every module in require.cache at exit. */
function modulesLoadedBy(args: string[], dir: string): { status: number | null; stderr: string; modules: string[] } {
  const out = join(dir, `modules-${args[0]}.json`);
  const preload = join(dir, 'record-modules.js');
  writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require.cache))));\n`);
  const r = spawnSync(process.execPath, ['--require', preload, CLI, ...args], { encoding: 'utf8', env: { ...process.env, CI: '1' } });
  return { status: r.status, stderr: r.stderr, modules: JSON.parse(readFileSync(out, 'utf8')) as string[] };
}

test('validate, plan and methods load no @tensorflow module (a config with every listed method)', () => {
  const dir = tempDir();
  const config = join(dir, 'every-method.yaml');
  writeFileSync(config, `name: every-method\nseeds: 1\ndatasets: [digits]\nmethods: [${METHODS.map((m) => m.name).join(', ')}]\n` +
    // CLS pooling: every method takes it (TransMix needs it).
    'model: {type: transformer, pool: cls}\n');
  for (const args of [['validate', config], ['plan', config, '--json'], ['methods']]) {
    const r = modulesLoadedBy(args, dir);
    assert.equal(r.status, 0, `${args[0]}: ${r.stderr}`);
    assert.ok(r.modules.some((m) => m.endsWith(join('src', 'methods', 'index.js'))), `${args[0]} loads the method list`);
    const tfjs = r.modules.filter((m) => m.includes('@tensorflow') || m.endsWith(join('src', 'tf.js')) || m.endsWith(join('methods', 'toolkit.js')));
    assert.deepEqual(tfjs, [], `${args[0]} loaded tfjs`);
  }
});
