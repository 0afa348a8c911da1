/**
 * Policies (how a ratio's interval becomes a verdict), the until-conclusive stopping rule,
 * outcome aggregation and the `tripbench run` exit codes. Pure; docs/scenarios.md explains it.
 */
import { ExitCode } from '../shared/exitCodes.js';
import { DEFAULT_BUDGET } from './types.js';
import type { Budget, CmpOp, Condition, Policy, StepRun } from './types.js';
import type { ExpectationResult, ScenarioResult, StepResult, Verdict } from './results.js';

export function compare(a: number, op: CmpOp, b: number): boolean {
  switch (op) {
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '==':
      return a === b;
  }
}

/** Is every point of [lo, hi] inside the accepted set / is no point of it inside? */
function intervalVsCondition(lo: number, hi: number, c: Condition): { inside: boolean; disjoint: boolean } {
  if (c.kind === 'range') return { inside: lo >= c.lo && hi <= c.hi, disjoint: hi < c.lo || lo > c.hi };
  if (c.kind !== 'cmp') throw new Error('interval decisions need a literal bound');
  const v = c.value;
  switch (c.op) {
    case '<':
      return { inside: hi < v, disjoint: lo >= v };
    case '<=':
      return { inside: hi <= v, disjoint: lo > v };
    case '>':
      return { inside: lo > v, disjoint: hi <= v };
    case '>=':
      return { inside: lo >= v, disjoint: hi < v };
    case '==':
      return { inside: lo === v && hi === v, disjoint: hi < v || lo > v };
  }
}

/**
 * strict: the point estimate decides. confident / until-conclusive: PASS only when the whole 95 %
 * interval satisfies the condition, FAIL only when none of it does, INCONCLUSIVE otherwise.
 */
export function decideRatio(
  p: number,
  interval: readonly [number, number],
  c: Condition,
  policy: Policy,
): 'PASS' | 'FAIL' | 'INCONCLUSIVE' {
  if (policy === 'strict') {
    const { inside } = intervalVsCondition(p, p, c);
    return inside ? 'PASS' : 'FAIL';
  }
  const { inside, disjoint } = intervalVsCondition(interval[0], interval[1], c);
  return inside ? 'PASS' : disjoint ? 'FAIL' : 'INCONCLUSIVE';
}

/**
 * until-conclusive asks this after each batch: are all ratio checks decided? Other checks are
 * ignored on purpose: more calls cannot make a missing Envoy stat appear.
 */
export function isConclusive(results: readonly ExpectationResult[]): boolean {
  return results.every((r) => r.kind !== 'ratio' || r.verdict === 'PASS' || r.verdict === 'FAIL');
}

export interface BudgetUse {
  calls: number;
  elapsedNs: number;
  batches: number;
}

/** True when any limit of the budget is reached (DEFAULT_BUDGET when a step names none). */
export function budgetSpent(budget: Budget, used: BudgetUse): boolean {
  if (budget.calls !== undefined && used.calls >= budget.calls) return true;
  if (budget.time !== undefined && used.elapsedNs >= budget.time) return true;
  if (budget.batches !== undefined && used.batches >= budget.batches) return true;
  return false;
}

export type RepeatDecision = 'continue' | 'done' | 'conclusive' | 'budget-spent';

/**
 * The orchestrator's loop, after each batch evaluated on the pooled counts: run another batch
 * ('continue') or stop. `repeat` batches always run first; then only until-conclusive goes on,
 * while some ratio check is undecided and the budget lasts.
 */
export function repeatDecision(run: Pick<StepRun, 'policy' | 'repeat' | 'budget'>, results: readonly ExpectationResult[], used: BudgetUse): RepeatDecision {
  if (used.batches < run.repeat) return 'continue';
  if (run.policy !== 'until-conclusive') return 'done';
  if (isConclusive(results)) return 'conclusive';
  return budgetSpent(run.budget ?? DEFAULT_BUDGET, used) ? 'budget-spent' : 'continue';
}

// ---- outcomes and exit codes ----

/** UNREACHABLE: the target could not be reached before the first step, so nothing was judged. */
export type Outcome = 'PASS' | 'FAIL' | 'INCONCLUSIVE' | 'UNREACHABLE';
export const OUTCOMES: readonly Outcome[] = ['PASS', 'FAIL', 'INCONCLUSIVE', 'UNREACHABLE'];
/** `--inconclusive`: what INCONCLUSIVE and NOT RUN count as. */
export type InconclusiveAs = 'pass' | 'fail' | 'inconclusive';

export type Tally = Record<Verdict, number> & { total: number };

export function tally(results: Iterable<ExpectationResult>): Tally {
  const t: Tally = { PASS: 0, FAIL: 0, INCONCLUSIVE: 0, 'NOT RUN': 0, total: 0 };
  for (const r of results) {
    t[r.verdict]++;
    t.total++;
  }
  return t;
}

export function allResults(s: ScenarioResult): ExpectationResult[] {
  return s.steps.flatMap((st) => st.results);
}

/**
 * FAIL beats everything; then undecided (INCONCLUSIVE or NOT RUN) unless configured away;
 * nothing to judge is INCONCLUSIVE too: a gate that checked nothing must not turn green.
 */
export function outcomeOf(results: Iterable<ExpectationResult>, inconclusiveAs: InconclusiveAs = 'inconclusive'): Outcome {
  const t = tally(results);
  if (t.FAIL > 0) return 'FAIL';
  const undecided = t.INCONCLUSIVE + t['NOT RUN'];
  if (undecided > 0 || t.total === 0) {
    if (inconclusiveAs === 'pass' && t.total > 0) return 'PASS';
    return inconclusiveAs === 'fail' ? 'FAIL' : 'INCONCLUSIVE';
  }
  return 'PASS';
}

export function stepOutcome(s: StepResult, inconclusiveAs: InconclusiveAs = 'inconclusive'): Outcome {
  return outcomeOf(s.results, inconclusiveAs);
}

/**
 * An unreachable target checked nothing: UNREACHABLE whatever `--inconclusive` says (the process
 * exits 4 then), so no report shows a green gate beside it and an alert on a dead target can
 * tell it from a mesh policy that FAILed.
 */
export function scenarioOutcome(s: ScenarioResult, inconclusiveAs: InconclusiveAs = 'inconclusive'): Outcome {
  if (s.unreachable !== undefined) return 'UNREACHABLE';
  return outcomeOf(allResults(s), inconclusiveAs);
}

/** Several scenario files in one `tripbench run`: the worst wins, in the exit code's order (4, 1, 3, 0). */
export function combineOutcomes(outcomes: Iterable<Outcome>): Outcome {
  const rank: Record<Outcome, number> = { PASS: 0, INCONCLUSIVE: 1, FAIL: 2, UNREACHABLE: 3 };
  let out: Outcome = 'PASS';
  for (const o of outcomes) if (rank[o] > rank[out]) out = o;
  return out;
}

/**
 * `tripbench run`'s exit codes named by outcome, from the one table of codes (shared/exitCodes.ts).
 * 2 and 4 come from errors before any verdict exists.
 */
export const RunExit = {
  PASS: ExitCode.OK,
  FAIL: ExitCode.FAILURE,
  USAGE: ExitCode.USAGE,
  INCONCLUSIVE: ExitCode.INCONCLUSIVE,
  UNREACHABLE: ExitCode.UNREACHABLE,
} as const;

export function exitCodeFor(o: Outcome): 0 | 1 | 3 | 4 {
  return RunExit[o];
}

/** The exit code of a run of these scenarios: an unreachable target (4) wins over every verdict. */
export function runExitCode(scenarios: readonly ScenarioResult[], inconclusiveAs: InconclusiveAs = 'inconclusive'): 0 | 1 | 3 | 4 {
  return exitCodeFor(combineOutcomes(scenarios.map((s) => scenarioOutcome(s, inconclusiveAs))));
}

/** Whether a verdict is reported as a failure (JUnit `failure`, ❌) under `--inconclusive`. */
export function countsAsFailure(v: Verdict, inconclusiveAs: InconclusiveAs): boolean {
  return v === 'FAIL' || (inconclusiveAs === 'fail' && (v === 'INCONCLUSIVE' || v === 'NOT RUN'));
}
