/**
 * The live progress line on a terminal: calls done, current qps, codes so far. Shown only when
 * stderr is a TTY, the level is below Warning, and the run has lasted a couple of seconds (short
 * runs would just flicker). cli-progress redraws in place and clears itself before the report.
 */
import cliProgress from 'cli-progress';
import { Level } from '../shared/log.js';

export interface ProgressSample {
  calls: number;
  codes: Record<string, number>;
}

export interface ProgressLine {
  update(p: ProgressSample): void;
  stop(): void;
}

const SHOW_AFTER_MS = 2000;

function codesText(codes: Record<string, number>): string {
  return Object.keys(codes)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => `${k}:${codes[k]}`)
    .join(' ');
}

/** total: planned calls when known (for a bar), else 0. */
export function createProgressLine(level: Level, total: number, stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  if (!stream.isTTY || level >= Level.Warning) return { update: () => {}, stop: () => {} };
  const started = Date.now();
  let bar: cliProgress.SingleBar | undefined;
  let lastCalls = 0;
  let lastAt = started;
  let qps = 0;
  const format =
    total > 0
      ? '{bar} {percentage}% | {value}/{total} calls | {qps} qps | {codes}'
      : '{value} calls | {qps} qps | {codes} | {duration_formatted}';
  return {
    update(p) {
      const now = Date.now();
      if (now - lastAt >= 500) {
        qps = Math.round(((p.calls - lastCalls) * 1000) / (now - lastAt));
        lastCalls = p.calls;
        lastAt = now;
      }
      if (!bar) {
        if (now - started < SHOW_AFTER_MS) return;
        bar = new cliProgress.SingleBar(
          { format, stream, clearOnComplete: true, hideCursor: true, barsize: 24, fps: 5 },
          cliProgress.Presets.shades_classic,
        );
        bar.start(total > 0 ? total : Math.max(p.calls, 1), p.calls, { qps, codes: codesText(p.codes) });
        return;
      }
      if (total <= 0) bar.setTotal(Math.max(p.calls, 1));
      bar.update(p.calls, { qps, codes: codesText(p.codes) });
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}
