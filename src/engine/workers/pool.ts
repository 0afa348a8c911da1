/**
 * Main side of the engine: spreads fortio's logical threads over worker_threads, drives the
 * warmup, starts every worker from one shared instant, relays their log lines, and merges
 * their results exactly. runEngine() is the engine's public entry point.
 */
import type { ResourceLimits, Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { StartError } from '../../shared/errors.js';
import { Level, formatLogLine, getLevel } from '../../shared/log.js';
import { compiledUrl } from '../../shared/modulePath.js';
import { newFortioHistogram } from '../../stats/fortioHistogram.js';
import type { RunOptions } from '../options.js';
import { type RunPlan, buildPlan, finalRequestedDuration } from '../schedule.js';
import { SLEEP_SHAPE } from '../../stats/fortioShapes.js';
import { formatRfc3339Nano } from '../../shared/goFormat.js';
import { waitUntil } from '../startAt.js';
import { type EngineResults, type RunHistograms, type StopReason, type WorkerPart, mergeWorkerParts } from '../results.js';
import { InlineWorker } from './inline.js';
import type { MainToWorker, WarmupOutcome, WorkerInit, WorkerMessage, WorkerMessageType, WorkerToMain } from './protocol.js';
import { pushAll } from '../../shared/arrays.js';

export interface EngineProgress {
  /** Timed calls so far, all workers. */
  calls: number;
  codes: Record<string, number>;
  /** Since the start of the timed run. */
  elapsedNs: number;
}

export interface EngineSpec {
  options: RunOptions;
  /** Module exporting createRunnable (RunnableModule); must be loadable as JS by a worker. */
  runnableUrl: string | URL;
  /** Structured-clone-safe options handed to createRunnable(threadId, options). */
  runnableOptions?: unknown;
  /** What the warmup abort message names (fortio prints the URL). */
  targetLabel: string;
  /** Graceful stop: threads end after their current call, results are complete. */
  signal?: AbortSignal;
  /** Forced stop: in-flight calls are aborted and discarded. */
  forceSignal?: AbortSignal;
  /** After warmup and the plan warnings, just before the timed run (the `Starting at …` line), with the workers started. */
  onStart?: (plan: RunPlan, workers: number) => void;
  /**
   * Awaited once every warmup call has returned (or at once without warmup), before the timed
   * run: a caller that reads counters outside the engine (a system under test's) reads them
   * here, so they cover the timed calls only, as the results do. Skipped after a stop request;
   * a rejection fails the run.
   */
  beforeTimedRun?: () => Promise<void>;
  /** Aggregated progress, on each worker report (about every progressIntervalMs per worker). */
  onProgress?: (p: EngineProgress) => void;
  progressIntervalMs?: number;
  /**
   * Engine log lines (workers' and the plan warnings): level and shape, and where main writes
   * them. Defaults mirror src/shared/log.ts: current level, JSON unless stderr is a TTY, stderr.
   */
  log?: { level?: Level; json?: boolean; write?: (line: string) => void };
  /** V8 heap limits of each worker, as the runnable needs them (node's Worker resourceLimits). */
  workerResourceLimits?: ResourceLimits;
  /**
   * A run of one worker serves it on this thread (inline.ts): for a caller whose thread is idle
   * during the run. Its threads' log lines then go through this thread's logger (shared/log.ts),
   * which must be what `log` describes.
   */
  inline?: boolean;
  /**
   * false: the threads record no HDR histograms and the results carry none (durationHdr and
   * errorsHdr absent), for a caller that never reads them (`tripbench load` writing no JSON):
   * hdr-histogram-js is then not even loaded. Default true.
   */
  hdr?: boolean;
  /**
   * Threads that must share one worker, in consecutive groups of this size (default 1): gRPC's
   * `-s` streams of one connection are threads on one channel, and a channel lives in one worker.
   */
  threadGroup?: number;
  /** The warmup abort text for the first failed warmup call (default warmupAbortMessage): gRPC's names the call's error alone. */
  warmupAbortText?: (code: number, detail: string | undefined) => string;
}

/**
 * Workers for a run: -workers when set, else one per core, never more than the threads. The
 * caller reserves a core when the target shares this machine (a loopback server, the in-process
 * Envoy emulator of `tripbench run`): on 2 idle cores against a local nginx, c=16 made 1.4x the
 * calls/s with 1 worker as with 2, which starved nginx (docs/benchmarks.md).
 */
export function workerCount(requested: number, threads: number, cores: number = availableParallelism(), reserveCores = 0): number {
  const wanted = requested > 0 ? requested : cores - reserveCores;
  return Math.max(1, Math.min(wanted, threads));
}

/** After a forced stop, workers that have not reported by then are terminated and left out. */
const FORCED_DONE_MS = 3000;

/** fortio's current warmup failure text: `Aborting because of error 503 for URL (132 bytes)`. */
export function warmupAbortMessage(code: number, targetLabel: string, detail: string | undefined): string {
  return `Aborting because of error ${code} for ${targetLabel}${detail ? ` (${detail})` : ''}`;
}

class WorkerHandle {
  readonly worker: Worker | InlineWorker;
  private readonly buffered = new Map<WorkerMessageType, WorkerToMain[]>();
  private readonly waiting = new Map<WorkerMessageType, Array<(m: WorkerToMain) => void>>();
  exited = false;

  constructor(
    readonly index: number,
    init: WorkerInit,
    onMessage: (h: WorkerHandle, m: WorkerToMain) => boolean,
    onFailure: (e: Error) => void,
    resourceLimits: ResourceLimits | undefined,
    /** undefined: served inline, on this thread */
    WorkerThread: typeof Worker | undefined,
  ) {
    this.worker = WorkerThread === undefined
      ? new InlineWorker(init, resourceLimits)
      : new WorkerThread(compiledUrl('./entry.js', import.meta.url), { workerData: init, ...(resourceLimits ? { resourceLimits } : {}) });
    this.worker.on('message', (m: WorkerToMain) => {
      if (onMessage(this, m)) return;
      const w = this.waiting.get(m.type);
      const next = w?.shift();
      if (next) next(m);
      else {
        const b = this.buffered.get(m.type) ?? [];
        b.push(m);
        this.buffered.set(m.type, b);
      }
    });
    this.worker.on('error', (e) => onFailure(new Error(`engine worker ${index} crashed: ${e.message}`, { cause: e })));
    this.worker.on('exit', (code) => {
      this.exited = true;
      onFailure(new Error(`engine worker ${index} exited unexpectedly with code ${code}`));
    });
  }

  send(m: MainToWorker): void {
    if (!this.exited) this.worker.postMessage(m);
  }

  expect<T extends WorkerMessageType>(type: T): Promise<WorkerMessage<T>> {
    const b = this.buffered.get(type);
    const m = b?.shift();
    if (m) return Promise.resolve(m as WorkerMessage<T>);
    return new Promise((resolve) => {
      const w = this.waiting.get(type) ?? [];
      w.push(resolve as (m: WorkerToMain) => void);
      this.waiting.set(type, w);
    });
  }
}

function emptyResults(plan: RunPlan, workersStarted: number, startEpochMs: number, warmupCalls: number, reason: StopReason): EngineResults {
  const { endEpochMs: _none, ...merged } = mergeWorkerParts([], baseHistograms(plan));
  return {
    plan,
    startTime: formatRfc3339Nano(startEpochMs),
    startEpochMs,
    actualDurationNs: 0,
    ...merged,
    workersStarted,
    interrupted: true,
    stopReason: reason,
    abortedOn: null,
    warmupCalls,
    requestedDuration: finalRequestedDuration(plan, 0),
  };
}

function baseHistograms(plan: RunPlan): RunHistograms {
  return {
    duration: newFortioHistogram(plan.offset, plan.resolution),
    errors: newFortioHistogram(plan.offset, plan.resolution),
    sleep: newFortioHistogram(SLEEP_SHAPE.offset, SLEEP_SHAPE.divider),
  };
}

/** Picks the warmup failure fortio would report: the first in thread order (sequential) or in time (parallel). */
function firstFailure(results: readonly WarmupOutcome[], sequential: boolean): WarmupOutcome | undefined {
  const bad = results.filter((r) => !r.ok);
  if (sequential) return bad.sort((a, b) => a.threadId - b.threadId)[0];
  return bad.sort((a, b) => a.endEpochMs - b.endEpochMs)[0];
}

/**
 * Runs one load test: plan → workers → warmup → timed run → merged results. Rejects with a
 * StartError when a warmup call fails (unless allowInitialErrors), or with an Error naming the
 * worker when one crashes or a runnable throws.
 */
export async function runEngine(spec: EngineSpec): Promise<EngineResults> {
  const { options } = spec;
  const plan = buildPlan(options);
  const created = plan.warmup ? Math.max(plan.warmupThreads, plan.threads) : plan.threads;
  const group = Math.max(1, Math.trunc(spec.threadGroup ?? 1));
  const numWorkers = Math.min(workerCount(options.workers, plan.threads, availableParallelism(), options.reserveCores ?? 0), Math.ceil(plan.threads / group));
  const workerOf = (id: number): number => Math.floor(id / group) % numWorkers;
  const write = spec.log?.write ?? ((line: string) => void process.stderr.write(line));
  const logLevel = spec.log?.level ?? getLevel();
  const logJson = spec.log?.json ?? !process.stderr.isTTY;
  const progressIntervalMs = spec.progressIntervalMs ?? 250;
  // node:worker_threads is imported only when threads are started: an inline run never loads it.
  const WorkerThread = spec.inline === true && numWorkers === 1 ? undefined : (await import('node:worker_threads')).Worker;

  let finished = false;
  let rejectFailure: (e: Error) => void = () => undefined;
  const failure = new Promise<never>((_, reject) => {
    rejectFailure = reject;
  });
  failure.catch(() => undefined);
  let failed = false;
  const onFailure = (e: Error): void => {
    if (failed || finished) return;
    failed = true;
    rejectFailure(e);
  };

  let startEpochMs = Number.NaN;
  let abortedOn: number | null = null;
  const progress = new Map<number, { calls: number; codes: Array<[number, number]> }>();
  const handles: WorkerHandle[] = [];

  const broadcast = (m: MainToWorker): void => {
    for (const h of handles) h.send(m);
  };
  const onMessage = (h: WorkerHandle, m: WorkerToMain): boolean => {
    switch (m.type) {
      case 'log':
        write(m.line);
        return true;
      case 'fatal':
        onFailure(new Error(`engine worker ${h.index}: ${m.message}`));
        return true;
      case 'abortOn':
        if (abortedOn === null) {
          abortedOn = m.code;
          broadcast({ type: 'stop' });
        }
        return true;
      case 'progress':
        progress.set(h.index, { calls: m.calls, codes: m.codes });
        if (spec.onProgress && !Number.isNaN(startEpochMs)) spec.onProgress(aggregateProgress());
        return true;
      default:
        return false;
    }
  };
  const aggregateProgress = (): EngineProgress => {
    let calls = 0;
    const codes = new Map<number, number>();
    for (const p of progress.values()) {
      calls += p.calls;
      for (const [c, n] of p.codes) codes.set(c, (codes.get(c) ?? 0) + n);
    }
    const rec: Record<string, number> = {};
    for (const c of [...codes.keys()].sort((a, b) => a - b)) rec[String(c)] = codes.get(c) as number;
    const elapsedNs = Math.round((performance.timeOrigin + performance.now() - startEpochMs) * 1e6);
    return { calls, codes: rec, elapsedNs };
  };
  const race = <T>(p: Promise<T>): Promise<T> => Promise.race([p, failure]);

  let stopRequested = spec.signal?.aborted ?? false;
  let forceRequested = spec.forceSignal?.aborted ?? false;
  let rejectForced: (e: Error) => void = () => undefined;
  const forcedGate = new Promise<never>((_, reject) => {
    rejectForced = reject;
  });
  forcedGate.catch(() => undefined);
  const onStop = (): void => {
    stopRequested = true;
    broadcast({ type: 'stop' });
  };
  const onForce = (): void => {
    forceRequested = true;
    stopRequested = true;
    broadcast({ type: 'abort' });
    rejectForced(new Error('forced stop'));
  };
  spec.signal?.addEventListener('abort', onStop);
  spec.forceSignal?.addEventListener('abort', onForce);

  try {
    for (let w = 0; w < numWorkers; w++) {
      const threadIds: number[] = [];
      for (let id = 0; id < created; id++) if (workerOf(id) === w) threadIds.push(id);
      const init: WorkerInit = {
        index: w,
        runnableUrl: String(spec.runnableUrl),
        runnableOptions: spec.runnableOptions,
        threadIds,
        plan,
        abortOn: options.abortOn,
        progressIntervalMs,
        log: { level: logLevel, json: logJson },
        hdr: spec.hdr !== false,
      };
      handles.push(new WorkerHandle(w, init, onMessage, onFailure, spec.workerResourceLimits, WorkerThread));
    }
    await race(Promise.all(handles.map((h) => h.expect('ready'))));

    let warmupCalls = 0;
    if (plan.warmup && !forceRequested) {
      const results: WarmupOutcome[] = [];
      const beforeForce = <T>(p: Promise<T>): Promise<T> => Promise.race([race(p), forcedGate]);
      try {
        if (options.sequentialWarmup) {
          for (let id = 0; id < created; id++) {
            const h = handles[workerOf(id)] as WorkerHandle;
            h.send({ type: 'warmupOne', threadId: id });
            const m = await beforeForce(h.expect('warmup'));
            pushAll(results, m.results);
            if (!options.allowInitialErrors && m.results.some((r) => !r.ok)) break;
          }
        } else {
          broadcast({ type: 'warmup' });
          const all = await beforeForce(Promise.all(handles.map((h) => h.expect('warmup'))));
          for (const m of all) pushAll(results, m.results);
        }
      } catch (e) {
        if (!forceRequested) throw e;
      }
      warmupCalls = results.length;
      // aborted warmups after a forced stop are not target failures
      const bad = options.allowInitialErrors || forceRequested ? undefined : firstFailure(results, options.sequentialWarmup);
      if (bad) {
        broadcast({ type: 'shutdown' });
        await race(Promise.all(handles.map((h) => h.expect('closed'))));
        throw new StartError(spec.warmupAbortText ? spec.warmupAbortText(bad.code, bad.detail) : warmupAbortMessage(bad.code, spec.targetLabel, bad.detail));
      }
    }
    if (spec.beforeTimedRun && !stopRequested) {
      try {
        await Promise.race([race(spec.beforeTimedRun()), forcedGate]);
      } catch (e) {
        if (!forceRequested) throw e;
      }
    }
    if (options.startAtMs !== undefined && !stopRequested) {
      const aheadMs = options.startAtMs - (performance.timeOrigin + performance.now());
      if (aheadMs > 0 && logLevel <= Level.Info) {
        write(formatLogLine(Level.Info, `waiting until start-at ${formatRfc3339Nano(options.startAtMs)} (${(aheadMs / 1000).toFixed(3)}s from now)`, undefined, logJson, new Date()));
      }
      const lateMs = await Promise.race([race(waitUntil(options.startAtMs, () => stopRequested)), forcedGate.catch(() => 0)]);
      if (lateMs > 0 && logLevel <= Level.Warning) {
        const at = formatRfc3339Nano(options.startAtMs);
        write(formatLogLine(Level.Warning, `start-at ${at} had passed ${(lateMs / 1000).toFixed(3)}s before this run was ready: starting now (a merge reports the start skew)`, undefined, logJson, new Date()));
      }
    }
    if (stopRequested) {
      // fortio: "Run requested to stop before even starting"
      if (!forceRequested) {
        broadcast({ type: 'shutdown' });
        await race(Promise.all(handles.map((h) => h.expect('closed'))));
      }
      return emptyResults(plan, handles.length, performance.timeOrigin + performance.now(), warmupCalls, forceRequested ? 'forced' : 'stopped');
    }

    // same sink and shape as the workers' lines, so one writer sees the whole run in order
    if (logLevel <= Level.Warning) for (const w of plan.warnings) write(formatLogLine(Level.Warning, w, undefined, logJson, new Date()));
    spec.onStart?.(plan, handles.length);
    startEpochMs = performance.timeOrigin + performance.now();
    broadcast({ type: 'start', startEpochMs });

    const parts: WorkerPart[] = [];
    const collect = handles.map((h) => race(h.expect('done')).then((m) => void parts.push(m.part)));
    const all = Promise.all(collect);
    // A forced stop must return promptly even if a worker is wedged: bound the wait.
    await Promise.race([all, forcedGate.catch(() => new Promise<void>((resolve) => setTimeout(resolve, FORCED_DONE_MS).unref()))]);
    const { endEpochMs: lastEnd, ...merged } = mergeWorkerParts(parts, baseHistograms(plan));
    const calls = merged.duration.counter.count;
    const reason: StopReason = forceRequested ? 'forced' : abortedOn !== null ? 'abort-on' : stopRequested ? 'stopped' : 'completed';
    const endEpochMs = Number.isNaN(lastEnd) ? performance.timeOrigin + performance.now() : lastEnd;
    return {
      plan,
      startTime: formatRfc3339Nano(startEpochMs),
      startEpochMs,
      actualDurationNs: Math.max(0, Math.round((endEpochMs - startEpochMs) * 1e6)),
      ...merged,
      workersStarted: handles.length,
      interrupted: reason !== 'completed',
      stopReason: reason,
      abortedOn,
      warmupCalls,
      requestedDuration: finalRequestedDuration(plan, calls),
    };
  } finally {
    finished = true;
    spec.signal?.removeEventListener('abort', onStop);
    spec.forceSignal?.removeEventListener('abort', onForce);
    await Promise.all(handles.map((h) => h.worker.terminate().catch(() => 0)));
  }
}
