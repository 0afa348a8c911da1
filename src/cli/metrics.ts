/**
 * `tripbench run --prometheus FILE --pushgateway URL`: the metrics side of a scheduled check.
 * Lives in cli/ because it writes a file and talks to the network; the exposition itself is
 * src/metrics/prometheus.ts. The textfile is written to a temporary name and renamed, so
 * node_exporter's textfile collector (which reads only `*.prom`) never sees half a file.
 */
import { writeFileAtomic } from '../shared/atomicWrite.js';
import { errorMessage } from '../shared/errors.js';
import { renderPrometheus } from '../metrics/prometheus.js';
import { pushMetrics, pushUrl } from '../metrics/pushgateway.js';
import type { ScenarioResult } from '../scenario/results.js';
import type { InconclusiveAs } from '../scenario/verdict.js';

export interface MetricsOptions {
  /** textfile-collector file, e.g. /metrics/tripbench.prom */
  prometheusFile?: string;
  /** Pushgateway base URL */
  pushgateway?: string;
  /** grouping key job (default "tripbench") */
  job?: string;
  /** grouping key instance (default: none, one group for every run of the job) */
  instance?: string;
  inconclusiveAs?: InconclusiveAs;
}

export interface MetricsWritten {
  prometheusFile?: string;
  /** the URL pushed to */
  pushed?: string;
}

export const DEFAULT_PUSH_JOB = 'tripbench';

/**
 * Writes and/or pushes the metrics of a run. Both targets are tried; if either fails this throws
 * one Error whose message names every failure (one line each), after doing what it could.
 */
export async function writeMetrics(results: ScenarioResult[], opts: MetricsOptions): Promise<MetricsWritten> {
  const text = renderPrometheus(results, opts.inconclusiveAs ? { inconclusiveAs: opts.inconclusiveAs } : {});
  const done: MetricsWritten = {};
  const failures: string[] = [];
  if (opts.prometheusFile) {
    try {
      await writeFileAtomic(opts.prometheusFile, text);
      done.prometheusFile = opts.prometheusFile;
    } catch (e) {
      failures.push(`cannot write ${opts.prometheusFile}: ${errorMessage(e)}`);
    }
  }
  if (opts.pushgateway) {
    const target = { url: opts.pushgateway, job: opts.job ?? DEFAULT_PUSH_JOB, ...(opts.instance !== undefined ? { instance: opts.instance } : {}) };
    try {
      await pushMetrics(text, target);
      done.pushed = pushUrl(target);
    } catch (e) {
      failures.push(errorMessage(e));
    }
  }
  if (failures.length > 0) throw new Error(failures.join('\n'));
  return done;
}
