/**
 * The expectation grammar, k6-threshold style: text such as `"< 8.6ms"` or `"== code 503 count"`
 * → a typed Expectation, parsed (syntax) and validated (semantics) in one pass that reports every
 * problem with its path, and back to text (describeCondition). Evaluation against measured data
 * is expectEvaluate.ts. Paths are relative to the `expect` block; the loader adds file:line:col.
 *
 *   value  := number                       exact
 *           | [lo, hi]                     inclusive range, lo <= hi
 *           | "OP rhs"                     OP in < <= > >= ==
 *   rhs    := number | duration | "code C count" | "code C ratio" | "calls"
 *   C      := -1 | 100..599 | 2xx..5xx | a tcp/udp outcome, quoted when it has spaces ('short read') | a gRPC one (SERVING, ERROR)
 */
import { parseGoDuration } from '../shared/duration.js';
import type { CmpOp, Condition, Expectation, Metric, Ref } from './types.js';
import { formatNumber, formatRatio, formatSeconds } from './format.js';

export type Path = (string | number)[];
/** A problem at `path`; `at: 'key'` points at the mapping key rather than its value. */
export interface Issue {
  path: Path;
  message: string;
  at?: 'key' | 'value';
}

type Unit = 'ratio' | 'count' | 'duration' | 'number';

const CODE_RE = /^(-1|[1-5]\d\d|[2-5]xx)$/;
const PCT_RE = /^p(\d+(?:\.\d+)?)$/;
const STAT_RE = /^[^\s:]+$/;
const OP_RE = /^\s*(<=|>=|==|<|>)\s*(.*?)\s*$/;
const REF_RE = /^code\s+('[^']+'|"[^"]+"|\S+)\s+(count|ratio)$/;
/**
 * fortio's tcp:// and udp:// RetCodes keys (tcprunner.go, udprunner.go): TCPStatusOK / UDPStatusOK,
 * the errors the runner names itself, and Go's dial/read/write errors (whose addresses vary, so
 * a scenario can name them only when they do not, e.g. a refused dial to a fixed port).
 */
const NET_CODE_RE = /^(OK|short read|bug: long read|read not echoing writes|(dial|read|write) (tcp|udp) .+)$/;
/**
 * fortio's gRPC RetCodes keys (fgrpc/grpcrunner.go Run): the health status name of an answered
 * call (SERVING for every answered ping) or fgrpc.Error, "ERROR", for a failed one.
 */
const GRPC_CODE_RE = /^(SERVING|NOT_SERVING|UNKNOWN|SERVICE_UNKNOWN|ERROR)$/;

export const EXPECT_SECTIONS = ['codes', 'counts', 'latency', 'sockets', 'qps', 'calls', 'envoy'] as const;

/** Which references a metric may compare against: same unit only. */
function refsFor(unit: Unit, kind: Metric['kind']): Ref['ref'][] {
  if (unit === 'ratio') return ['ratio'];
  if (kind === 'count' || kind === 'calls' || kind === 'sockets' || kind === 'envoy') return ['count', 'calls'];
  return [];
}

function unitOf(m: Metric): Unit {
  switch (m.kind) {
    case 'ratio':
      return 'ratio';
    case 'latency':
    case 'percentile':
      return 'duration';
    case 'count':
    case 'calls':
    case 'sockets':
      return 'count';
    default:
      return 'number';
  }
}

export function isCodeSel(s: string): boolean {
  return CODE_RE.test(s) || NET_CODE_RE.test(s) || GRPC_CODE_RE.test(s);
}

const UNKNOWN_CODE = 'use -1 (transport error), 100..599, a class 2xx..5xx, a tcp/udp outcome (OK, short read, …) or a gRPC one (SERVING, ERROR, …)';

/** A scalar in the metric's unit, or an error message. */
function parseScalar(raw: unknown, unit: Unit): number | string {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) return `${raw} is not a finite number`;
    return checkRange(raw, unit, String(raw));
  }
  if (typeof raw !== 'string') return `expected a number, got ${describe(raw)}`;
  const s = raw.trim();
  if (unit === 'duration') {
    const bare = Number(s);
    if (s !== '' && Number.isFinite(bare)) return checkRange(bare, unit, s);
    const ns = parseGoDuration(s);
    if (ns === undefined) return `"${s}" is not a duration (use e.g. 50ms, 2.9s, 300us; bare numbers are seconds)`;
    return checkRange(ns / 1e9, unit, s);
  }
  if (/%$/.test(s)) return `"${s}": write ratios as fractions of all calls (0.3 for 30 %)`;
  const v = Number(s);
  if (s === '' || !Number.isFinite(v)) return `"${s}" is not a number`;
  return checkRange(v, unit, s);
}

function checkRange(v: number, unit: Unit, written: string): number | string {
  if (unit === 'ratio' && (v < 0 || v > 1)) {
    return `ratio ${written} is outside [0, 1]: ratios are fractions of all calls (write 0.3 for 30 %)`;
  }
  if (v < 0) return `${written} is negative`;
  return v;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v === 'object' ? 'a mapping' : `${typeof v} ${JSON.stringify(v)}`;
}

function parseRef(s: string, allowed: Ref['ref'][]): Ref | string | undefined {
  let ref: Ref | undefined;
  if (s === 'calls') ref = { ref: 'calls' };
  const m = REF_RE.exec(s);
  if (m) {
    const code = (m[1] as string).replace(/^(['"])(.*)\1$/, '$2');
    if (!isCodeSel(code)) return `unknown status code "${code}" in "${s}": ${UNKNOWN_CODE}`;
    ref = { ref: m[2] as 'count' | 'ratio', code };
  }
  if (!ref) return undefined;
  if (!allowed.includes(ref.ref)) {
    return allowed.length === 0
      ? `"${s}": references are not allowed here (compare against a literal value)`
      : `"${s}": compare against ${allowed.map((a) => (a === 'calls' ? '"calls"' : `"code C ${a}"`)).join(' or ')} (same unit)`;
  }
  return ref;
}

/** A problem with an expectation value; `index` points into a [min, max] range. */
export interface ConditionError {
  error: string;
  index?: number;
}

/** One expectation value → Condition, or what is wrong with it. */
export function parseCondition(raw: unknown, metric: Metric): Condition | ConditionError {
  const unit = unitOf(metric);
  if (Array.isArray(raw)) {
    if (raw.length !== 2) return { error: `a range is [min, max] with exactly 2 values, got ${raw.length}` };
    const lo = parseScalar(raw[0], unit);
    if (typeof lo === 'string') return { error: `range min: ${lo}`, index: 0 };
    const hi = parseScalar(raw[1], unit);
    if (typeof hi === 'string') return { error: `range max: ${hi}`, index: 1 };
    if (lo > hi) return { error: `range min ${String(raw[0])} > max ${String(raw[1])}` };
    return { kind: 'range', lo, hi };
  }
  if (typeof raw === 'string') {
    const m = OP_RE.exec(raw);
    if (!m) {
      return { error: `"${raw}" is not an expectation: use a number, [min, max], or a comparison like ">= 0.95" or "< 50ms"` };
    }
    const op = m[1] as CmpOp;
    const rhs = m[2] as string;
    const ref = parseRef(rhs, refsFor(unit, metric.kind));
    if (typeof ref === 'string') return { error: ref };
    if (ref) return { kind: 'cmpRef', op, ref };
    const v = parseScalar(rhs, unit);
    if (typeof v === 'string') return { error: v };
    return { kind: 'cmp', op, value: v };
  }
  if (typeof raw === 'number') {
    const v = parseScalar(raw, unit);
    return typeof v === 'string' ? { error: v } : { kind: 'cmp', op: '==', value: v };
  }
  return { error: `expected a number, [min, max], or a comparison string, got ${describe(raw)}` };
}

function issueFor(path: Path, e: ConditionError): Issue {
  return { path: e.index === undefined ? path : [...path, e.index], message: e.error };
}

function label(m: Metric): string {
  switch (m.kind) {
    case 'ratio':
      return `${m.code} ratio`;
    case 'count':
      return `${m.code} count`;
    case 'latency':
      return `${m.stat} latency`;
    case 'percentile':
      return `p${m.p} latency`;
    case 'sockets':
      return 'sockets used';
    case 'qps':
      return 'actual qps';
    case 'calls':
      return 'calls';
    case 'envoy':
      return `envoy ${m.stat}`;
  }
}

/** The metric named by a key inside a section, or an error message. */
function metricFor(section: string, key: string): Metric | string {
  switch (section) {
    case 'codes':
    case 'counts':
      if (!isCodeSel(key)) return `unknown status code "${key}": ${UNKNOWN_CODE}`;
      return section === 'codes' ? { kind: 'ratio', code: key } : { kind: 'count', code: key };
    case 'latency': {
      if (key === 'min' || key === 'max' || key === 'avg') return { kind: 'latency', stat: key };
      const m = PCT_RE.exec(key);
      const p = m ? Number(m[1]) : NaN;
      if (!m) return `unknown latency key "${key}": use min, max, avg or a percentile pNN / pNN.N`;
      if (!(p > 0 && p < 100)) return `percentile ${key} must be between p0 and p100 exclusive (use min / max)`;
      return { kind: 'percentile', p };
    }
    case 'envoy':
      if (!STAT_RE.test(key)) return `"${key}" is not an Envoy stat name`;
      return { kind: 'envoy', stat: key };
    default:
      return `unknown expectation "${section}"`;
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Sections that hold one value rather than a map of keys. */
const SINGLE: Record<string, Metric> = { sockets: { kind: 'sockets' }, qps: { kind: 'qps' }, calls: { kind: 'calls' } };

/** Parses an `expect` block; every problem is reported, good entries are still returned. */
export function parseExpect(raw: unknown): { expectations: Expectation[]; issues: Issue[] } {
  const expectations: Expectation[] = [];
  const issues: Issue[] = [];
  if (raw === undefined || raw === null) return { expectations, issues };
  if (!isMap(raw)) return { expectations, issues: [{ path: [], message: 'expect must be a mapping' }] };
  for (const [section, body] of Object.entries(raw)) {
    if (!(EXPECT_SECTIONS as readonly string[]).includes(section)) {
      issues.push({ path: [section], at: 'key', message: `unknown expectation "${section}" (known: ${EXPECT_SECTIONS.join(', ')})` });
      continue;
    }
    const direct = SINGLE[section];
    if (direct) {
      const cond = parseCondition(body, direct);
      if ('error' in cond) issues.push(issueFor([section], cond));
      else expectations.push({ id: section, label: label(direct), metric: direct, cond });
      continue;
    }
    if (!isMap(body)) {
      issues.push({ path: [section], message: `${section} must be a mapping` });
      continue;
    }
    for (const [key, value] of Object.entries(body)) {
      const metric = metricFor(section, key);
      if (typeof metric === 'string') {
        issues.push({ path: [section, key], at: 'key', message: metric });
        continue;
      }
      const cond = parseCondition(value, metric);
      if ('error' in cond) issues.push(issueFor([section, key], cond));
      else expectations.push({ id: `${section}.${key}`, label: label(metric), metric, cond });
    }
  }
  return { expectations, issues };
}

// ---- evaluation ----

/** A reference as the grammar writes it: `calls`, `code 503 count`. */
export function refName(r: Ref): string {
  return r.ref === 'calls' ? 'calls' : `code ${/\s/.test(r.code) ? `'${r.code}'` : r.code} ${r.ref}`;
}

function fmtIn(m: Metric, v: number): string {
  const u = unitOf(m);
  return u === 'duration' ? formatSeconds(v) : formatNumber(v);
}

export function describeCondition(e: Expectation, resolved?: number): string {
  const c = e.cond;
  if (c.kind === 'range') return `in [${fmtIn(e.metric, c.lo)}, ${fmtIn(e.metric, c.hi)}]`;
  if (c.kind === 'cmp') return `${c.op} ${fmtIn(e.metric, c.value)}`;
  const r = resolved === undefined ? '' : ` (${e.metric.kind === 'ratio' ? formatRatio(resolved) : formatNumber(resolved)})`;
  return `${c.op} ${refName(c.ref)}${r}`;
}
