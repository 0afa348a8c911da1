/** The engine with the noop runnable as protocol, its log lines collected, for the engine's tests. */
import { DEFAULT_RUN_OPTIONS, type RunOptions } from '../../src/engine/options.js';
import { type EngineSpec, noopRunnableUrl } from '../../src/engine/index.js';
import type { NoopOptions } from '../../src/engine/noopRunnable.js';

export function noopEngineSpec(o: Partial<RunOptions>, noop: NoopOptions, lines: string[] = [], extra: Partial<EngineSpec> = {}): EngineSpec {
  return {
    options: { ...DEFAULT_RUN_OPTIONS, ...o },
    runnableUrl: noopRunnableUrl(),
    runnableOptions: noop,
    targetLabel: 'http://x.test/',
    log: { level: 2, json: false, write: (l) => lines.push(l) },
    ...extra,
  };
}
