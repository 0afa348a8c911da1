/**
 * The live progress line on a terminal: calls done, current qps, codes so far, time since the
 * timed run started. Shown only when stderr is a TTY, the level is below Warning, and the run has
 * lasted a couple of seconds (short runs would just flicker). cli-progress redraws in place and
 * clears itself before the report.
 *
 * Log lines written while the line is shown (the per-thread "ended after" lines, non-OK warnings,
 * "Received SIGINT") must go through log(): written straight to the terminal they would be glued
 * to the end of the bar, and the bar's cursor save/restore would then print the report over
 * them. MultiBar.log() clears the bar's line, prints the log lines and redraws the bar below.
 */
import { createRequire } from 'node:module';
import type cliProgressTypes from 'cli-progress';
import { Level } from '../shared/log.js';
import { formatDuration } from '../shared/goFormat.js';

export interface ProgressSample {
  calls: number;
  codes: Record<string, number>;
  /** Since the start of the timed run (the warmup is not counted), when known. */
  elapsedNs?: number;
}

export interface ProgressLine {
  update(p: ProgressSample): void;
  /** Writes one log line (ending in \n) above the progress line, or straight through when none is shown. */
  log(line: string): void;
  stop(): void;
}

const SHOW_AFTER_MS = 2000;

// cli-progress and its dependencies cost ~35 ms of CPU to load: only a run that shows the line
// (a terminal, two seconds in) loads it (docs/benchmarks.md).
const require = createRequire(import.meta.url);
let cliProgress: typeof cliProgressTypes | null = null;
function loadCliProgress(): typeof cliProgressTypes {
  cliProgress ??= require('cli-progress') as typeof cliProgressTypes;
  return cliProgress;
}

function codesText(codes: Record<string, number>): string {
  return Object.keys(codes)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => `${k}:${codes[k]}`)
    .join(' ');
}

/** Whole seconds, Go style (`59s`, `1m5s`): the line is redrawn a few times a second. */
function elapsedText(ns: number | undefined, fallbackMs: number): string {
  const whole = ns !== undefined && ns >= 0 ? Math.floor(ns / 1e9) : Math.floor(fallbackMs / 1000);
  return formatDuration(whole * 1e9);
}

/** total: planned calls when known (for a bar), else 0. */
export function createProgressLine(level: Level, total: number, stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  const passThrough = (line: string): void => void stream.write(line);
  if (!stream.isTTY || level >= Level.Warning) return { update: () => {}, log: passThrough, stop: () => {} };
  const started = Date.now();
  let multi: cliProgressTypes.MultiBar | undefined;
  let bar: cliProgressTypes.SingleBar | undefined;
  let lastCalls = 0;
  let lastAt = started;
  let qps = 0;
  const format =
    total > 0
      ? '{bar} {percentage}% | {value}/{total} calls | {qps} qps | {codes} | {elapsed}'
      : '{value} calls | {qps} qps | {codes} | {elapsed}';
  return {
    update(p) {
      const now = Date.now();
      if (now - lastAt >= 500) {
        qps = Math.round(((p.calls - lastCalls) * 1000) / (now - lastAt));
        lastCalls = p.calls;
        lastAt = now;
      }
      const payload = { qps, codes: codesText(p.codes), elapsed: elapsedText(p.elapsedNs, now - started) };
      if (!multi) {
        if (now - started < SHOW_AFTER_MS) return;
        // linewrap: true keeps the terminal's autowrap on, so long log lines printed above the
        // bar still wrap; the bar itself is cut to the terminal width by cli-progress.
        const cp = loadCliProgress();
        multi = new cp.MultiBar(
          { format, stream, clearOnComplete: true, hideCursor: true, linewrap: true, barsize: 24, fps: 5 },
          cp.Presets.shades_classic,
        );
        bar = multi.create(total > 0 ? total : Math.max(p.calls, 1), p.calls, payload);
        return;
      }
      if (total <= 0) bar?.setTotal(Math.max(p.calls, 1));
      bar?.update(p.calls, payload);
    },
    log(line) {
      if (!multi) return passThrough(line);
      multi.log(line.endsWith('\n') ? line : `${line}\n`);
    },
    stop() {
      if (!multi) return;
      // flush log lines still buffered, then clear the bar so the report starts on a clean line
      multi.update();
      multi.stop();
      multi = undefined;
      bar = undefined;
    },
  };
}
