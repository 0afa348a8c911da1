/**
 * An expectation judged: a typed Expectation (expectParse.ts) + one pooled observation → a
 * verdict, as a pure function of the observed numbers. Missing data is INCONCLUSIVE, never a throw.
 */
import type { CodeSel, Condition, Expectation, Policy, Ref } from './types.js';
import type { ExpectationResult, Observed } from './results.js';
import { describeCondition, refName } from './expectParse.js';
import { formatInterval, formatNumber, formatRatio, formatSeconds } from './format.js';
import { compare, decideRatio } from './verdict.js';
import { wilson } from './wilson.js';
import { boundsOf } from './bounds.js';

/** Calls whose code matches a selector; a class never includes -1; a tcp/udp outcome ("OK", "short read") is matched as written. */
export function codeCount(codes: Record<string, number>, sel: CodeSel): number {
  const cls = /^([1-5])xx$/.exec(sel);
  const numeric = /^-?\d+$/.test(sel);
  let total = 0;
  for (const [key, count] of Object.entries(codes)) {
    const code = Number(key);
    if (cls ? code >= Number(cls[1]) * 100 && code <= Number(cls[1]) * 100 + 99 : numeric ? code === Number(sel) : key === sel) total += count;
  }
  return total;
}

function resolveRef(r: Ref, obs: Observed): number | undefined {
  if (r.ref === 'calls') return obs.calls;
  const k = codeCount(obs.codes, r.code);
  if (r.ref === 'count') return k;
  return obs.calls > 0 ? k / obs.calls : undefined;
}

/** A claim about a ratio that only holds at one point ("-1: 0", "200: 1", "[0.5, 0.5]"). */
export function isExactRatio(c: Condition): c is { kind: 'cmp'; op: '=='; value: number } | { kind: 'range'; lo: number; hi: number } {
  return (c.kind === 'cmp' && c.op === '==') || (c.kind === 'range' && c.lo === c.hi);
}

function observedValue(e: Expectation, obs: Observed): { value?: number; shown: string; reason?: string } {
  const m = e.metric;
  switch (m.kind) {
    case 'count':
      return { value: codeCount(obs.codes, m.code), shown: String(codeCount(obs.codes, m.code)) };
    case 'calls':
      return { value: obs.calls, shown: String(obs.calls) };
    case 'sockets':
      return obs.sockets === undefined ? { shown: '—', reason: 'the result has no socket count' } : { value: obs.sockets, shown: String(obs.sockets) };
    case 'qps':
      return obs.qps === undefined ? { shown: '—', reason: 'the result has no actual qps' } : { value: obs.qps, shown: formatNumber(obs.qps) };
    case 'latency':
    case 'percentile': {
      if (!obs.latency) return { shown: '—', reason: 'no latency data' };
      const v = m.kind === 'latency' ? obs.latency[m.stat] : obs.latency.percentiles[String(m.p)];
      if (v === undefined) return { shown: '—', reason: obs.latencyNote ?? `p${String((m as { p: number }).p)} was not computed` };
      return { value: v, shown: formatSeconds(v) };
    }
    case 'envoy': {
      const env = obs.envoy;
      if (!env) return { shown: '—', reason: 'Envoy stats were not read for this step (no admin endpoint)' };
      if ('error' in env) return { shown: '—', reason: `Envoy admin endpoint unreachable: ${env.error}` };
      const full = `cluster.${env.cluster}.${m.stat}`;
      const v = env.deltas[full] ?? env.deltas[m.stat];
      if (v === undefined) {
        return {
          shown: '—',
          reason: `stat ${full} not found in /stats (Istio trims cluster stats unless the client pod asks for them, e.g. sidecar.istio.io/statsInclusionPrefixes: cluster.outbound)`,
        };
      }
      return { value: v, shown: formatNumber(v) };
    }
    case 'ratio':
      return { shown: '—' };
  }
}

function result(e: Expectation, r: Omit<ExpectationResult, 'id' | 'label' | 'kind' | 'message'>): ExpectationResult {
  let message = `expected ${e.label} ${r.expected}, observed ${r.observed}`;
  if (r.interval) message += `; 95% interval ${formatInterval(r.interval)}`;
  if (r.reason) message += ` (${r.reason})`;
  return { id: e.id, label: e.label, kind: e.metric.kind, ...r, message };
}

export interface EvaluateOptions {
  /** Replaces the reason of an undecided ratio check, e.g. "budget spent: 300 calls in 10 batches". */
  undecidedReason?: string;
}

/** One expectation against one pooled observation under a policy. Never throws on missing data. */
export function evaluateExpectation(e: Expectation, obs: Observed, policy: Policy, opts: EvaluateOptions = {}): ExpectationResult {
  const c = e.cond;
  const resolved = c.kind === 'cmpRef' ? resolveRef(c.ref, obs) : undefined;
  const r = judge(e, obs, policy, opts, resolved);
  const bounds = boundsOf(c, resolved);
  return bounds ? { ...r, bounds } : r;
}

/** `resolved`: the observed value a `cmpRef` condition refers to (undefined when it has none). */
function judge(e: Expectation, obs: Observed, policy: Policy, opts: EvaluateOptions, resolved: number | undefined): ExpectationResult {
  const c = e.cond;
  const expected = describeCondition(e, resolved);
  if (obs.calls === 0 && e.metric.kind !== 'calls') {
    return result(e, { expected, observed: '—', verdict: 'INCONCLUSIVE', basis: 'none', reason: 'no calls were made' });
  }
  if (e.metric.kind === 'ratio') {
    const k = codeCount(obs.codes, e.metric.code);
    const n = obs.calls;
    const interval = wilson(k, n);
    const base = { expected, observed: `${formatRatio(k / n)} (${k}/${n})`, value: k / n, k, n, ...(interval ? { interval } : {}) };
    if (c.kind === 'cmpRef') {
      if (resolved === undefined) return result(e, { ...base, verdict: 'INCONCLUSIVE', basis: 'none', reason: `${refName(c.ref)} is undefined` });
      return result(e, { ...base, verdict: compare(k / n, c.op, resolved) ? 'PASS' : 'FAIL', basis: 'point' });
    }
    if (isExactRatio(c)) {
      // A point claim: an interval never fits inside a point, so the count decides under every policy.
      const target = c.kind === 'cmp' ? c.value : c.lo;
      return result(e, { ...base, verdict: Math.abs(k - target * n) < 1e-9 ? 'PASS' : 'FAIL', basis: 'exact' });
    }
    const d = decideRatio(k / n, interval ?? [0, 1], c, policy);
    const reason = d === 'INCONCLUSIVE' ? (opts.undecidedReason ?? 'the 95% interval straddles the bound; more calls would decide') : undefined;
    return result(e, { ...base, verdict: d, basis: policy === 'strict' ? 'point' : 'interval', ...(reason ? { reason } : {}) });
  }
  const o = observedValue(e, obs);
  if (o.value === undefined) {
    return result(e, { expected, observed: o.shown, verdict: 'INCONCLUSIVE', basis: 'none', reason: o.reason ?? 'no value observed' });
  }
  let ok: boolean;
  if (c.kind === 'range') ok = o.value >= c.lo && o.value <= c.hi;
  else if (c.kind === 'cmp') ok = compare(o.value, c.op, c.value);
  else {
    if (resolved === undefined) {
      return result(e, { expected, observed: o.shown, value: o.value, verdict: 'INCONCLUSIVE', basis: 'none', reason: `${refName(c.ref)} is undefined` });
    }
    ok = compare(o.value, c.op, resolved);
  }
  return result(e, { expected, observed: o.shown, value: o.value, verdict: ok ? 'PASS' : 'FAIL', basis: 'value' });
}

export function evaluateExpectations(es: readonly Expectation[], obs: Observed, policy: Policy, opts: EvaluateOptions = {}): ExpectationResult[] {
  return es.map((e) => evaluateExpectation(e, obs, policy, opts));
}

/** Results for expectations whose step never ran (interrupted run): reported, never PASS. */
export function notRunResults(es: readonly Expectation[], reason = 'the step did not run'): ExpectationResult[] {
  return es.map((e) => {
    const r = result(e, { expected: describeCondition(e), observed: '—', verdict: 'NOT RUN', basis: 'none', reason });
    const bounds = boundsOf(e.cond);
    return bounds ? { ...r, bounds } : r;
  });
}
