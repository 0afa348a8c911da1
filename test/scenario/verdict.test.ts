import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/shared/exitCodes.js';
import { evaluateExpectations, notRunResults } from '../../src/scenario/expectEvaluate.js';
import { parseExpect } from '../../src/scenario/expectParse.js';
import {
  RunExit,
  budgetSpent,
  combineOutcomes,
  repeatDecision,
  countsAsFailure,
  decideRatio,
  exitCodeFor,
  isConclusive,
  outcomeOf,
  runExitCode,
  scenarioOutcome,
  tally,
} from '../../src/scenario/verdict.js';
import type { Condition, Policy } from '../../src/scenario/types.js';
import type { ExpectationResult, Observed, Verdict } from '../../src/scenario/results.js';
import { wilson } from '../../src/scenario/wilson.js';

const range = (lo: number, hi: number): Condition => ({ kind: 'range', lo, hi });
const cmp = (op: '<' | '<=' | '>' | '>=', value: number): Condition => ({ kind: 'cmp', op, value });

function decide(k: number, n: number, c: Condition, policy: Policy): string {
  return decideRatio(k / n, wilson(k, n) as [number, number], c, policy);
}

describe('decideRatio', () => {
  // 3/20 = 0.15, 95 % interval [0.0524, 0.3604]
  it.each([
    [range(0.05, 0.5), 'PASS', 'PASS'],
    [range(0.1, 0.5), 'PASS', 'INCONCLUSIVE'],
    [range(0.4, 0.7), 'FAIL', 'FAIL'],
    [range(0.3, 0.7), 'FAIL', 'INCONCLUSIVE'],
    [range(0, 0.04), 'FAIL', 'FAIL'],
    [cmp('<=', 0.4), 'PASS', 'PASS'],
    [cmp('<', 0.3604), 'PASS', 'INCONCLUSIVE'],
    [cmp('<=', 0.05), 'FAIL', 'FAIL'],
    [cmp('>=', 0.05), 'PASS', 'PASS'],
    [cmp('>', 0.1), 'PASS', 'INCONCLUSIVE'],
    [cmp('>', 0.37), 'FAIL', 'FAIL'],
    [cmp('>=', 0.15), 'PASS', 'INCONCLUSIVE'],
  ] as [Condition, string, string][])('3/20 vs %j: strict %s, confident %s', (c, strict, confident) => {
    expect(decide(3, 20, c, 'strict')).toBe(strict);
    expect(decide(3, 20, c, 'confident')).toBe(confident);
    expect(decide(3, 20, c, 'until-conclusive')).toBe(confident);
  });

  it('treats range bounds and <= / >= as inclusive, < / > as strict', () => {
    expect(decide(0, 20, cmp('>=', 0), 'confident')).toBe('PASS');
    expect(decide(0, 20, cmp('>', 0), 'confident')).toBe('INCONCLUSIVE');
    expect(decide(0, 20, cmp('>', 0), 'strict')).toBe('FAIL');
    expect(decide(20, 20, cmp('<=', 1), 'confident')).toBe('PASS');
    expect(decide(20, 20, cmp('<', 1), 'confident')).toBe('INCONCLUSIVE');
    expect(decide(0, 20, range(0, 0.2), 'confident')).toBe('PASS');
  });

  it('becomes conclusive with more calls at the same ratio', () => {
    const c = cmp('<=', 0.2);
    expect(decide(3, 20, c, 'confident')).toBe('INCONCLUSIVE');
    expect(decide(30, 200, c, 'confident')).toBe('INCONCLUSIVE');
    expect(decide(150, 1000, c, 'confident')).toBe('PASS');
  });

  it('needs 73 perfect calls to confirm ">= 0.95"', () => {
    expect(decide(72, 72, cmp('>=', 0.95), 'confident')).toBe('INCONCLUSIVE');
    expect(decide(73, 73, cmp('>=', 0.95), 'confident')).toBe('PASS');
  });
});

function observed(codes: Record<string, number>): Observed {
  return { calls: Object.values(codes).reduce((a, b) => a + b, 0), batches: 1, codes, duration: 1 };
}

describe('until-conclusive support', () => {
  const es = parseExpect({ codes: { 503: [0.25, 1], '-1': 0 }, envoy: { upstream_rq_pending_overflow: '> 0' } }).expectations;

  it('asks only whether every ratio check is decided', () => {
    // 8/30 = 0.267: interval [0.142, 0.444] straddles 0.25
    const first = evaluateExpectations(es, observed({ '200': 22, '503': 8 }), 'until-conclusive');
    expect(first.map((r) => r.verdict)).toEqual(['INCONCLUSIVE', 'PASS', 'INCONCLUSIVE']);
    expect(isConclusive(first)).toBe(false);
    expect(first[0]?.reason).toBe('the 95% interval straddles the bound; more calls would decide');
    const spent = evaluateExpectations(es, observed({ '200': 22, '503': 8 }), 'until-conclusive', { undecidedReason: 'budget spent: 30 calls in 1 batch' });
    expect(spent[0]?.message).toBe('expected 503 ratio in [0.25, 1], observed 0.267 (8/30); 95% interval [0.142, 0.444] (budget spent: 30 calls in 1 batch)');
    // pooled over more batches the ratio check decides; the missing Envoy stat does not block stopping
    const pooled = evaluateExpectations(es, observed({ '200': 120, '503': 180 }), 'until-conclusive');
    expect(pooled.map((r) => r.verdict)).toEqual(['PASS', 'PASS', 'INCONCLUSIVE']);
    expect(isConclusive(pooled)).toBe(true);
  });

  it('drives the repeat loop: initial repeats, then until conclusive or out of budget', () => {
    const undecided = evaluateExpectations(es, observed({ '200': 22, '503': 8 }), 'until-conclusive');
    const decided = evaluateExpectations(es, observed({ '200': 120, '503': 180 }), 'until-conclusive');
    const use = (batches: number, calls = batches * 30): { calls: number; elapsedNs: number; batches: number } => ({ calls, elapsedNs: batches * 1e9, batches });
    const uc = { policy: 'until-conclusive' as const, repeat: 2, budget: { calls: 150 } };
    expect(repeatDecision(uc, decided, use(1))).toBe('continue');
    expect(repeatDecision(uc, decided, use(2))).toBe('conclusive');
    expect(repeatDecision(uc, undecided, use(2))).toBe('continue');
    expect(repeatDecision(uc, undecided, use(5))).toBe('budget-spent');
    expect(repeatDecision({ policy: 'until-conclusive', repeat: 1 }, undecided, use(9))).toBe('continue');
    expect(repeatDecision({ policy: 'until-conclusive', repeat: 1 }, undecided, use(10))).toBe('budget-spent');
    expect(repeatDecision({ policy: 'confident', repeat: 3 }, undecided, use(2))).toBe('continue');
    expect(repeatDecision({ policy: 'confident', repeat: 3 }, undecided, use(3))).toBe('done');
    expect(repeatDecision({ policy: 'strict', repeat: 1 }, undecided, use(1))).toBe('done');
  });

  it('stops when any budget limit is reached', () => {
    const used = { calls: 300, elapsedNs: 20e9, batches: 10 };
    expect(budgetSpent({ calls: 300 }, used)).toBe(true);
    expect(budgetSpent({ calls: 301 }, used)).toBe(false);
    expect(budgetSpent({ time: 20e9 }, used)).toBe(true);
    expect(budgetSpent({ time: 60e9, calls: 600 }, used)).toBe(false);
    expect(budgetSpent({ batches: 10 }, used)).toBe(true);
    expect(budgetSpent({}, used)).toBe(false);
  });
});

function res(...verdicts: Verdict[]): ExpectationResult[] {
  return verdicts.map((verdict, i) => ({ id: `x${i}`, label: 'x', kind: 'calls', expected: '', observed: '', verdict, basis: 'value', message: '' }));
}

describe('outcomes and exit codes', () => {
  it('FAIL beats everything, then undecided, then PASS', () => {
    expect(outcomeOf(res('PASS', 'PASS'))).toBe('PASS');
    expect(outcomeOf(res('PASS', 'INCONCLUSIVE'))).toBe('INCONCLUSIVE');
    expect(outcomeOf(res('PASS', 'NOT RUN'))).toBe('INCONCLUSIVE');
    expect(outcomeOf(res('INCONCLUSIVE', 'FAIL', 'NOT RUN'))).toBe('FAIL');
  });

  it('lets --inconclusive decide what undecided counts as', () => {
    expect(outcomeOf(res('PASS', 'INCONCLUSIVE'), 'pass')).toBe('PASS');
    expect(outcomeOf(res('PASS', 'NOT RUN'), 'fail')).toBe('FAIL');
    expect(outcomeOf(res('PASS', 'INCONCLUSIVE'), 'inconclusive')).toBe('INCONCLUSIVE');
    expect(outcomeOf(res('FAIL', 'INCONCLUSIVE'), 'pass')).toBe('FAIL');
    expect(countsAsFailure('INCONCLUSIVE', 'fail')).toBe(true);
    expect(countsAsFailure('INCONCLUSIVE', 'pass')).toBe(false);
    expect(countsAsFailure('FAIL', 'pass')).toBe(true);
  });

  it('never turns green on nothing to judge', () => {
    expect(outcomeOf([])).toBe('INCONCLUSIVE');
    expect(outcomeOf([], 'pass')).toBe('INCONCLUSIVE');
    expect(outcomeOf([], 'fail')).toBe('FAIL');
  });

  it('maps outcomes to the documented exit codes, the same numbers as shared/exitCodes.ts', () => {
    expect(exitCodeFor('PASS')).toBe(0);
    expect(exitCodeFor('FAIL')).toBe(1);
    expect(exitCodeFor('INCONCLUSIVE')).toBe(3);
    expect(exitCodeFor('UNREACHABLE')).toBe(4);
    expect(RunExit).toEqual({ PASS: ExitCode.OK, FAIL: ExitCode.FAILURE, USAGE: ExitCode.USAGE, INCONCLUSIVE: ExitCode.INCONCLUSIVE, UNREACHABLE: ExitCode.UNREACHABLE });
  });

  it('combines several scenarios: the worst wins', () => {
    expect(combineOutcomes(['PASS', 'PASS'])).toBe('PASS');
    expect(combineOutcomes(['PASS', 'INCONCLUSIVE'])).toBe('INCONCLUSIVE');
    expect(combineOutcomes(['INCONCLUSIVE', 'FAIL', 'PASS'])).toBe('FAIL');
    // as the exit code: 4 wins over every verdict
    expect(combineOutcomes(['FAIL', 'UNREACHABLE', 'PASS'])).toBe('UNREACHABLE');
  });

  it('a dead target is UNREACHABLE (exit 4) under every --inconclusive setting', () => {
    const sr = {
      scenario: 's',
      description: '',
      file: 's.yaml',
      target: 'http://a/',
      meshYaml: '',
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: '2026-01-01T00:00:01Z',
      interrupted: false,
      unreachable: 'target unreachable: http://a/: connect ECONNREFUSED',
      steps: [{ step: 'a', key: 'a', label: 'a', policy: 'confident' as const, status: 'not-run' as const, results: notRunResults(parseExpect({ codes: { 503: 0 } }).expectations, 'x') }],
    };
    for (const ia of ['inconclusive', 'pass', 'fail'] as const) {
      expect(scenarioOutcome(sr, ia)).toBe('UNREACHABLE');
      expect(runExitCode([sr], ia)).toBe(4);
    }
  });

  it('counts an interrupted scenario as undecided', () => {
    const es = parseExpect({ codes: { 503: 0 } }).expectations;
    const done = evaluateExpectations(es, observed({ '200': 10 }), 'confident');
    const sr = {
      scenario: 's',
      description: '',
      file: 's.yaml',
      target: 'http://a/',
      meshYaml: '',
      startedAt: '2026-01-01T00:00:00Z',
      finishedAt: '2026-01-01T00:00:01Z',
      interrupted: true,
      steps: [
        { step: 'a', key: 'a', label: 'a', policy: 'confident' as const, status: 'completed' as const, results: done },
        { step: 'b', key: 'b', label: 'b', policy: 'confident' as const, status: 'not-run' as const, results: notRunResults(es, 'interrupted') },
      ],
    };
    expect(tally(sr.steps.flatMap((s) => s.results))).toMatchObject({ PASS: 1, 'NOT RUN': 1, total: 2 });
    expect(scenarioOutcome(sr)).toBe('INCONCLUSIVE');
    expect(exitCodeFor(scenarioOutcome(sr))).toBe(3);
  });
});
