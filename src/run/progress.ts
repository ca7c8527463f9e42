/** Human progress on stderr: bars on a TTY, one plain line per event otherwise (CI logs); NDJSON on stdout with --json. */
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { EventSink, SweepEvent } from '../core/events';

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

function planLine(e: Extract<SweepEvent, { type: 'plan' }>): string {
  const shard = e.shard && e.shard !== '1/1' ? ` (shard ${e.shard} of ${e.planTotal ?? '?'} runs, from ${e.shardSource})` : '';
  const incomplete = e.incomplete ? `, ${e.incomplete} incomplete or corrupt (redone)` : '';
  return `${e.experiment}: ${e.total} runs${shard}, ${e.complete} already complete${incomplete}, ${e.todo} to run → ${e.output}`;
}

function finishedLine(e: Extract<SweepEvent, { type: 'run_finished' }>): string {
  const status = e.status === 'ok' ? 'done' : e.status.toUpperCase();
  const attempt = e.attempt && e.attempt > 1 ? ` attempt ${e.attempt}` : '';
  const retry = e.willRetry ? ' — will retry' : '';
  const err = e.error ? ` — ${e.error.split('\n')[0]}` : '';
  return `${status} ${e.id}${attempt}: best ${pct(e.bestAccuracy)} last ${pct(e.lastAccuracy)} (${e.seconds.toFixed(1)} s)${err}${retry}`;
}

function doneLine(e: Extract<SweepEvent, { type: 'done' }>): string {
  const incomplete = e.incomplete ? `, ${e.incomplete} incomplete` : '';
  return `finished in ${e.seconds.toFixed(1)} s: ${e.ok} ok, ${e.failed} failed, ${e.diverged} diverged, ${e.skipped} skipped as complete${incomplete}`;
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
          write(planLine(e));
          break;
        case 'notice':
          write(e.message);
          break;
        case 'run_started':
          write(`[${e.index}/${e.total}] start ${e.id}${e.worker ? ` (worker ${e.worker})` : ''}${e.attempt && e.attempt > 1 ? ` attempt ${e.attempt}` : ''}`);
          break;
        case 'epoch':
          write(`  ${e.id} epoch ${e.epoch}/${e.epochs} loss ${e.trainLoss.toFixed(4)} test acc ${pct(e.testAccuracy)}`);
          break;
        case 'run_finished':
          write(`  ${finishedLine(e)}`);
          break;
        case 'tables':
          write(`wrote ${e.files.join(', ')}`);
          break;
        case 'done':
          write(doneLine(e));
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
  // ESC[K clears what a longer bar line left on the row a logged line is written over.
  const log = (line: string) => multi.log(`${line}\x1b[K\n`);
  return {
    sink: (e: SweepEvent) => {
      switch (e.type) {
        case 'backend':
          log(`${e.summary}`);
          break;
        case 'plan':
          log(`${planLine(e)}`);
          overall = multi.create(e.todo, 0, { label: 'runs     ', info: '' });
          break;
        case 'notice':
          log(`${e.message}`);
          break;
        case 'run_started': {
          // One bar per worker (worker 0 = this process), showing the epochs of the run it is on.
          const label = e.worker ? `worker ${String(e.worker).padEnd(2)}` : 'epochs   ';
          let bar = perWorker.get(e.worker);
          if (!bar) {
            bar = multi.create(e.epochs, 0, { label, info: e.id });
            perWorker.set(e.worker, bar);
          }
          bar.start(e.epochs, 0, { label, info: e.id });
          break;
        }
        case 'epoch':
          perWorker.get(e.worker)?.update(e.epoch, { info: `${e.id} acc ${pct(e.testAccuracy)}` });
          break;
        case 'run_finished':
          if (!e.willRetry) finished += 1;
          overall?.update(finished, { info: '' });
          log(`${finishedLine(e)}`);
          break;
        case 'tables':
          break;
        case 'done':
          // Logged lines are flushed on the next redraw, which stop() does not do: redraw, stop, then write.
          multi.update();
          multi.stop();
          process.stderr.write(`${doneLine(e)}\n`);
          break;
      }
    },
    close: () => {
      multi.update();
      multi.stop();
    },
  };
}
