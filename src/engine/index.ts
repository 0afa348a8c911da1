/**
 * The pacing engine's public surface. runEngine lives in workers/pool.ts; this module only
 * re-exports, so importing it has no side effects.
 */
import { compiledUrl } from '../shared/modulePath.js';

export { runEngine, warmupAbortMessage, workerCount, type EngineProgress, type EngineSpec } from './workers/pool.js';
export type { EngineResults, StopReason, ThreadResult, WorkerSummary } from './results.js';
export {
  buildPlan,
  finalRequestedDuration,
  jitterNs,
  nextCallIndex,
  normalizeThreads,
  stopForDuration,
  targetOffsetNs,
  uniformDelayNs,
  type RunMode,
  type RunPlan,
} from './schedule.js';
export type { RunOptions } from './options.js';
export { DEFAULT_RUN_OPTIONS } from './options.js';
export type { CallResult, RunnableModule, ThreadRunnable } from './runnable.js';
export type { NoopOptions, NoopSnapshot } from './noopRunnable.js';

/** URL of the fake runnable module (compiled JS, loadable by workers). */
export function noopRunnableUrl(): URL {
  return compiledUrl('./noopRunnable.js', import.meta.url);
}
