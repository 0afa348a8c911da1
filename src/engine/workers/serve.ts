/**
 * Worker side of the engine: builds this worker's runnables from the module URL, runs the
 * warmups main asks for, then its share of the logical threads on one ThreadGroup.
 * Log lines are posted to main (same port as results, so they arrive first and in order).
 * serveWorker() runs in a worker thread (entry.ts) or, for a run of one worker, on main's own
 * thread at the end of a MessageChannel (inline.ts); the messages are the same either way.
 */
import type { MessagePort } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { configureLog, type Level } from '../../shared/log.js';
import { errorMessage } from '../../shared/errors.js';
import { encodeHdr } from '../../stats/hdr.js';
import type { RunnableModule, ThreadRunnable } from '../runnable.js';
import { ThreadGroup } from '../runner.js';
import type { ThreadResult, WorkerPart } from '../results.js';
import type { MainToWorker, WarmupOutcome, WorkerInit, WorkerToMain } from './protocol.js';

/** A close() that hangs after a forced stop must not keep the run from ending. */
const FORCED_CLOSE_MS = 500;

const epochNow = (): number => performance.timeOrigin + performance.now();

/**
 * Serves one worker's share of a run on `port`. `ownLog`: this thread's logger is the worker's
 * own, so it is pointed at main through the port; inline, the thread's logger is main's already.
 */
export function serveWorker(port: MessagePort, init: WorkerInit, ownLog: boolean): void {
  function post(m: WorkerToMain): void {
    port.postMessage(m);
  }

  function fatal(e: unknown): void {
    post({ type: 'fatal', message: errorMessage(e), stack: e instanceof Error ? e.stack : undefined });
  }

  if (ownLog) configureLog({ level: init.log.level as Level, json: init.log.json, write: (line) => post({ type: 'log', line }) });

  const runnables = new Map<number, ThreadRunnable>();
  let group: ThreadGroup | undefined;
  let abortRequested = false;
  let closed = false;

  async function warmupOne(id: number): Promise<WarmupOutcome> {
    const r = runnables.get(id);
    if (!r) throw new Error(`worker ${init.index} has no thread ${id}`);
    const startEpochMs = epochNow();
    const res = await r.run(true);
    return { threadId: id, ok: res.ok, code: res.code, detail: res.detail, startEpochMs, endEpochMs: epochNow() };
  }

  async function closeAll(ids: Iterable<number>, forced: boolean): Promise<Map<number, unknown>> {
    const snaps = new Map<number, unknown>();
    await Promise.all(
      [...ids].map(async (id) => {
        const r = runnables.get(id);
        if (!r) return;
        const closing = r.close();
        if (forced) {
          await Promise.race([closing, new Promise((res) => setTimeout(res, FORCED_CLOSE_MS).unref())]);
        } else {
          await closing;
        }
        snaps.set(id, r.snapshot());
      }),
    );
    return snaps;
  }

  async function start(startEpochMs: number): Promise<void> {
    const { plan } = init;
    const finalIds = init.threadIds.filter((id) => id < plan.threads);
    const warmupOnly = init.threadIds.filter((id) => id >= plan.threads);
    // Threads dropped by fortio's lowering only served the warmup; their stats are counted nowhere.
    const closingExtra = closeAll(warmupOnly, false);
    const g = new ThreadGroup(
      {
        plan,
        abortOn: init.abortOn,
        startMs: startEpochMs - performance.timeOrigin,
        onAbortOn: (code) => post({ type: 'abortOn', code }),
        hdr: init.hdr,
      },
      finalIds.map((id) => ({ id, runnable: runnables.get(id) as ThreadRunnable })),
    );
    group = g;
    if (abortRequested) g.abort();
    const progress = setInterval(() => post({ type: 'progress', calls: g.calls, codes: g.codeCounts() }), init.progressIntervalMs);
    try {
      await g.run();
    } finally {
      clearInterval(progress);
    }
    post({ type: 'progress', calls: g.calls, codes: g.codeCounts() });
    const snaps = await closeAll(finalIds, g.forced);
    await closingExtra;
    closed = true;
    const threads: ThreadResult[] = g.threadResults().map((t) => ({ ...t, protocol: snaps.get(t.id) }));
    const part: WorkerPart = {
      index: init.index,
      threads,
      duration: g.duration,
      errors: g.errors,
      sleep: g.sleep,
      durationHdr: g.durationHdr === undefined ? undefined : encodeHdr(g.durationHdr),
      errorsHdr: g.errorsHdr === undefined ? undefined : encodeHdr(g.errorsHdr),
      codes: g.codeCounts(),
      endEpochMs: g.endMs + performance.timeOrigin,
    };
    post({ type: 'done', part });
  }

  function onMessage(m: MainToWorker): void {
    switch (m.type) {
      case 'warmup':
        Promise.all(init.threadIds.map((id) => warmupOne(id)))
          .then((results) => post({ type: 'warmup', results }))
          .catch(fatal);
        break;
      case 'warmupOne':
        warmupOne(m.threadId)
          .then((r) => post({ type: 'warmup', results: [r] }))
          .catch(fatal);
        break;
      case 'start':
        start(m.startEpochMs).catch(fatal);
        break;
      case 'stop':
        group?.stop();
        break;
      case 'abort':
        abortRequested = true;
        if (group) group.abort();
        else for (const r of runnables.values()) r.abort();
        break;
      case 'shutdown':
        if (closed) break;
        closed = true;
        closeAll(runnables.keys(), abortRequested)
          .then(() => post({ type: 'closed' }))
          .catch(fatal);
        break;
    }
  }

  async function main(): Promise<void> {
    const mod = (await import(init.runnableUrl)) as Partial<RunnableModule>;
    if (typeof mod.createRunnable !== 'function') {
      throw new Error(`${init.runnableUrl} does not export createRunnable()`);
    }
    for (const id of init.threadIds) runnables.set(id, await mod.createRunnable(id, init.runnableOptions));
    port.on('message', onMessage);
    post({ type: 'ready' });
  }

  main().catch(fatal);
}
