/**
 * A step's `load` block as what `runLoad` takes: the YAML keys read as the load knobs of
 * src/load/loadSpec.ts and mapped by the same loadOptions as the `tripbench load` command line
 * that `--dry-run` prints for it (fortio's -c 4, -qps 8, -t 5s, -timeout 3s when unset), so a
 * step and its printed command line send the same load.
 */
import type { RunOptions } from '../engine/options.js';
import type { HttpOptions } from '../http/options.js';
import { loadOptions, loadSpecFromYaml, type LoadSpec as KnobSpec } from '../load/loadSpec.js';
import type { LoadSpec } from './types.js';
import type { GrpcChoice } from '../grpc/options.js';

export interface StepLoadRequest {
  run: RunOptions;
  http: HttpOptions;
  /** The gRPC knobs: `grpc.grpc` makes the step fortio's gRPC load (load/runGrpcLoad.ts). */
  grpc: GrpcChoice;
  /** The HTTP layer's remarks (e.g. "Assuming http://"). */
  warnings: string[];
  /** -qps as written (0 = max), for fortio's first line */
  qpsTyped: number;
}

/** The step's load as load knobs (fortio flag names), as `--dry-run` prints them. */
export function stepLoadSpec(spec: LoadSpec): KnobSpec {
  return loadSpecFromYaml(spec);
}

/** Throws a UsageError when the HTTP layer refuses the load (a header it cannot send). */
export function loadRequestFor(spec: LoadSpec, url: string, opts: { logErrors?: boolean } = {}): StepLoadRequest {
  const knobs = stepLoadSpec(spec);
  if (opts.logErrors !== undefined) knobs['log-errors'] = opts.logErrors;
  const o = loadOptions(knobs, url);
  return { run: o.run, http: o.http, grpc: o.grpc, warnings: o.warnings, qpsTyped: o.run.qps };
}
