/**
 * What the JSON Schema cannot say about a scenario (ranges, unknown codes, duplicate names,
 * sweep values, echo syntax, URLs), located on the YAML node it is about. Runs beside the
 * schema, on input that may be schema-invalid, so every check is defensive.
 */
import { parseGoDuration } from '../shared/duration.js';
import { formatDuration } from '../shared/goFormat.js';
import { LIMITS } from '../shared/limits.js';
import { errorMessage } from '../shared/errors.js';
import { parseHeaderFlag } from '../http/options.js';
import { headerValueProblem, methodProblem } from '../http/requestValidation.js';
import { netScheme, schemeProblem } from '../http/urlScheme.js';
import { parseNetDestination } from '../netload/options.js';
import { formatProblem, subDocument } from '../shared/yamlConfig.js';
import type { PathSegment, Problem, YamlDocument } from '../shared/yamlConfig.js';
import { parseExpect } from './expectParse.js';
import type { Issue } from './expectParse.js';
import { DEFAULT_POLICY } from './types.js';

export type Raw = Record<string, unknown>;
export const isMap = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deeper checks of the mesh resources (the rehearsal's loader), run in place so errors point into the scenario file. */
export type MeshCheck = (items: YamlDocument[]) => Problem[];

/** Durations in scenario files: Go syntax, or a bare number of seconds. */
export function durationNs(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? Math.round(v * 1e9) : undefined;
  if (typeof v !== 'string') return undefined;
  const ns = parseGoDuration(v);
  return ns !== undefined && ns >= 0 ? ns : undefined;
}

/** fortio echo syntax ("503:20,429:5", "1ms:50,5ms:10"); an error message or undefined when fine. */
export function checkEchoSpec(v: unknown, kind: 'status' | 'delay'): string | undefined {
  const entries = String(v).split(',');
  let total = 0;
  for (const entry of entries) {
    const [value = '', pct, extra] = entry.trim().split(':');
    if (extra !== undefined) return `"${entry}": expected value or value:percent`;
    if (kind === 'status') {
      const code = Number(value);
      if (!/^\d+$/.test(value) || code < 100 || code > 599) return `"${value}" is not an HTTP status (100..599)`;
    } else if (durationNs(/^\d+(\.\d+)?$/.test(value) ? Number(value) : value) === undefined) {
      return `"${value}" is not a duration (e.g. 2ms)`;
    }
    if (pct !== undefined) {
      const p = Number(pct);
      if (pct.trim() === '' || !Number.isFinite(p) || p < 0 || p > 100) return `"${pct}" is not a percentage (0..100)`;
      total += p;
    }
  }
  return total > 100 ? `percentages add up to ${total} > 100` : undefined;
}

function checkUrl(doc: YamlDocument, path: PathSegment[], v: unknown, out: Problem[], net = false): void {
  if (typeof v !== 'string') return;
  if (net && netScheme(v) !== undefined) {
    // a tcp:// or udp:// target is fortio's echo load: host:port as fnet.ResolveDestination splits it
    try {
      parseNetDestination(v);
    } catch (e) {
      out.push(doc.problem(path, errorMessage(e)));
    }
    return;
  }
  const scheme = schemeProblem(v);
  if (scheme !== undefined) return void out.push(doc.problem(path, scheme));
  try {
    const u = new URL(v);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') out.push(doc.problem(path, `"${v}" is not an http(s) URL`));
  } catch {
    out.push(doc.problem(path, `"${v}" is not a valid URL`));
  }
}

function pushIssues(doc: YamlDocument, base: PathSegment[], issues: Issue[], out: Problem[]): void {
  for (const i of issues) out.push(doc.problem([...base, ...i.path], i.message, i.at === 'key'));
}

/** A number over its bound of shared/limits.ts; durations compare in ns and print in Go syntax. */
function checkMax(doc: YamlDocument, path: PathSegment[], v: unknown, max: number, what: string, out: Problem[], duration = false): void {
  const n = duration ? durationNs(v) : typeof v === 'number' ? v : undefined;
  if (n === undefined || n <= max) return;
  const show = (x: number): string => (duration ? formatDuration(x) : String(x));
  out.push(doc.problem(path, `${show(n)} is over the limit of ${show(max)}${what} (docs/hostile-input.md)`));
}

function checkLoad(doc: YamlDocument, base: PathSegment[], load: unknown, out: Problem[]): void {
  if (!isMap(load)) return;
  const headers = load.headers;
  if (Array.isArray(headers)) {
    headers.forEach((h, i) => {
      if (typeof h !== 'string') return;
      if (!/^[^:\s][^:]*:/.test(h)) return void out.push(doc.problem([...base, 'headers', i], `${JSON.stringify(h)} is not a header, expected "Key: Value"`));
      try {
        parseHeaderFlag(h);
      } catch (e) {
        out.push(doc.problem([...base, 'headers', i], `${JSON.stringify(h)}: ${(e as Error).message}`));
      }
    });
  }
  if (typeof load.method === 'string') {
    const m = methodProblem(load.method);
    if (m !== undefined) out.push(doc.problem([...base, 'method'], m));
  }
  if (typeof load.contentType === 'string') {
    const m = headerValueProblem(load.contentType);
    if (m !== undefined) out.push(doc.problem([...base, 'contentType'], m));
  }
  if (typeof load.payload === 'string' && Buffer.byteLength(load.payload) > LIMITS.payloadBytes) {
    out.push(doc.problem([...base, 'payload'], `larger than ${LIMITS.payloadBytes} bytes (4 MiB), the largest request body tripbench sends`));
  }
  checkMax(doc, [...base, 'c'], load.c, LIMITS.connections, ' connections in one process', out);
  if (typeof load.streams === 'number') checkMax(doc, [...base, 'streams'], load.streams * (typeof load.c === 'number' ? Math.max(1, load.c) : 4), LIMITS.connections, ' gRPC streams (c × streams) in one process', out);
  checkMax(doc, [...base, 'n'], load.n, LIMITS.calls, ' calls in one load', out);
  checkMax(doc, [...base, 'qps'], load.qps, LIMITS.qps, ' queries per second in one process', out);
  checkMax(doc, [...base, 't'], load.t, LIMITS.durationNs, '', out, true);
  checkMax(doc, [...base, 'timeout'], load.timeout, LIMITS.timeoutNs, '', out, true);
  const reuse = load.connectionReuse;
  if (typeof reuse === 'string') {
    const [a, b] = reuse.split(':').map(Number);
    if (a !== undefined && b !== undefined && a > b) out.push(doc.problem([...base, 'connectionReuse'], `min ${a} > max ${b}`));
  }
}

function checkBudgetLimits(doc: YamlDocument, base: PathSegment[], budget: unknown, out: Problem[]): void {
  if (!isMap(budget)) return;
  checkMax(doc, [...base, 'budget', 'calls'], budget.calls, LIMITS.calls, ' calls', out);
  checkMax(doc, [...base, 'budget', 'time'], budget.time, LIMITS.durationNs, '', out, true);
  checkMax(doc, [...base, 'budget', 'batches'], budget.batches, LIMITS.batches, ' batches', out);
}

function checkBudget(doc: YamlDocument, base: PathSegment[], step: Raw, policy: unknown, out: Problem[]): void {
  checkBudgetLimits(doc, base, step.budget, out);
  checkMax(doc, [...base, 'repeat'], step.repeat, LIMITS.repeat, ' repeats', out);
  if (step.budget !== undefined && policy !== 'until-conclusive') {
    out.push(doc.problem([...base, 'budget'], `budget only applies to policy until-conclusive (this step's policy is ${String(policy ?? DEFAULT_POLICY)})`, true));
  }
}

function checkSweep(doc: YamlDocument, base: PathSegment[], step: Raw, out: Problem[]): void {
  const sweep = step.sweep;
  const values: number[] = [];
  if (isMap(sweep) && Array.isArray(sweep.c)) {
    if (sweep.c.length > LIMITS.sweepPoints) {
      out.push(doc.problem([...base, 'sweep', 'c'], `${sweep.c.length} sweep points is over the limit of ${LIMITS.sweepPoints} (docs/hostile-input.md)`));
    }
    const nPerC = typeof sweep.nPerC === 'number' ? sweep.nPerC : 0;
    sweep.c.slice(0, LIMITS.sweepPoints + 1).forEach((v, i) => {
      if (typeof v !== 'number') return;
      if (values.includes(v)) out.push(doc.problem([...base, 'sweep', 'c', i], `duplicate sweep value ${v}`));
      checkMax(doc, [...base, 'sweep', 'c', i], v, LIMITS.connections, ' connections in one process', out);
      values.push(v);
    });
    const top = values.reduce((a, v) => Math.max(a, v), 0);
    if (top <= LIMITS.connections) checkMax(doc, [...base, 'sweep', 'nPerC'], nPerC * top, LIMITS.calls, ` calls (nPerC × c = ${nPerC} × ${top})`, out);
    if (sweep.nPerC !== undefined && isMap(step.load) && step.load.n !== undefined) {
      out.push(doc.problem([...base, 'load', 'n'], 'load.n conflicts with sweep.nPerC (each point runs n = nPerC × c)', true));
    }
  }
  if (isMap(step.expectAt)) {
    if (!isMap(sweep)) out.push(doc.problem([...base, 'expectAt'], 'expectAt needs a sweep', true));
    for (const [key, block] of Object.entries(step.expectAt)) {
      if (isMap(sweep) && !values.includes(Number(key))) {
        out.push(doc.problem([...base, 'expectAt', key], `${key} is not one of the sweep values [${values.join(', ')}]`, true));
      }
      pushIssues(doc, [...base, 'expectAt', key], parseExpect(block).issues, out);
    }
  }
}

/** Everything the schema cannot say; defensive, because it also runs on schema-invalid input. */
export function semanticProblems(doc: YamlDocument): Problem[] {
  const out: Problem[] = [];
  const root = doc.value;
  if (!isMap(root)) return out;
  if (typeof root.name === 'string' && !/^[a-z0-9][a-z0-9-]*$/.test(root.name)) {
    out.push(doc.problem(['name'], `"${root.name}": use lowercase letters, digits and "-" (it names the reports/ directory)`));
  }
  checkUrl(doc, ['target'], root.target, out, true);
  const netTarget = typeof root.target === 'string' && netScheme(root.target) !== undefined;
  checkUrl(doc, ['envoyAdmin'], root.envoyAdmin, out);
  const up = root.upstream;
  if (isMap(up)) {
    for (const kind of ['status', 'delay'] as const) {
      if (up[kind] !== undefined) {
        const m = checkEchoSpec(up[kind], kind);
        if (m) out.push(doc.problem(['upstream', kind], m));
      }
    }
    if (Array.isArray(up.endpointOverrides)) {
      up.endpointOverrides.forEach((o, i) => {
        for (const kind of ['status', 'delay'] as const) {
          const m = isMap(o) && o[kind] !== undefined ? checkEchoSpec(o[kind], kind) : undefined;
          if (m) out.push(doc.problem(['upstream', 'endpointOverrides', i, kind], m));
        }
      });
      const n = typeof up.endpoints === 'number' ? up.endpoints : 1;
      if (up.endpointOverrides.length > n) {
        out.push(doc.problem(['upstream', 'endpointOverrides'], `${up.endpointOverrides.length} overrides for ${n} endpoint(s)`));
      }
    }
  }
  const defaults = isMap(root.defaults) ? root.defaults : {};
  checkLoad(doc, ['defaults', 'load'], defaults.load, out);
  checkBudgetLimits(doc, ['defaults'], defaults.budget, out);
  checkMax(doc, ['defaults', 'repeat'], defaults.repeat, LIMITS.repeat, ' repeats', out);
  if (defaults.budget !== undefined && defaults.policy !== undefined && defaults.policy !== 'until-conclusive') {
    out.push(doc.problem(['defaults', 'budget'], 'budget only applies to policy until-conclusive', true));
  }
  const seen = new Map<string, number>();
  if (Array.isArray(root.steps)) {
    root.steps.forEach((s, i) => {
      if (!isMap(s)) return;
      const base: PathSegment[] = ['steps', i];
      if (typeof s.name === 'string' && !/^[A-Za-z0-9_-]+$/.test(s.name)) {
        out.push(doc.problem([...base, 'name'], `"${s.name}": use letters, digits, "_" and "-" (it names report files)`));
      } else if (typeof s.name === 'string') {
        const first = seen.get(s.name);
        if (first !== undefined) out.push(doc.problem([...base, 'name'], `duplicate step name "${s.name}" (also steps[${first}])`));
        else seen.set(s.name, i);
      }
      checkLoad(doc, [...base, 'load'], s.load, out);
      if (netTarget && isMap(s.load) && s.load.path !== undefined) out.push(doc.problem([...base, 'load', 'path'], 'a tcp:// or udp:// target has no path', true));
      checkBudget(doc, base, s, s.policy ?? defaults.policy, out);
      checkSweep(doc, base, s, out);
      pushIssues(doc, [...base, 'expect'], parseExpect(s.expect).issues, out);
    });
  }
  return out;
}

/** The scenario's `mesh` items as documents of their own, located in the scenario file. */
export function meshDocuments(doc: YamlDocument): YamlDocument[] {
  const mesh = isMap(doc.value) ? doc.value.mesh : undefined;
  return Array.isArray(mesh) ? mesh.map((item, i) => subDocument(doc, ['mesh', i], item)) : [];
}

export function meshProblems(doc: YamlDocument, meshCheck: MeshCheck | undefined): Problem[] {
  return meshCheck ? meshCheck(meshDocuments(doc)) : [];
}

/** Where the schema and the semantic pass both flag a node, the semantic message is the specific one. */
export function mergeProblems(schema: Problem[], semantic: Problem[]): Problem[] {
  const at = (p: Problem): string => `${p.line}:${p.col}`;
  const taken = new Set(semantic.map(at));
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const p of [...semantic, ...schema.filter((s) => !taken.has(at(s)))]) {
    const k = formatProblem(p);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(p);
    }
  }
  return out.sort((a, b) => a.line - b.line || a.col - b.col);
}
