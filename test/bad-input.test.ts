/**
 * Bad input whose message must stay readable: YAML syntax errors listed once each and capped (an unclosed bracket
 * thousands of levels deep made the parser report its own stack overflow and the same error 800 times), and paths
 * with a NUL byte or below a file named in words, not with Node's TypeError or errno text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, loadConfigFile } from '../src/config/load';
import { MAX_YAML_ISSUES } from '../src/config/limits';
import { readData } from '../src/data/files';
import { ConfigError } from '../src/errors';
import { checkOutputDir } from '../src/store/output-check';
import { StorageError, storageError } from '../src/util/fs';
import { tempDir } from './helpers';

function issuesOf(text: string): ConfigError['issues'] {
  try {
    parseConfig(text, 'c.yaml');
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues;
  }
  assert.fail('accepted');
}

test('an unclosed bracket 20,000 levels deep: one located sentence, not the parser\'s stack overflow repeated', () => {
  const issues = issuesOf(`name: ${'['.repeat(20_000)}\n`);
  assert.ok(issues.length <= 3, `${issues.length} issues`);
  assert.match(issues[0].message, /nested too deeply to read/);
  assert.equal(issues[0].line, 1);
  assert.ok(issues.every((i) => !/Maximum call stack/.test(i.message)));
  // Balanced but as deep: the same sentence.
  const balanced = issuesOf(`name: x\nmodel: ${'{a: '.repeat(5000)}1${'}'.repeat(5000)}\n`);
  assert.match(balanced[0].message, /nested too deeply to read/);
});

test(`YAML syntax errors: each listed once, at most ${MAX_YAML_ISSUES}, then how many more, all located`, () => {
  // 60 lines, each its own error at its own place.
  const text = `name: x\n${Array.from({ length: 60 }, (_, i) => `k${i}: [a\n`).join('')}`;
  const issues = issuesOf(text);
  // Every issue keeps file:line:col (the config fuzz test demands it of every refusal).
  assert.ok(issues.every((i) => i.line !== undefined && i.col !== undefined));
  const listed = issues.slice(0, -1);
  assert.equal(listed.length, MAX_YAML_ISSUES);
  assert.equal(new Set(listed.map((i) => `${i.line}:${i.col}:${i.message}`)).size, listed.length, 'no repeats');
  const tail = issues[issues.length - 1];
  assert.match(tail.message, /^and \d+ more YAML problems? from here on; fix the first ones and validate again$/);
  assert.ok(tail.line! >= listed[listed.length - 1].line!, 'located at the first problem left out');
  // Few errors: all of them, no tail.
  const few = issuesOf('name: [x\nseeds: {\n');
  assert.ok(few.length >= 1 && few.every((i) => i.line !== undefined && !/more YAML problems/.test(i.message)));
});

test('paths with a NUL byte or below a file: exit-2 errors in words; Node\'s own argument errors stay bugs', () => {
  const dir = tempDir('mixbench-bad-input-');
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const dataMessage = (p: string) => {
    try {
      readData(p);
    } catch (err) {
      assert.ok(err instanceof ConfigError, String(err));
      return err.message;
    }
    assert.fail('read');
  };
  assert.match(dataMessage(join(dir, 'a\0b.csv')), /a\\x00b\.csv: cannot read data file: not a usable path \(it contains a NUL byte\)$/);
  assert.match(dataMessage(join(file, 'x.csv')), /cannot read data file: a component of the path is a file, not a directory$/);
  assert.match(dataMessage(join(dir, 'n'.repeat(300))), /cannot read data file: the path is too long$/);
  assert.match(dataMessage(join(dir, 'missing.csv')), /cannot read data file: no such file$/);

  assert.throws(() => checkOutputDir(join(dir, 'out\0put'), { flag: true }), (e: Error) => e instanceof StorageError && /out\\x00put: .*not a usable path \(it contains a NUL byte\)/.test(e.message) && !e.message.includes('\0'));
  assert.throws(() => checkOutputDir(join(dir, 'o'.repeat(300)), { flag: true }), (e: Error) => e instanceof StorageError && /the path is too long \(ENAMETOOLONG\)/.test(e.message));
  // A Node argument error on a path without NUL (mixbench passed something wrong) is not turned into a user error.
  const bug = Object.assign(new TypeError('The "path" argument must be of type string'), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.equal(storageError(bug, 'create directory', 'x'), bug);
  // A config file that cannot be read: the path and the reason.
  assert.throws(() => loadConfigFile(join(dir, 'nope.yaml')), (e: Error) => e instanceof ConfigError && /nope\.yaml: cannot read config: no such file/.test(e.message));
});
