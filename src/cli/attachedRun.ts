/**
 * A `load` run attached to the terminal, the same for the HTTP, tcp/udp and gRPC runners: the
 * progress line (every log line goes above it), Ctrl-C as fortio's graceful then forced stop,
 * "Starting at …" when the plan is final, and a run that cannot start (a StartError) as one line
 * and exit 1. The runner gets these as its RunHooks.
 */
import type { LoadConfig } from './loadFlags.js';
import { loadStartLine } from './loadOutput.js';
import { createProgressLine } from './progress.js';
import { installStopSignals } from './signals.js';
import type { RunHooks } from '../load/runHooks.js';
import { ExitCode } from '../shared/exitCodes.js';
import { StartError } from '../shared/errors.js';
import { configureLog } from '../shared/log.js';

const err = (s: string): void => void process.stderr.write(s);

/**
 * `start` runs the load with the hooks; resolves with its outcome, or with the exit code after a
 * StartError has been printed as `${startErrorPrefix}${message}`.
 */
export async function runAttached<T>(
  cfg: Pick<LoadConfig, 'level' | 'loggerJson' | 'labels' | 'runId'>,
  startErrorPrefix: string,
  start: (hooks: RunHooks) => Promise<T>,
): Promise<{ outcome: T } | { exit: number }> {
  const progress = createProgressLine(cfg.level, 0);
  // every line written during the run goes above the progress line, not glued to it
  configureLog({ write: (line) => progress.log(line) });
  const stop = installStopSignals((line) => progress.log(line));
  let outcome: T;
  try {
    outcome = await start({
      labels: cfg.labels,
      runId: cfg.runId,
      signal: stop.graceful,
      forceSignal: stop.forced,
      onStart: (plan, workers) => err(loadStartLine(plan, workers, cfg.level)),
      onProgress: (p) => progress.update({ calls: p.calls, codes: p.codes, elapsedNs: p.elapsedNs }),
      log: { level: cfg.level, json: cfg.loggerJson, write: (line) => progress.log(line) },
      // this thread only draws the progress line meanwhile; the logger above is the engine's log
      inline: true,
    });
  } catch (e) {
    progress.stop();
    stop.dispose();
    if (!(e instanceof StartError)) throw e;
    err(`${startErrorPrefix}${e.message}\n`);
    return { exit: ExitCode.FAILURE };
  }
  progress.stop();
  stop.dispose();
  return { outcome };
}
