/**
 * The library form of `tripbench load`: fortio's HTTP runner (fhttp/httprunner.go) as a
 * composition of the pacing engine and the HTTP runnable. Returns data; printing is the CLI's.
 */
import { runEngine } from '../engine/index.js';
import type { EngineResults } from '../engine/results.js';
import type { RunOptions } from '../engine/options.js';
import { makeHttpOptions, type HttpOptions, type HttpOptionsInput, type MadeHttpOptions } from '../http/options.js';
import { resolveTarget } from '../http/resolve.js';
import { reservedCores } from './loadSpec.js';
import { workerResourceLimits } from '../http/httpRunnable.js';
import { mergeHttpStats, type HttpThreadStats } from '../http/stats.js';
import type { FortioResult } from '../report/fortioResult.js';
import { compiledUrl } from '../shared/modulePath.js';
import { StartError, errorMessage } from '../shared/errors.js';
import { buildFortioResult } from './buildResult.js';
import { engineHooks, type RunHooks } from './runHooks.js';
import { applyShard, type Shard } from './shard.js';
import { QpsTimeline } from './qpsTimeline.js';

export interface LoadRequest extends RunHooks {
  run: RunOptions;
  http: HttpOptionsInput;
  /** URL as typed, for messages (fortio prints it without adding the scheme). */
  urlTyped?: string;
  userCredentials?: string;
  shard?: Shard | null;
  /** false: the result carries no HDR histograms (EngineSpec.hdr), for a caller that never reads them. Default true. */
  hdr?: boolean;
}

export interface LoadOutcome {
  result: FortioResult;
  engine: EngineResults;
  http: HttpOptions;
  /** Remarks such as "Assuming http:// on missing scheme", for the caller to log. */
  warnings: string[];
}

export function httpRunnableUrl(): URL {
  return compiledUrl('../http/httpRunnable.js', import.meta.url);
}

/** Prepares HTTP options and checks that the target resolves (fortio exits 1 when it does not). */
export async function prepareHttp(input: HttpOptionsInput): Promise<MadeHttpOptions> {
  return checkTarget(makeHttpOptions(input));
}

/** Checks that the target of options already made (loadOptions) resolves; a StartError when not. */
export async function checkTarget(made: MadeHttpOptions): Promise<MadeHttpOptions> {
  try {
    await resolveTarget(made.options);
  } catch (e) {
    throw e instanceof StartError ? e : new StartError(errorMessage(e), { cause: e });
  }
  return made;
}

export async function runLoad(req: LoadRequest, prepared?: MadeHttpOptions): Promise<LoadOutcome> {
  const { options: http, warnings } = prepared ?? (await prepareHttp(req.http));
  const sharded = applyShard(req.run, req.shard ?? null);
  const run = { ...sharded, reserveCores: reservedCores(sharded, http) };
  const timeline = new QpsTimeline();
  const limits = workerResourceLimits(http);
  const engine = await runEngine({
    options: run,
    runnableUrl: httpRunnableUrl(),
    runnableOptions: http,
    targetLabel: http.url,
    ...(limits ? { workerResourceLimits: limits } : {}),
    ...(req.hdr === false ? { hdr: false } : {}),
    ...engineHooks(req),
    // after the hooks: the caller's onProgress is called from here, beside the QPS timeline
    onProgress: (p) => {
      timeline.add(p);
      req.onProgress?.(p);
    },
  });
  const stats = engine.threads.map((t) => t.protocol as HttpThreadStats);
  const merged = mergeHttpStats(stats, run.offset, run.resolution);
  const result = buildFortioResult(engine, merged, {
    run,
    http,
    labels: req.labels ?? http.url.replace(/^https?:\/\//, ''),
    runId: req.runId ?? 0,
    threadsFlag: req.run.threads,
    userCredentials: req.userCredentials ?? '',
    ...(req.shard ? { shard: `${req.shard.index}/${req.shard.count}` } : {}),
  });
  const qps = timeline.points();
  if (qps.length > 0 && result.Tripbench) result.Tripbench['QpsOverTime'] = qps;
  return { result, engine, http, warnings };
}
