/**
 * The golden step fixtures (test/golden/steps) on whatever backend this process loads: every case, or the named ones,
 * checked against the PyTorch twin's numbers with test/golden-util.ts (its tolerance). Used where the backend cannot
 * share a process with the test runner: test/webgpu.test.ts on SwiftShader and `npm run gpu-check` on a real GPU.
 *
 * `node dist/test/golden-check.js <backend> [case,...]` prints one JSON line, `{backend, adapter, results}` (one entry
 * per case: pass or the deviations beyond tolerance, the largest deviation, seconds) or `{error}`.
 */
import type { BackendName } from '../src/core/experiment';
import { checkGoldenCase, loadGoldenCases, type Deviation } from './golden-util';

export interface GoldenCheckResult {
  case: string;
  /** The methods of the case (a composition has several). */
  methods: string[];
  ok: boolean;
  /** Why it failed: the assertion's message (every quantity beyond tolerance). */
  error?: string;
  /** The largest deviation relative to its tolerance. */
  worst?: { what: string; rel: number; kind: Deviation['kind'] };
  seconds: number;
}

export interface GoldenCheckOutput {
  backend?: string;
  adapter?: unknown;
  results?: GoldenCheckResult[];
  error?: string;
}

async function main(): Promise<void> {
  const [backend, only] = process.argv.slice(2);
  try {
    const { loadBackend } = await import('../src/backend');
    const { configureOps } = await import('../src/model/ops');
    const { GOLDEN_TOLERANCE } = await import('./golden-util');
    const info = await loadBackend(backend as BackendName);
    configureOps(info.name);
    const wanted = only ? new Set(only.split(',')) : null;
    const results: GoldenCheckResult[] = [];
    for (const c of loadGoldenCases().filter((g) => !wanted || wanted.has(g.fixture.case))) {
      const t0 = performance.now();
      const r: GoldenCheckResult = { case: c.fixture.case, methods: c.fixture.method.map((p) => p.method), ok: false, seconds: 0 };
      try {
        const devs = await checkGoldenCase(info.name, c);
        const w = devs.reduce((a, b) => (b.rel / GOLDEN_TOLERANCE[b.kind] > a.rel / GOLDEN_TOLERANCE[a.kind] ? b : a));
        r.worst = { what: w.what, rel: w.rel, kind: w.kind };
        r.ok = true;
      } catch (err) {
        r.error = err instanceof Error ? err.message : String(err);
      }
      r.seconds = (performance.now() - t0) / 1000;
      results.push(r);
    }
    process.stdout.write(`${JSON.stringify({ backend: info.name, adapter: info.adapter, results })}\n`, () => process.exit(0));
  } catch (err) {
    process.stdout.write(`${JSON.stringify({ error: err instanceof Error ? err.message : String(err) })}\n`, () => process.exit(1));
  }
}

if (require.main === module) void main();
