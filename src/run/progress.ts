/** Human progress on stderr: bars on a TTY, one plain line per event otherwise (CI logs); NDJSON on stdout with --json. */
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { EventSink, SweepEvent } from './events';

export interface ProgressOptions {
  quiet: boolean;
  json: boolean;
  tty?: boolean;
}

export function createProgress(opts: ProgressOptions): { sink: EventSink; close(): void } {
  const jsonSink: EventSink = (e) => process.stdout.write(`${JSON.stringify(e)}\n`);
  const human = opts.quiet ? undefined : (opts.tty ?? process.stderr.isTTY) ? barSink() : lineSink();
  return {
    sink: (e) => {
      if (opts.json) jsonSink(e);
      human?.sink(e);
    },
    close: () => human?.close(),
  };
}

function pct(v: number | null): string {
  return v === null ? '-' : `${(100 * v).toFixed(2)}%`;
}

function lineSink(): { sink: EventSink; close(): void } {
  const write = (s: string) => process.stderr.write(`${s}\n`);
  return {
    sink: (e: SweepEvent) => {
      switch (e.type) {
        case 'backend':
          write(e.summary);
          break;
        case 'plan':
          write(`${e.experiment}: ${e.total} runs, ${e.complete} already complete, ${e.todo} to run → ${e.output}`);
          break;
        case 'run_started':
          write(`[${e.index}/${e.total}] start ${e.id}${e.worker ? ` (worker ${e.worker})` : ''}`);
          break;
        case 'epoch':
          write(`  ${e.id} epoch ${e.epoch}/${e.epochs} loss ${e.trainLoss.toFixed(4)} test acc ${pct(e.testAccuracy)}`);
          break;
        case 'run_finished':
          write(`  ${e.status === 'ok' ? 'done' : e.status.toUpperCase()} ${e.id}: best ${pct(e.bestAccuracy)} last ${pct(e.lastAccuracy)} (${e.seconds.toFixed(1)} s)${e.error ? ` — ${e.error.split('\n')[0]}` : ''}`);
          break;
        case 'tables':
          write(`wrote ${e.files.join(', ')}`);
          break;
        case 'done':
          write(`finished in ${e.seconds.toFixed(1)} s: ${e.ok} ok, ${e.failed} failed, ${e.diverged} diverged, ${e.skipped} skipped as complete`);
          break;
      }
    },
    close: () => undefined,
  };
}

function barSink(): { sink: EventSink; close(): void } {
  const multi = new MultiBar(
    { stream: process.stderr, clearOnComplete: true, hideCursor: true, format: '{label} |{bar}| {value}/{total} {info}', barsize: 24 },
    Presets.shades_classic,
  );
  let overall: SingleBar | undefined;
  const perWorker = new Map<number, SingleBar>();
  let finished = 0;
  return {
    sink: (e: SweepEvent) => {
      switch (e.type) {
        case 'backend':
          multi.log(`${e.summary}\n`);
          break;
        case 'plan':
          multi.log(`${e.experiment}: ${e.total} runs, ${e.complete} already complete, ${e.todo} to run → ${e.output}\n`);
          overall = multi.create(e.todo, 0, { label: 'runs    ', info: '' });
          break;
        case 'run_started': {
          let bar = perWorker.get(e.worker);
          if (!bar) {
            bar = multi.create(e.epochs, 0, { label: `epochs  `, info: '' });
            perWorker.set(e.worker, bar);
          }
          bar.start(e.epochs, 0, { label: 'epochs  ', info: e.id });
          break;
        }
        case 'epoch':
          perWorker.get(e.worker)?.update(e.epoch, { info: `${e.id} acc ${pct(e.testAccuracy)}` });
          break;
        case 'run_finished':
          finished += 1;
          overall?.update(finished, { info: '' });
          multi.log(`${e.status === 'ok' ? 'done' : e.status.toUpperCase()} ${e.id}: best ${pct(e.bestAccuracy)} last ${pct(e.lastAccuracy)} (${e.seconds.toFixed(1)} s)\n`);
          break;
        case 'tables':
        case 'done':
          break;
      }
    },
    close: () => multi.stop(),
  };
}
