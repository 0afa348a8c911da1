/**
 * What every load runner (HTTP, tcp/udp, gRPC) takes besides its protocol's options: the JSON's
 * labels and RunID, and the engine's stop signals and callbacks (EngineSpec's own fields, passed
 * through unchanged).
 */
import type { EngineSpec } from '../engine/index.js';

type HookFields = 'signal' | 'forceSignal' | 'onStart' | 'beforeTimedRun' | 'onProgress' | 'log' | 'inline';

export type RunHooks = Partial<Pick<EngineSpec, HookFields>> & {
  labels?: string;
  runId?: number;
};

/** The hooks the caller set, as EngineSpec fields (exactOptionalPropertyTypes: unset ones are left out). */
export function engineHooks(req: RunHooks): Partial<Pick<EngineSpec, HookFields>> {
  return {
    ...(req.signal ? { signal: req.signal } : {}),
    ...(req.forceSignal ? { forceSignal: req.forceSignal } : {}),
    ...(req.onStart ? { onStart: req.onStart } : {}),
    ...(req.beforeTimedRun ? { beforeTimedRun: req.beforeTimedRun } : {}),
    ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    ...(req.log ? { log: req.log } : {}),
    ...(req.inline ? { inline: true } : {}),
  };
}
