/**
 * A step's `load` block as what `runLoad` takes: the same defaults and rules as the
 * `tripbench load` command line that `--dry-run` prints for it (fortio's -c 4, -qps 8, -t 5s,
 * -timeout 3s when unset), so a step and its printed command line send the same load.
 */
import { DEFAULT_RUN_OPTIONS, type RunOptions } from '../engine/options.js';
import { parseConnectionReuse, type HttpOptionsInput } from '../http/options.js';
import type { LoadSpec } from './types.js';

export interface StepLoadRequest {
  run: RunOptions;
  http: HttpOptionsInput;
  /** -qps as written (0 = max), for fortio's first line */
  qpsTyped: number;
}

export function loadRequestFor(spec: LoadSpec, url: string, opts: { logErrors?: boolean } = {}): StepLoadRequest {
  const d = DEFAULT_RUN_OPTIONS;
  const run: RunOptions = {
    ...d,
    threads: spec.c ?? d.threads,
    qps: spec.qps ?? d.qps,
    exactly: spec.n ?? d.exactly,
    durationNs: spec.t ?? d.durationNs,
    uniform: spec.uniform ?? d.uniform,
    jitter: spec.jitter ?? d.jitter,
    noCatchUp: spec.nocatchup ?? d.noCatchUp,
    abortOn: spec.abortOn ?? d.abortOn,
    allowInitialErrors: spec.allowInitialErrors ?? d.allowInitialErrors,
    resolution: spec.resolution !== undefined && spec.resolution > 0 ? spec.resolution : d.resolution,
    percentiles: spec.percentiles ? [...spec.percentiles] : [...d.percentiles],
    workers: spec.workers ?? d.workers,
  };
  // Unset fields stay undefined: makeHttpOptions applies the same defaults as for the command line.
  const http: HttpOptionsInput = {
    url,
    headers: spec.headers,
    payload: spec.payload,
    contentType: spec.contentType,
    keepAlive: spec.keepalive,
    http10: spec.http10,
    h2: spec.h2,
    stdClient: spec.stdclient,
    insecure: spec.insecure,
    logErrors: opts.logErrors,
    connectionReuse: spec.connectionReuse !== undefined ? parseConnectionReuse(spec.connectionReuse) : undefined,
    resolution: run.resolution,
    offset: run.offset,
    method: spec.method?.toUpperCase(),
    timeoutMs: spec.timeout !== undefined ? spec.timeout / 1e6 : undefined,
  };
  return { run, http, qpsTyped: run.qps };
}
