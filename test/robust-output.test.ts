/**
 * Output faults with the real CLI and real file systems: an output path that cannot be created (/proc), a file in its
 * place, an unwritable directory (a user without permission, a read-only mount), a full disk (a small tmpfs), too
 * little space for the sweep; then, mid-sweep, a disk that fills up (in one process and with --jobs 2), a read-only
 * remount and a deleted output directory. Mounting needs root (CI and these machines run as root); where it is not
 * permitted those tests are skipped and say why.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { checkOutputDir, checkOutputSpace, freeBytes, runOutputBytes, tablesBytes } from '../src/store/output-check';
import { acquireSweepLock, sweepLockPath } from '../src/store/lock';
import { inspectRunDir } from '../src/store/records';
import { ensureDir, StorageError, writeFileAtomic, writeFilesAtomic } from '../src/util/fs';
import { resolveReport } from '../src/config/resolve';
import { ReportWriter } from '../src/report/write';
import { fakeRecord } from './report-fixtures';
import { CLI, tempDir } from './helpers';
import { parseCsv, runCli, startCli, TINY_MODEL, writeConfig } from './sweep-util';

const root = tempDir('mixbench-robust-out-');
const config = writeConfig(root, { seeds: [1, 2], epochs: 1, name: 'robust' });
/**
 * Mid-sweep faults are injected when a letters run starts: by then the two digits runs and the tables are written, and
 * the letters run (~1 s on an idle machine) is in flight while the test fills, remounts or moves the directory (ms).
 */
const slowConfig = join(root, 'slow.yaml');
writeFileSync(slowConfig, `name: robust-slow
seeds: [1, 2]
datasets: [{name: digits, limit: 100}, {name: letters, limit: 400}]
methods: [baseline]
model: ${TINY_MODEL}
train: {epochs: 1, batchSize: 32}
backend: cpu
`);
const isSlow = (e: { type: string; id?: unknown }) => e.type === 'run_started' && String(e.id).startsWith('letters-');
const mounts: string[] = [];

/** Mount a tmpfs of `size` at a new directory, or the reason it cannot be done here. */
function tmpfs(name: string, size: string): { dir: string } | { skip: string } {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return { skip: `cannot mount a tmpfs here (${(r.error?.message ?? r.stderr).trim()}); needs root` };
  mounts.push(dir);
  return { dir };
}

function remountReadOnly(dir: string): void {
  const r = spawnSync('mount', ['-o', 'remount,ro', dir], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** Fill the file system holding `dir` until ENOSPC; returns the filler file (delete it to free the space). */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
  } finally {
    closeSync(fd);
  }
  return path;
}

after(() => {
  for (const m of mounts.reverse()) spawnSync('umount', ['-l', m]);
});

/**
 * The CLI under bash's `time`, which reports the process's CPU seconds (user + system) on the last stderr line: "within
 * a second" is asserted on CPU time, which the other agents' load on a shared machine does not stretch as it does wall
 * time. `timeout` kills a hung CLI itself (a regression to the mkdir loop burns CPU until then): killing bash would leave it.
 */
function cli(args: string[], opts: { uid?: number; gid?: number } = {}) {
  const t0 = Date.now();
  const r = spawnSync('bash', ['-c', 'TIMEFORMAT="cpu %3U %3S"; time timeout -s KILL 25 "$@"', 'bash', process.execPath, CLI, ...args], { encoding: 'utf8', timeout: 30_000, ...opts });
  const m = /\ncpu ([\d.]+) ([\d.]+)\n?$/.exec(r.stderr ?? '');
  const stderr = m ? r.stderr.slice(0, m.index + 1) : r.stderr;
  return { ...r, stderr, seconds: (Date.now() - t0) / 1000, cpuSeconds: m ? Number(m[1]) + Number(m[2]) : NaN };
}

/** Exit 2 (not a hang, not an internal error) within a second of CPU, with a message naming `path` and matching `why`. */
function assertRefused(r: ReturnType<typeof cli>, path: string, why: RegExp): void {
  assert.ok(r.signal === null && r.status !== 137, `mixbench hung (killed after ${r.seconds} s)`);
  assert.equal(r.status, 2, r.stderr);
  assert.ok(r.cpuSeconds < 1, `refused after ${r.cpuSeconds} s of CPU (${r.seconds} s wall): must answer within a second`);
  assert.doesNotMatch(r.stderr, /internal error|This is a bug/);
  assert.ok(r.stderr.includes(path), `the message names ${path}: ${r.stderr}`);
  assert.match(r.stderr, why);
  assert.match(r.stderr, /Fix: /);
}

test('ensureDir: /proc/x fails at once (Node\'s recursive mkdir spins forever there); a file in the path is named', () => {
  // In a child process, so that a regression to the endless loop fails this test instead of hanging the suite.
  const fsModule = join(__dirname, '..', 'src', 'util', 'fs.js');
  const child = spawnSync(process.execPath, ['-e', `try { require(${JSON.stringify(fsModule)}).ensureDir('/proc/mixbench-nope/a/b') } catch (e) { console.log(e.name + ': ' + e.message) }`], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(child.signal, null, 'ensureDir on /proc did not return within 10 s');
  assert.match(child.stdout, /StorageError: cannot create \/proc\/mixbench-nope: the file system at \/proc does not allow new directories/);
  const t0 = Date.now();
  assert.throws(() => ensureDir('/proc/mixbench-nope/a/b'), StorageError);
  assert.ok(Date.now() - t0 < 1000, `took ${Date.now() - t0} ms`);
  const file = join(root, 'plain-file');
  writeFileSync(file, 'x');
  assert.throws(() => ensureDir(join(file, 'sub', 'dir')), (e: Error) => e instanceof StorageError && e.message.includes(`${file} is a file, not a directory`));
  ensureDir(join(root, 'a', 'b', 'c'));
  assert.ok(statSync(join(root, 'a', 'b', 'c')).isDirectory());
  // A root that vanished is reported, never recreated.
  assert.throws(() => ensureDir(join(root, 'gone', 'runs', 'x'), join(root, 'gone')), (e: Error) => e instanceof StorageError && e.code === 'vanished');
  assert.ok(!existsSync(join(root, 'gone')));
});

test('mixbench run: output that cannot be created, a file, a path under a file, runs/ a file → exit 2 naming the path and the fix', () => {
  const file = join(root, 'a-file');
  writeFileSync(file, 'x');
  const r1 = cli(['run', config, '-o', '/proc/mixbench-nope']);
  assertRefused(r1, '/proc/mixbench-nope', /cannot create \/proc\/mixbench-nope: the file system at \/proc does not allow new directories[\s\S]*pass another directory with -o DIR/i);
  const r2 = cli(['run', config, '-o', file]);
  assertRefused(r2, file, /is a file, not a directory[\s\S]*Fix: remove or rename that file/i);
  const r3 = cli(['run', config, '-o', join(file, 'sub')]);
  assertRefused(r3, file, /is a file, not a directory/);
  const withRunsFile = join(root, 'runs-file');
  mkdirSync(withRunsFile);
  writeFileSync(join(withRunsFile, 'runs'), 'x');
  assertRefused(cli(['run', config, '-o', withRunsFile]), join(withRunsFile, 'runs'), /is a file, not a directory/);
  // From the config's `output:` key, the fix names the config file.
  const cfg = join(root, 'proc.yaml');
  writeFileSync(cfg, readFileSync(config, 'utf8').replace(/^output: .*$/m, 'output: /proc/mixbench-nope'));
  assertRefused(cli(['run', cfg]), '/proc/mixbench-nope', new RegExp(`\`output:\` in ${cfg.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}`));
  for (const r of [r1, r2, r3]) assert.ok(r.seconds < 20, `${r.seconds} s wall`);
});

test('mixbench run: a directory this user may not write to → exit 2 (run as nobody: root ignores permission bits)', (t) => {
  if (process.getuid?.() !== 0) return t.skip('needs root to start the CLI as another user');
  const locked = join(root, 'locked');
  mkdirSync(locked);
  chmodSync(locked, 0o555);
  chmodSync(root, 0o755);
  const probe = spawnSync(process.execPath, [CLI, '--version'], { uid: 65534, gid: 65534, encoding: 'utf8' });
  if (probe.status !== 0) return t.skip(`user nobody cannot read the compiled CLI here: ${probe.stderr.split('\n')[0]}`);
  const r = cli(['run', config, '-o', locked], { uid: 65534, gid: 65534 });
  assertRefused(r, locked, /permission denied[\s\S]*make .* writable for this user/i);
  const nested = cli(['run', config, '-o', join(locked, 'sub')], { uid: 65534, gid: 65534 });
  assertRefused(nested, join(locked, 'sub'), /permission denied/);
});

test('mixbench run: a read-only mount, a full disk, too little space for the sweep → exit 2 before any training', (t) => {
  const ro = tmpfs('ro', '1m');
  if ('skip' in ro) return t.skip(ro.skip);
  remountReadOnly(ro.dir);
  assertRefused(cli(['run', config, '-o', ro.dir]), ro.dir, /read-only file system[\s\S]*remount the file system read-write/i);
  assertRefused(cli(['run', config, '-o', join(ro.dir, 'sub')]), join(ro.dir, 'sub'), /read-only file system/);

  const full = tmpfs('full', '512k');
  if ('skip' in full) return t.skip(full.skip);
  mkdirSync(join(full.dir, 'out'));
  fill(full.dir);
  const r = cli(['run', config, '-o', join(full.dir, 'out')]);
  assertRefused(r, join(full.dir, 'out'), /no space left on the device[\s\S]*free space on that device/i);
  assert.deepEqual(readdirSync(join(full.dir, 'out')), [], 'the probe left nothing behind');

  // Room for the probe but not for the sweep's records and tables: refused with the estimate.
  const small = tmpfs('small', '512k');
  if ('skip' in small) return t.skip(small.skip);
  const filler = fill(small.dir);
  const need = 4 * runOutputBytes({ epochs: 1, depth: 1 }) + tablesBytes(4);
  // Leave more than the probe needs, less than the estimate.
  const size = statSync(filler).size;
  writeFileSync(filler, Buffer.alloc(Math.max(0, size - 96 * 1024)));
  assert.ok(freeBytes(small.dir)! < need, `${freeBytes(small.dir)} free, ${need} needed`);
  const s = cli(['run', config, '-o', small.dir]);
  assertRefused(s, small.dir, /4 run records and the tables need about [\d.]+ KiB, and only [\d.]+ KiB is free/);
  assert.ok(!existsSync(join(small.dir, 'runs')), 'no training started');
});

test('checkOutputSpace refuses exactly when the free space is below the estimate; the estimate covers what a sweep wrote', () => {
  const todo = [{ epochs: 3, depth: 2 }, { epochs: 3, depth: 2, orbit: { elements: 4, examples: 100, classes: 10 } }];
  const need = todo.reduce((s, r) => s + runOutputBytes(r), 0) + tablesBytes(2);
  checkOutputSpace('/x', todo, 2, { flag: true }, need);
  assert.throws(() => checkOutputSpace('/x', todo, 2, { flag: true }, need - 1), StorageError);
  checkOutputSpace('/x', [], 2, { flag: true }, 0);
  checkOutputDir(join(root, 'fresh', 'out'), { flag: true });
  assert.deepEqual(readdirSync(join(root, 'fresh', 'out')), []);
});

test('writeFilesAtomic on a full disk: every target keeps its old content and no temp file is left', (t) => {
  const m = tmpfs('atomic', '256k');
  if ('skip' in m) return t.skip(m.skip);
  const names = ['runs.csv', 'summary.csv', 'summary.md'].map((n) => join(m.dir, n));
  names.forEach((p) => writeFileAtomic(p, `old ${p}\n`));
  const filler = fill(m.dir);
  // Room for a little: the first file stages, a later one cannot.
  writeFileSync(filler, Buffer.alloc(statSync(filler).size - 16 * 1024));
  const big = 'x'.repeat(12 * 1024);
  assert.throws(() => writeFilesAtomic(names.map((p) => [p, big] as const)), (e: Error) => e instanceof StorageError && e.code === 'ENOSPC');
  for (const p of names) assert.equal(readFileSync(p, 'utf8'), `old ${p}\n`);
  assert.deepEqual(readdirSync(m.dir).filter((f) => f.includes('.tmp-')), []);
  assert.throws(() => writeFileAtomic(names[0], 'y'.repeat(64 * 1024)), StorageError);
  assert.equal(readFileSync(names[0], 'utf8'), `old ${names[0]}\n`);
  assert.deepEqual(readdirSync(m.dir).filter((f) => f.includes('.tmp-')), []);
});

test('a full disk while taking the sweep lock: ENOSPC as a StorageError, and no empty lock file left to look like a live one', (t) => {
  const m = tmpfs('lockfull', '256k');
  if ('skip' in m) return t.skip(m.skip);
  const filler = fill(m.dir);
  const shard = { index: 1, count: 1 };
  assert.throws(() => acquireSweepLock(m.dir, shard), (e: Error) => e instanceof StorageError && e.code === 'ENOSPC' && e.message.includes(sweepLockPath(m.dir, shard)));
  assert.deepEqual(readdirSync(m.dir).filter((f) => f.startsWith('.mixbench-lock')), [], 'no lock file left behind');
  // With the space back, the lock is taken at once (nothing stale to wait for).
  unlinkSync(filler);
  acquireSweepLock(m.dir, shard).release();
});

/** Every run directory: complete (valid record) or incomplete (no done marker); no temp files anywhere. */
function inspect(out: string): { complete: string[]; incomplete: string[] } {
  const complete: string[] = [];
  const incomplete: string[] = [];
  const runs = join(out, 'runs');
  for (const id of existsSync(runs) ? readdirSync(runs) : []) {
    const dir = join(runs, id);
    assert.deepEqual(readdirSync(dir).filter((f) => f.includes('.tmp-')), [], `temp file left in ${dir}`);
    if (inspectRunDir(dir, id).state === 'complete') complete.push(id);
    else {
      assert.ok(!existsSync(join(dir, 'done')), `${id} has a done marker but no valid record`);
      incomplete.push(id);
    }
  }
  assert.deepEqual(readdirSync(out).filter((f) => f.includes('.tmp-')), [], 'temp file left in the output directory');
  return { complete: complete.sort(), incomplete };
}

/** Bytes the files and directories under `dir` take, in whole 4 KiB blocks. */
function footprint(dir: string): number {
  let total = 4096;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? footprint(p) : Math.max(1, Math.ceil(statSync(p).size / 4096)) * 4096;
  }
  return total;
}

/** The run ids listed in runs.csv (the tables are complete: they parse and list whole records). */
function tableIds(out: string): string[] {
  const rows = parseCsv(readFileSync(join(out, 'runs.csv'), 'utf8'));
  return rows.slice(1).map((r) => r[rows[0].indexOf('run_id')]).sort();
}

for (const jobs of [1, 2]) {
  test(`the disk fills up mid-sweep (--jobs ${jobs}): exit 2 saying so; complete runs stay valid, the run in flight is redone, tables old or complete`, async (t) => {
    const m = tmpfs(`enospc-${jobs}`, '2m');
    if ('skip' in m) return t.skip(m.skip);
    const out = join(m.dir, 'out');
    const s = startCli(['run', slowConfig, '-o', out, '--jobs', String(jobs), '--json', '-q']);
    await s.waitFor(isSlow);
    // Fill the disk once the first tables are written (so that "the old tables" exist to be kept).
    while (!existsSync(join(out, 'runs.csv'))) await new Promise((resolve) => setTimeout(resolve, 20));
    const filler = fill(m.dir);
    const r = await s.done;
    assert.equal(r.code, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /internal error|This is a bug/);
    assert.match(r.stderr, /sweep stopped: the disk holding .* is full \(cannot write .*: no space left on the device \(ENOSPC\)\)/);
    assert.match(r.stderr, /\d+ complete run records? (is|are) kept and valid/);
    assert.match(r.stderr, /Fix: free space .* then run the same command again/);
    const state = inspect(out);
    assert.ok(state.complete.length >= 1 && state.complete.length < 4, `complete: ${state.complete.join(', ')}`);
    // The tables list only complete runs (the last write before the disk filled, all files from one write).
    const listed = tableIds(out);
    assert.ok(listed.every((id) => state.complete.includes(id)), `tables list ${listed.join(', ')}`);
    const before = Object.fromEntries(state.complete.map((id) => [id, readFileSync(join(out, 'runs', id, 'result.json'), 'utf8')]));

    // Free the space: the same command finishes the sweep, redoing only what was not complete.
    unlinkSync(filler);
    const again = await runCli(['run', slowConfig, '-o', out, '--jobs', String(jobs), '--json', '-q']);
    assert.equal(again.code, 0, again.stderr);
    const redone = again.events.filter((e) => e.type === 'run_started').map((e) => String(e.id)).sort();
    assert.deepEqual(redone.filter((id) => state.complete.includes(id)), [], 'complete runs are not redone');
    assert.equal(redone.length, 4 - state.complete.length);
    const final = inspect(out);
    assert.equal(final.complete.length, 4);
    assert.equal(tableIds(out).length, 4);
    for (const [id, text] of Object.entries(before)) assert.equal(readFileSync(join(out, 'runs', id, 'result.json'), 'utf8'), text, `${id} untouched`);
    // The disk-space estimate is a floor of what the sweep needs: above what its files take.
    assert.ok(footprint(out) <= 4 * runOutputBytes({ epochs: 1, depth: 1 }) + tablesBytes(4), `${footprint(out)} bytes on disk`);
  });
}

test('mid-sweep: the output directory deleted → exit 2 "vanished", not recreated; remounted read-only → exit 2', async (t) => {
  const out = join(root, 'vanishing');
  const s = startCli(['run', slowConfig, '-o', out, '--json', '-q']);
  await s.waitFor(isSlow);
  // Moved away (atomic, unlike rm -r racing with the sweep's writes): gone from its path at once.
  renameSync(out, `${out}.moved`);
  const r = await s.done;
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /sweep stopped: the output directory .*vanishing vanished during the sweep/);
  assert.doesNotMatch(r.stderr, /internal error/);
  assert.ok(!existsSync(out), 'the vanished directory was not recreated');
  assert.ok(inspect(`${out}.moved`).complete.length >= 1, 'what was complete is still complete where it went');

  const m = tmpfs('remount', '2m');
  if ('skip' in m) return t.skip(m.skip);
  const s2 = startCli(['run', slowConfig, '-o', m.dir, '--json', '-q']);
  await s2.waitFor(isSlow);
  remountReadOnly(m.dir);
  const r2 = await s2.done;
  assert.equal(r2.code, 2, r2.stderr);
  assert.match(r2.stderr, /sweep stopped: writing into .* failed \(.*read-only file system \(EROFS\)\)/);
  const state = inspect(m.dir);
  assert.ok(state.complete.length >= 1);
  assert.ok(tableIds(m.dir).every((id) => state.complete.includes(id)));
});

// The race the mid-sweep test above hit now and then: the directory moved away after the tables lock checked it and
// before the report's files were staged. The report's writes are rooted at the output directory, so they refuse too.
test('the report of a sweep whose output directory vanished while it was built: StorageError, directory not recreated', () => {
  const out = join(root, 'report-vanishing');
  ensureDir(out);
  const writer = new ReportWriter(out, resolveReport(), { saveSettings: true });
  const records = [1, 2].map((seed) => fakeRecord({ method: 'baseline', seed, curve: [0.5, 0.6] }));
  writer.write(records);
  renameSync(out, `${out}.moved`);
  assert.throws(() => writer.write(records.slice(0, 1)), (err: unknown) => err instanceof StorageError && err.code === 'vanished');
  assert.ok(!existsSync(out), 'the vanished directory was not recreated');
});
