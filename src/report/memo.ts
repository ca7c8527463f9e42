/**
 * Memory of a report between rebuilds. `mixbench run` rewrites the report after every finished run; with one
 * ReportCache for the sweep, a rebuild recomputes only what depends on the cell that gained a run (its summary
 * block, its plots, its ensemble) and reuses everything else, so a run's bookkeeping does not grow with the square
 * of the sweep. Entries are keyed by what they depend on, compared by identity: records are immutable once read,
 * and a changed run arrives as a new record object.
 */
interface Entry {
  deps: readonly unknown[];
  value: unknown;
}

export class ReportCache {
  private readonly entries = new Map<string, Entry>();
  private readonly perRecord = new WeakMap<object, Map<string, unknown>>();

  /** The value under `key`, recomputed only when `deps` differ (element by element, by identity) from last time. */
  memo<T>(key: string, deps: readonly unknown[], compute: () => T): T {
    const e = this.entries.get(key);
    if (e && e.deps.length === deps.length && e.deps.every((d, i) => d === deps[i])) return e.value as T;
    const value = compute();
    this.entries.set(key, { deps, value });
    return value;
  }

  /** A value derived from one record alone, computed once per record object. */
  ofRecord<T>(record: object, key: string, compute: () => T): T {
    let m = this.perRecord.get(record);
    if (!m) {
      m = new Map();
      this.perRecord.set(record, m);
    }
    if (!m.has(key)) m.set(key, compute());
    return m.get(key) as T;
  }
}
