/**
 * A loaded scenario as the list of loads to run (sweeps expanded, `--only` applied) and each
 * load as the `tripbench load` / fortio command line it stands for, which `--dry-run` prints
 * and which lets a reader rerun one step by hand.
 */
import { UsageError } from '../shared/errors.js';
import { loadArgv } from '../load/loadSpec.js';
import { stepLoadSpec } from './loadRequest.js';
import type { LoadSpec, Scenario, StepRun } from './types.js';

/** The runs of a scenario in order; `only` keeps the named steps (unknown names are a usage error). */
export function planScenario(s: Scenario, only: readonly string[] = []): StepRun[] {
  const names = s.steps.map((st) => st.name);
  const unknown = only.filter((o) => !names.includes(o));
  if (unknown.length > 0) {
    throw new UsageError(`--only ${unknown.join(', ')}: no such step in ${s.file} (steps: ${names.join(', ')})`);
  }
  const runs: StepRun[] = [];
  for (const step of s.steps) {
    if (only.length > 0 && !only.includes(step.name)) continue;
    const common = { step: step.name, policy: step.policy, repeat: step.repeat, ...(step.budget ? { budget: step.budget } : {}) };
    if (!step.sweep) {
      runs.push({ ...common, key: step.name, label: step.name, load: step.load, expectations: step.expect });
      continue;
    }
    for (const c of step.sweep.values) {
      const load: LoadSpec = { ...step.load, c };
      if (step.sweep.nPerC !== undefined) load.n = step.sweep.nPerC * c;
      runs.push({
        ...common,
        key: `${step.name}.c${c}`,
        label: `${step.name} c=${c}`,
        point: { knob: 'c', value: c },
        load,
        expectations: step.expectAt[String(c)] ?? step.expect,
      });
    }
  }
  return runs;
}

/** Target URL with the step's path (and query) in place of the target's own. */
export function stepUrl(target: string, load: LoadSpec): string {
  if (load.path === undefined) return target;
  const u = new URL(target);
  return `${u.origin}${load.path}`;
}

/** The load as `tripbench load` flags (fortio's names and syntax), URL last: load/loadSpec.ts loadArgv. */
export function loadArgs(load: LoadSpec, url: string): string[] {
  return loadArgv(stepLoadSpec(load), url);
}

/** Shell-quoted for display: `tripbench load -c 2 -qps 0 -n 20 http://httpbin:8000/get`. */
export function loadCommand(load: LoadSpec, url: string): string {
  const q = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
  return ['tripbench', 'load', ...loadArgs(load, url)].map(q).join(' ');
}
