/**
 * `tripbench load -qps 0 -c C -n N` through the library (worker_threads, the lean client), as
 * `tripbench run` drives it, reduced to what the rehearsal tests check: codes and sockets, in
 * total and per logical thread.
 */
import { DEFAULT_RUN_OPTIONS } from '../../src/engine/options.js';
import type { HttpThreadStats } from '../../src/http/stats.js';
import { runLoad } from '../../src/load/runLoad.js';
import type { FortioResult } from '../../src/report/fortioResult.js';

export interface ThreadOutcome {
  sockets: number;
  codes: Record<string, number>;
}

export interface TripbenchLoad {
  result: FortioResult;
  /** Status code → timed calls ("-1" = transport failure). */
  codes: Record<string, number>;
  /** fortio's "Sockets used". */
  sockets: number;
  threads: ThreadOutcome[];
}

const QUIET = { write: (): void => undefined };

export async function tripbenchLoad(url: string, c: number, n: number): Promise<TripbenchLoad> {
  const out = await runLoad({ run: { ...DEFAULT_RUN_OPTIONS, threads: c, qps: 0, exactly: n }, http: { url }, log: QUIET });
  const threads = out.engine.threads.map((t) => {
    const s = t.protocol as HttpThreadStats;
    return { sockets: s.sockets, codes: s.retCodes };
  });
  return { result: out.result, codes: out.result.RetCodes, sockets: out.result.SocketCount, threads };
}

export function code(counts: Record<string, number>, status: number): number {
  return counts[String(status)] ?? 0;
}
