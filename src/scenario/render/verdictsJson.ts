/**
 * verdicts.json: the scenario result as data, with the outcome it implies, for dashboards and
 * for diffing runs. Versioned by `format` so readers can tell shapes apart later.
 */
import { type InconclusiveAs, type Outcome, type Tally, allResults, runExitCode, scenarioOutcome, tally } from '../verdict.js';
import type { ScenarioResult } from '../results.js';
import { type CurvePoint, sweepCurve } from './table.js';

export const VERDICTS_FORMAT = 'tripbench.verdicts/v1';

export interface VerdictsDocument extends ScenarioResult {
  format: typeof VERDICTS_FORMAT;
  /** tripbench version that wrote the file */
  version: string;
  outcome: Outcome;
  exitCode: number;
  inconclusiveAs: InconclusiveAs;
  counts: Tally;
  /** per sweep step: the ratio of `curveCode` at each concurrency */
  curves: Record<string, CurvePoint[]>;
  curveCode: string;
}

export interface VerdictsOptions {
  version: string;
  inconclusiveAs?: InconclusiveAs;
  curveCode?: string;
}

export function verdictsDocument(sr: ScenarioResult, opts: VerdictsOptions): VerdictsDocument {
  const ia = opts.inconclusiveAs ?? 'inconclusive';
  const outcome = scenarioOutcome(sr, ia);
  const curveCode = opts.curveCode ?? '503';
  const curves: Record<string, CurvePoint[]> = {};
  for (const s of sr.steps) if (s.point && !curves[s.step]) curves[s.step] = sweepCurve(sr.steps, s.step, curveCode);
  return {
    format: VERDICTS_FORMAT,
    version: opts.version,
    outcome,
    exitCode: runExitCode([sr], ia),
    inconclusiveAs: ia,
    counts: tally(allResults(sr)),
    ...sr,
    curves,
    curveCode,
  };
}

export function renderVerdictsJson(sr: ScenarioResult, opts: VerdictsOptions): string {
  return `${JSON.stringify(verdictsDocument(sr, opts), null, 2)}\n`;
}
