/**
 * The adapter probe's child process (src/backends/webgpu.ts): prints one JSON line, `{ok, adapter}` or `{ok, reason}`,
 * and exits. Dawn's warnings go to stderr, which the parent reads.
 */
import { probeHere } from './adapter';

probeHere().then((r) => {
  process.stdout.write(`${JSON.stringify(r)}\n`, () => process.exit(0));
});
