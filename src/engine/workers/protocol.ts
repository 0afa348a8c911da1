/**
 * Messages between runEngine (main thread) and its worker_threads. Everything is plain data
 * (structured clone). Lifecycle: init (workerData) → ready → warmup → start → progress… → done.
 */
import type { RunPlan } from '../schedule.js';
import type { WorkerPart } from '../results.js';

/** Sent as workerData. */
export interface WorkerInit {
  index: number;
  runnableUrl: string;
  runnableOptions: unknown;
  /** Every thread id this worker creates a runnable for (final and warmup-only). */
  threadIds: number[];
  plan: RunPlan;
  abortOn: number;
  progressIntervalMs: number;
  log: { level: number; json: boolean };
  /** EngineSpec.hdr */
  hdr: boolean;
}

export interface WarmupOutcome {
  threadId: number;
  ok: boolean;
  code: number;
  detail?: string | undefined;
  /** Absolute epoch ms when the warmup call ended (orders parallel failures). */
  endEpochMs: number;
  /** Absolute epoch ms when it started. */
  startEpochMs: number;
}

export type MainToWorker =
  /** Warm up all this worker's threads in parallel. */
  | { type: 'warmup' }
  /** Warm up one thread (sequential warmup, driven across workers by main). */
  | { type: 'warmupOne'; threadId: number }
  /** Run the final threads, pacing from this absolute instant (performance.timeOrigin + now()). */
  | { type: 'start'; startEpochMs: number }
  /** Graceful stop: each thread ends after its current call. */
  | { type: 'stop' }
  /** Forced stop: abort in-flight calls. */
  | { type: 'abort' }
  /** Close every runnable without running (warmup failed, or stopped before start). */
  | { type: 'shutdown' };

export type WorkerToMain =
  | { type: 'log'; line: string }
  | { type: 'ready' }
  | { type: 'warmup'; results: WarmupOutcome[] }
  | { type: 'progress'; calls: number; codes: Array<[number, number]> }
  | { type: 'abortOn'; code: number }
  | { type: 'done'; part: WorkerPart }
  | { type: 'closed' }
  | { type: 'fatal'; message: string; stack?: string | undefined };

export type WorkerMessageType = WorkerToMain['type'];
export type WorkerMessage<T extends WorkerMessageType> = Extract<WorkerToMain, { type: T }>;
