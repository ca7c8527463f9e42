/**
 * File writes that never hang and never leave half-written files.
 *
 * - `ensureDir` creates missing directories one level at a time. Node's own `mkdirSync(p, {recursive: true})` retries
 *   forever on paths such as `/proc/x` (mkdir says ENOENT, the parent exists, mkdir again, ...); this walk visits
 *   each path component once and fails with a StorageError naming the component and the reason.
 * - `writeFileAtomic` writes a temp file in the same directory, fsyncs it and renames it over the target; on any
 *   failure (a full disk, say) the temp file is removed and the old target, if any, is left as it was.
 * - `writeFilesAtomic` stages every file before renaming any, so a set of tables is either all old or all new when
 *   the disk fills up while writing them.
 * - `root`: a directory that must already exist (the output directory of a sweep). It is never recreated: if it has
 *   vanished, the write fails with a StorageError instead of silently starting a new directory.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * The file system refused a write or a directory: full disk, read-only, not a directory, vanished (exit 2, like a
 * usage error: the user fixes the directory or the disk). `code` is the errno code, or 'vanished' for a directory that
 * disappeared while mixbench was writing into it. (Defined here because util imports nothing of ours.)
 */
export class StorageError extends Error {
  readonly exitCode = 2;
  constructor(message: string, readonly path: string, readonly code: string) {
    super(message);
    this.name = 'StorageError';
  }
}

/** Why an errno-style failure happened, in words (no path). */
export function describeErrno(code: string | undefined): string {
  switch (code) {
    case 'ENOSPC': return 'no space left on the device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'EROFS': return 'read-only file system';
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'ENOTDIR': return 'a component of the path is a file, not a directory';
    case 'EISDIR': return 'is a directory';
    case 'ENOENT': return 'no such file or directory';
    case 'ENAMETOOLONG': return 'the path is too long';
    case 'ELOOP': return 'too many levels of symbolic links';
    case 'EIO': return 'input/output error';
    case 'EMFILE':
    case 'ENFILE': return 'too many open files';
    default: return code ?? 'unknown error';
  }
}

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** A StorageError for a failed file-system call; other errors (bugs) pass through unchanged. */
export function storageError(err: unknown, action: string, path: string): Error {
  if (err instanceof StorageError) return err;
  const code = errnoOf(err);
  // A NUL byte in a path the user typed (a YAML "\0" escape): Node refuses it before any system call.
  if (code === 'ERR_INVALID_ARG_VALUE' && path.includes('\0')) return new StorageError(`cannot ${action} ${path}: not a usable path (it contains a NUL byte)`, path, 'EINVAL');
  // Node's own argument errors (ERR_*) are bugs in mixbench, not storage problems.
  if (!code || code.startsWith('ERR_')) return err instanceof Error ? err : new Error(String(err));
  return new StorageError(`cannot ${action} ${path}: ${describeErrno(code)} (${code})`, path, code);
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch (err) {
    const code = errnoOf(err);
    // ENOTDIR: an ancestor is a file; the walk reaches it and reports it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw storageError(err, 'inspect', path);
  }
}

function isDirectory(path: string): boolean {
  return statOrUndefined(path)?.isDirectory() ?? false;
}

/** A directory that must exist (a sweep's output directory): a StorageError saying it vanished when it does not. */
export function requireDir(dir: string): void {
  const st = statOrUndefined(dir);
  if (!st) throw new StorageError(`${dir} vanished (deleted, moved or unmounted) while mixbench was writing into it`, dir, 'vanished');
  if (!st.isDirectory()) throw new StorageError(`${dir} is no longer a directory (replaced by a file)`, dir, 'ENOTDIR');
}

/**
 * Create `dir` and any missing parents, one mkdir per missing component, never recursing into Node's retry loop.
 * With `root`, `dir` must lie inside an existing `root` (checked by the walk: a missing `root` is reported as vanished).
 */
export function ensureDir(dir: string, root?: string): void {
  const target = resolve(dir);
  const stop = root === undefined ? undefined : resolve(root);
  const missing: string[] = [];
  for (let cur = target; ; ) {
    const st = statOrUndefined(cur);
    if (st) {
      if (!st.isDirectory()) {
        throw new StorageError(cur === target ? `${dir} is a file, not a directory` : `cannot create ${dir}: ${cur} is a file, not a directory`, cur, 'ENOTDIR');
      }
      break;
    }
    if (cur === stop) requireDir(root!);
    missing.push(cur);
    const parent = dirname(cur);
    if (parent === cur) break;
    cur = parent;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (err) {
      if (errnoOf(err) === 'EEXIST' && isDirectory(d)) continue; // created by another process meanwhile
      if (errnoOf(err) === 'EEXIST') throw new StorageError(`cannot create ${d}: a file of that name exists`, d, 'ENOTDIR');
      if (errnoOf(err) === 'ENOENT') {
        // The parent exists (the walk found it), yet mkdir says ENOENT: a file system that takes no new entries (procfs, sysfs).
        throw new StorageError(`cannot create ${d}: the file system at ${dirname(d)} does not allow new directories (ENOENT)`, d, 'ENOENT');
      }
      throw storageError(err, 'create directory', d);
    }
  }
}

function writeAll(fd: number, data: string | Uint8Array): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let off = 0;
  while (off < buf.byteLength) off += writeSync(fd, buf, off, buf.byteLength - off);
}

let tmpCounter = 0;

/** Write `data` into a fresh temp file next to `path` and fsync it; returns the temp path (removed again on failure). */
function stage(path: string, data: string | Uint8Array, root?: string): string {
  ensureDir(dirname(path), root);
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}-${tmpCounter++}`;
  try {
    const fd = openSync(tmp, 'wx');
    try {
      writeAll(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    return tmp;
  } catch (err) {
    removeQuietly(tmp);
    throw storageError(err, 'write', path);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or never created
  }
}

/** Make the renames in `dir` durable (best effort: some file systems refuse fsync on a directory). */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // not supported here; the rename itself is still atomic
  }
}

/** Write a file atomically: a temp file in the same directory, fsync, then rename over the target. */
export function writeFileAtomic(path: string, data: string | Uint8Array, root?: string): void {
  const tmp = stage(path, data, root);
  try {
    renameSync(tmp, path);
  } catch (err) {
    removeQuietly(tmp);
    throw storageError(err, 'write', path);
  }
  syncDir(dirname(path));
}

/**
 * Write several files so that a failure while writing leaves every target as it was: all contents are staged (and
 * fsynced) first, then renamed into place. Renames need no free space, so a full disk cannot mix old and new files.
 */
export function writeFilesAtomic(files: ReadonlyArray<readonly [string, string | Uint8Array]>, root?: string): void {
  const staged: [string, string][] = [];
  try {
    for (const [path, data] of files) staged.push([stage(path, data, root), path]);
  } catch (err) {
    for (const [tmp] of staged) removeQuietly(tmp);
    throw err;
  }
  const dirs = new Set<string>();
  for (let i = 0; i < staged.length; i++) {
    const [tmp, path] = staged[i];
    try {
      renameSync(tmp, path);
    } catch (err) {
      for (const [rest] of staged.slice(i)) removeQuietly(rest);
      throw storageError(err, 'write', path);
    }
    dirs.add(dirname(path));
  }
  for (const d of dirs) syncDir(d);
}

/** Bytes for messages: "512 B", "4.00 KiB", "4.53 GiB" (binary units, as df -h and free -h print them). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ${units[u]}`;
}
