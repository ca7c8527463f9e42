/** The project stands on its own: nothing it ships cites sources outside the repository. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..', '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

test('code, docs, configs and scripts cite only the project itself (no shared/docs, ../shared or /work/shared)', () => {
  const roots = ['src', 'bin', 'docs', 'configs', 'bench', 'examples'].map((d) => join(ROOT, d));
  const candidates = [
    ...roots.flatMap(files),
    ...['README.md', 'DEVELOPERS.md', 'datasets/README.md', 'datasets/build-bundled.js', 'package.json'].map((f) => join(ROOT, f)),
  ].filter((f) => /\.(ts|js|md|ya?ml|json|py|sh)$/.test(f));
  const offenders = candidates.filter((f) => /shared\/docs|\.\.\/shared\/|\/work\/shared/.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f));
  assert.deepEqual(offenders, []);
});
