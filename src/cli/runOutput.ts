/**
 * What `tripbench run` shows on the terminal besides each step's fortio report: the step banner,
 * the `--dry-run` plan, and at the end the verdict table, the sweep curves and the outcome of
 * each scenario. Pure strings; cli/run.ts decides which stream they go to.
 */
import { netScheme } from '../http/urlScheme.js';
import { effectiveTarget } from '../scenario/run.js';
import type { ScenarioRun } from '../scenario/run.js';
import { planScenario } from '../scenario/plan.js';
import { renderOutcomeLine, renderPlanTable, renderSweepCurve, renderVerdictTable, sweepCurve } from '../scenario/render/table.js';
import type { Scenario, StepRun } from '../scenario/types.js';
import type { ScenarioResult } from '../scenario/results.js';
import { RunExit, allResults, type InconclusiveAs } from '../scenario/verdict.js';

/** `==> istio-circuit-breaking: c3 (batch 2, policy until-conclusive) <==` before a batch's report. */
export function stepBanner(scenario: string, run: StepRun, batch: number): string {
  const more = run.policy === 'until-conclusive' || run.repeat > 1 ? ` (batch ${batch}, policy ${run.policy})` : '';
  return `==> ${scenario}: ${run.label}${more} <==\n`;
}

function where(s: Scenario, target: string | undefined): string {
  return target === undefined ? `local rehearsal of ${s.target}` : effectiveTarget(s.target, target);
}

/** The `--dry-run` output of one scenario: what would run, as `tripbench load` command lines. */
export function dryRunText(s: Scenario, only: readonly string[], target: string | undefined): string {
  const runs = planScenario(s, only);
  const shown = target === undefined ? s.target : effectiveTarget(s.target, target);
  let out = `${s.name} (${s.file}): ${runs.length} load(s) against ${where(s, target)}\n`;
  // A tcp:// URL has no origin (not a special scheme): its host:port is what the listener replaces.
  if (target === undefined) out += `(the rehearsal listens on a loopback port that replaces ${netScheme(s.target) ? new URL(s.target).host : new URL(s.target).origin} in these command lines)\n`;
  out += `${renderPlanTable(runs, shown)}\n`;
  if (s.meshYaml.trim() !== '') out += `Mesh policy under test:\n${s.meshYaml.trimEnd()}\n`;
  return out;
}

/** What a local rehearsal emulated and what it leaves out, so its PASS is read as what it is. */
export function rehearsalStatement(sr: ScenarioResult): string | undefined {
  const r = sr.rehearsal;
  if (r?.istioVersion === undefined) return undefined;
  return `Rehearsal emulated Istio ${r.istioVersion} (Envoy ${r.envoyVersion ?? '?'}); not modelled: ${(r.notModelled ?? []).join('; ')}.`;
}

/** Verdict table, sweep curves and outcome line of one finished scenario. */
export function verdictText(run: ScenarioRun, ia: InconclusiveAs, dir: string | undefined, target: string | undefined): string {
  const sr = run.result;
  let out = `\n${sr.scenario} (${sr.file}): ${where(run.scenario, target)}\n`;
  if (run.unreachable) {
    // Nothing ran: one line says why; the files still list every expectation as NOT RUN.
    out += `${run.unreachable}: ${sr.steps.length} step(s) NOT RUN\n${sr.scenario}: UNREACHABLE (exit ${RunExit.UNREACHABLE})\n`;
    return `${out}${dir !== undefined ? `Reports: ${dir}\n` : ''}`;
  }
  if (sr.interrupted) out += 'The run was interrupted: steps that did not finish are NOT RUN.\n';
  const emulated = rehearsalStatement(sr);
  if (emulated !== undefined) out += `${emulated}\n`;
  out += `${renderVerdictTable(sr.steps)}\n`;
  const sweeps = [...new Set(sr.steps.filter((s) => s.point).map((s) => s.step))];
  for (const name of sweeps) {
    out += `Trip-ratio curve: ${name} (503 ratio vs concurrency)\n${renderSweepCurve(sweepCurve(sr.steps, name, '503'), '503')}\n`;
  }
  out += `${sr.scenario}: ${renderOutcomeLine(allResults(sr), ia)}\n`;
  if (dir !== undefined) out += `Reports: ${dir}\n`;
  return out;
}
