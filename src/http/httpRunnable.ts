/**
 * fortio's HTTPRunner.Run for one logical thread: one fetch per call, codes and sizes recorded
 * unless it is a warmup call (warmups still open and count connections, fortio-compat.md §2.3).
 * Loaded by URL inside worker_threads: it depends on nothing set up by the main thread.
 */
import type { ResourceLimits } from 'node:worker_threads';
import type { CallResult, ThreadRunnable } from '../engine/runnable.js';
import { recordValue } from '../stats/fortioHistogram.js';
import type { HttpClient } from './client.js';
import { createClient } from './createClient.js';
import { type HttpOptions, usesLeanClient } from './options.js';
import { isOkCode } from './responseParser.js';
import { type HttpThreadStats, newHttpThreadStats } from './stats.js';

export class HttpRunnable implements ThreadRunnable {
  readonly #client: HttpClient;
  readonly #stats: HttpThreadStats;
  #aborted = false;

  constructor(client: HttpClient, stats: HttpThreadStats) {
    this.#client = client;
    this.#stats = stats;
  }

  async run(warmup: boolean): Promise<CallResult> {
    const r = await this.#client.fetch();
    if (this.#aborted) return { ok: false, code: -1, detail: 'aborted' };
    const code = r.code;
    const ok = isOkCode(code);
    if (!warmup) {
      const s = this.#stats;
      // A number key is the same property as String(code), without making the string per call.
      s.retCodes[code] = (s.retCodes[code] ?? 0) + 1;
      recordValue(s.sizes, r.size);
      recordValue(s.headerSizes, r.headerSize);
      if (code === -1) {
        const kind = r.errorKind ?? 'other';
        s.errorKinds[kind] = (s.errorKinds[kind] ?? 0) + 1;
      }
    }
    if (ok) return { ok, code };
    return { ok, code, detail: code === -1 ? r.errorText : `${r.size} bytes` };
  }

  abort(): void {
    this.#aborted = true;
    this.#client.abort();
  }

  close(): Promise<void> {
    return this.#client.close();
  }

  snapshot(): HttpThreadStats {
    return this.#stats;
  }
}

/**
 * Heap limits for the engine workers that run this runnable. The lean client's per-call garbage
 * (~650 B: promises, the write request, results) all dies young, yet V8 keeps doubling the young
 * generation as a max-qps run goes on: 73 MB of RSS after 5 s, 93 MB after 60 s at c=16. Capped
 * at 6 MB, RSS stays flat with no measurable change in calls/s. undici allocates far more and lost
 * ~15 % of its calls/s with the cap, so it keeps V8's default. The -h2 client (node:http2) takes
 * the cap: 114 -> 89 MB peak RSS in a 5 s c=16 run, calls/s no lower (docs/benchmarks.md).
 */
export function workerResourceLimits(o: HttpOptions): ResourceLimits | undefined {
  return usesLeanClient(o) || o.h2 ? { maxYoungGenerationSizeMb: 6 } : undefined;
}

/** RunnableModule entry point: `options` are the structured-clone copy of the main thread's HttpOptions. */
export async function createRunnable(threadId: number, options: HttpOptions): Promise<HttpRunnable> {
  const stats = newHttpThreadStats(threadId, options.offset, options.resolution);
  const client = await createClient(options, { threadId, stats });
  return new HttpRunnable(client, stats);
}
