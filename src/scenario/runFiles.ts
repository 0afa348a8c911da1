/**
 * Several scenario files in one `tripbench run`: load and check all of them before anything runs
 * (so a bad file is exit 2 with nothing loaded), then run them with at most `parallel` at once.
 * The default is one at a time: scenarios usually load the same target and would skew each other.
 */
import pLimit from 'p-limit';
import { collectMesh } from '../istio/resources.js';
import { UsageError } from '../shared/errors.js';
import type { MeshCheck } from './checks.js';
import { ONE_CLUSTER, rehearsalConfig } from './rehearsalRig.js';
import { runScenario, type RunScenarioOptions, type ScenarioRun } from './run.js';
import { loadScenarioFiles } from './schema.js';
import type { Scenario } from './types.js';

/**
 * The rehearsal's own loader, so a typo inside a DestinationRule is reported at its line in the
 * scenario file; a local rehearsal also refuses what the one-cluster emulator cannot model.
 */
export function meshCheck(local: boolean): MeshCheck {
  return (items) => collectMesh(items, local ? { oneCluster: ONE_CLUSTER } : {}).problems;
}

/** The checks of a run in a cluster (`--target`): each resource, any number of them. */
export const MESH_CHECKS: MeshCheck = meshCheck(false);

export interface Selected {
  scenario: Scenario;
  /** the `--only` names this scenario has (empty = every step) */
  only: string[];
}

export interface SelectOptions {
  only?: readonly string[];
  /** a local rehearsal will run them: check now that the emulator can model every mesh */
  local?: boolean;
}

/**
 * Loads FILE|DIR arguments. `--only` names must each exist in some scenario; a scenario with
 * none of them is left out of the run.
 */
export async function loadRunFiles(paths: readonly string[], opts: SelectOptions = {}): Promise<{ selected: Selected[]; skipped: Scenario[] }> {
  if (paths.length === 0) throw new UsageError('run: give at least one scenario FILE or DIR');
  const scenarios = await loadScenarioFiles(paths, { meshChecks: meshCheck(opts.local ?? false) });
  const only = opts.only ?? [];
  const names = new Set(scenarios.flatMap((s) => s.steps.map((st) => st.name)));
  const unknown = only.filter((o) => !names.has(o));
  if (unknown.length > 0) {
    const all = scenarios.map((s) => `${s.file}: ${s.steps.map((st) => st.name).join(', ')}`).join('; ');
    throw new UsageError(`--only ${unknown.join(', ')}: no such step (steps: ${all})`);
  }
  const selected: Selected[] = [];
  const skipped: Scenario[] = [];
  for (const s of scenarios) {
    const mine = only.filter((o) => s.steps.some((st) => st.name === o));
    if (only.length > 0 && mine.length === 0) {
      skipped.push(s);
      continue;
    }
    if (opts.local) rehearsalConfig(s);
    selected.push({ scenario: s, only: mine });
  }
  return { selected, skipped };
}

export interface RunAllOptions extends Omit<RunScenarioOptions, 'only'> {
  /** scenarios at once (default 1) */
  parallel?: number;
  /** each scenario as soon as it is done, e.g. to write its reports */
  onScenarioEnd?(run: ScenarioRun): void | Promise<void>;
}

/** Runs the selected scenarios; results in the order given, whatever order they finished in. */
export async function runScenarios(selected: readonly Selected[], opts: RunAllOptions = {}): Promise<ScenarioRun[]> {
  const limit = pLimit(Math.max(1, opts.parallel ?? 1));
  return Promise.all(
    selected.map((sel) =>
      limit(async () => {
        const run = await runScenario(sel.scenario, { ...opts, only: sel.only });
        await opts.onScenarioEnd?.(run);
        return run;
      }),
    ),
  );
}
