import { describe, expect, it } from 'vitest';
import { boundsOf } from '../../src/scenario/bounds.js';
import { evaluateExpectation, notRunResults } from '../../src/scenario/expectEvaluate.js';
import type { Expectation } from '../../src/scenario/types.js';
import type { Observed } from '../../src/scenario/results.js';

describe('numeric bounds on every result (charts draw them instead of parsing the text)', () => {
  it('ranges, comparisons and resolved references', () => {
    expect(boundsOf({ kind: 'range', lo: 0.25, hi: 1 })).toEqual({ lo: 0.25, hi: 1, loInclusive: true, hiInclusive: true });
    expect(boundsOf({ kind: 'cmp', op: '<', value: 0.4 })).toEqual({ hi: 0.4, loInclusive: false, hiInclusive: false });
    expect(boundsOf({ kind: 'cmp', op: '>=', value: 0.95 })).toEqual({ lo: 0.95, loInclusive: true, hiInclusive: false });
    expect(boundsOf({ kind: 'cmp', op: '==', value: 0 })).toEqual({ lo: 0, hi: 0, loInclusive: true, hiInclusive: true });
    expect(boundsOf({ kind: 'cmpRef', op: '==', ref: { ref: 'count', code: '503' } })).toBeUndefined();
    expect(boundsOf({ kind: 'cmpRef', op: '<=', ref: { ref: 'calls' } }, 30)).toEqual({ hi: 30, loInclusive: false, hiInclusive: true });
  });

  it('evaluated and NOT RUN results carry them', () => {
    const e: Expectation = { id: 'codes.503', label: '503 ratio', metric: { kind: 'ratio', code: '503' }, cond: { kind: 'range', lo: 0, hi: 0.4 } };
    const ref: Expectation = { id: 'envoy.x', label: 'envoy x', metric: { kind: 'envoy', stat: 'x' }, cond: { kind: 'cmpRef', op: '==', ref: { ref: 'count', code: '503' } } };
    const obs: Observed = { calls: 20, batches: 1, codes: { '200': 17, '503': 3 }, duration: 1 };
    expect(evaluateExpectation(e, obs, 'confident').bounds).toEqual({ lo: 0, hi: 0.4, loInclusive: true, hiInclusive: true });
    expect(evaluateExpectation(ref, obs, 'confident').bounds).toEqual({ lo: 3, hi: 3, loInclusive: true, hiInclusive: true });
    expect(notRunResults([e, ref]).map((r) => r.bounds)).toEqual([{ lo: 0, hi: 0.4, loInclusive: true, hiInclusive: true }, undefined]);
  });
});
