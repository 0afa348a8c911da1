/**
 * Loading a scenario file: YAML → the published JSON Schema (schema/scenario.schema.json) →
 * semantic checks the schema cannot express → a normalised Scenario. Every problem is reported
 * at once as `file:line:col: field.path: message`, located on the YAML node it is about.
 */
import { readFileSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { UsageError, errorMessage } from '../shared/errors.js';
import { formatProblem, loadYamlDocuments, validate } from '../shared/yamlConfig.js';
import type { JsonSchema, PathSegment, Problem, YamlDocument } from '../shared/yamlConfig.js';
import { parseGoDuration } from '../shared/duration.js';
import { parseExpect } from './expect.js';
import type { Issue } from './expect.js';
import { deriveCluster } from './envoyStats.js';
import { DEFAULT_BUDGET, DEFAULT_POLICY } from './types.js';
import type { Budget, Expectation, LoadSpec, MeshResource, Policy, Scenario, Step, Upstream } from './types.js';

let schemaCache: JsonSchema | undefined;
/** The published schema, read once (src/ and dist/ both sit two levels below the package root). */
export function scenarioSchema(): JsonSchema {
  schemaCache ??= JSON.parse(readFileSync(new URL('../../schema/scenario.schema.json', import.meta.url), 'utf8')) as JsonSchema;
  return schemaCache;
}

/** Bad scenario files: exit 2, one line per problem. */
export class ScenarioError extends UsageError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ScenarioError';
    this.problems = problems;
  }
}

export interface LoadOptions {
  /** Deeper schemas for mesh resources by kind (the rehearsal's), checked in place so errors point into this file. */
  meshSchemas?: Partial<Record<MeshResource['kind'], JsonSchema>>;
}

type Raw = Record<string, unknown>;
const isMap = (v: unknown): v is Raw => typeof v === 'object' && v !== null && !Array.isArray(v);

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

function checkUrl(doc: YamlDocument, path: PathSegment[], v: unknown, out: Problem[]): void {
  if (typeof v !== 'string') return;
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

function checkLoad(doc: YamlDocument, base: PathSegment[], load: unknown, out: Problem[]): void {
  if (!isMap(load)) return;
  const headers = load.headers;
  if (Array.isArray(headers)) {
    headers.forEach((h, i) => {
      if (typeof h === 'string' && !/^[^:\s][^:]*:/.test(h)) out.push(doc.problem([...base, 'headers', i], `"${h}" is not a header, expected "Key: Value"`));
    });
  }
  const reuse = load.connectionReuse;
  if (typeof reuse === 'string') {
    const [a, b] = reuse.split(':').map(Number);
    if (a !== undefined && b !== undefined && a > b) out.push(doc.problem([...base, 'connectionReuse'], `min ${a} > max ${b}`));
  }
}

function checkBudget(doc: YamlDocument, base: PathSegment[], step: Raw, policy: unknown, out: Problem[]): void {
  if (step.budget !== undefined && policy !== 'until-conclusive') {
    out.push(doc.problem([...base, 'budget'], `budget only applies to policy until-conclusive (this step's policy is ${String(policy ?? DEFAULT_POLICY)})`, true));
  }
}

function checkSweep(doc: YamlDocument, base: PathSegment[], step: Raw, out: Problem[]): void {
  const sweep = step.sweep;
  const values: number[] = [];
  if (isMap(sweep) && Array.isArray(sweep.c)) {
    sweep.c.forEach((v, i) => {
      if (typeof v !== 'number') return;
      if (values.includes(v)) out.push(doc.problem([...base, 'sweep', 'c', i], `duplicate sweep value ${v}`));
      values.push(v);
    });
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
function semanticProblems(doc: YamlDocument): Problem[] {
  const out: Problem[] = [];
  const root = doc.value;
  if (!isMap(root)) return out;
  if (typeof root.name === 'string' && !/^[a-z0-9][a-z0-9-]*$/.test(root.name)) {
    out.push(doc.problem(['name'], `"${root.name}": use lowercase letters, digits and "-" (it names the reports/ directory)`));
  }
  checkUrl(doc, ['target'], root.target, out);
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
      checkBudget(doc, base, s, s.policy ?? defaults.policy, out);
      checkSweep(doc, base, s, out);
      pushIssues(doc, [...base, 'expect'], parseExpect(s.expect).issues, out);
    });
  }
  return out;
}

function meshProblems(doc: YamlDocument, opts: LoadOptions): Problem[] {
  const mesh = isMap(doc.value) ? doc.value.mesh : undefined;
  if (!Array.isArray(mesh) || !opts.meshSchemas) return [];
  const out: Problem[] = [];
  mesh.forEach((item, i) => {
    const schema = isMap(item) ? opts.meshSchemas?.[item.kind as MeshResource['kind']] : undefined;
    if (!schema) return;
    const sub: YamlDocument = {
      file: doc.file,
      index: doc.index,
      value: item,
      locate: (p, key) => doc.locate(['mesh', i, ...p], key),
      problem: (p, m, key) => doc.problem(['mesh', i, ...p], m, key),
    };
    out.push(...validate(sub, schema));
  });
  return out;
}

/** Where the schema and the semantic pass both flag a node, the semantic message is the specific one. */
function merge(schema: Problem[], semantic: Problem[]): Problem[] {
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

/** Parses and validates one scenario text; `scenario` is set only when there are no problems. */
export function parseScenario(text: string, file: string, opts: LoadOptions = {}): { scenario?: Scenario; problems: Problem[] } {
  const loaded = loadYamlDocuments(text, file);
  if (loaded.problems.length > 0) return { problems: loaded.problems };
  const doc = loaded.docs[0];
  if (!doc) return { problems: [{ file, line: 1, col: 1, path: '(document)', message: 'empty scenario file' }] };
  if (loaded.docs.length > 1) {
    const second = loaded.docs[1] as YamlDocument;
    const pos = second.locate([]);
    return { problems: [{ file, ...pos, path: '(document)', message: `one scenario per file; found ${loaded.docs.length} YAML documents` }] };
  }
  if (!isMap(doc.value)) return { problems: [doc.problem([], 'a scenario is a mapping (name, target, steps, ...)')] };
  const problems = merge([...validate(doc, scenarioSchema()), ...meshProblems(doc, opts)], semanticProblems(doc));
  if (problems.length > 0) return { problems };
  return { scenario: normalise(doc.value, file), problems };
}

// ---- normalisation (input is valid here) ----

const DURATION_KEYS = new Set(['t', 'timeout']);

export function toLoadSpec(raw: Raw | undefined): LoadSpec {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw ?? {})) out[k] = DURATION_KEYS.has(k) ? durationNs(v) : v;
  return out as LoadSpec;
}

function toBudget(raw: unknown): Budget | undefined {
  if (!isMap(raw)) return undefined;
  const b: Budget = {};
  if (typeof raw.calls === 'number') b.calls = raw.calls;
  if (raw.time !== undefined) b.time = durationNs(raw.time) as number;
  if (typeof raw.batches === 'number') b.batches = raw.batches;
  return b;
}

/** Point entries replace the step's entries with the same id and add new ones. */
function mergeExpectations(base: Expectation[], extra: Expectation[]): Expectation[] {
  const ids = new Set(extra.map((e) => e.id));
  return [...base.filter((e) => !ids.has(e.id)), ...extra];
}

function normaliseStep(s: Raw, defaults: Raw): Step {
  const policy = (s.policy ?? defaults.policy ?? DEFAULT_POLICY) as Policy;
  const expect = parseExpect(s.expect).expectations;
  const step: Step = {
    name: s.name as string,
    load: { ...toLoadSpec(defaults.load as Raw | undefined), ...toLoadSpec(s.load as Raw) },
    policy,
    repeat: (s.repeat ?? defaults.repeat ?? 1) as number,
    expect,
    expectAt: {},
  };
  if (typeof s.description === 'string') step.description = s.description;
  if (policy === 'until-conclusive') step.budget = toBudget(s.budget ?? defaults.budget) ?? { ...DEFAULT_BUDGET };
  if (isMap(s.sweep)) {
    step.sweep = { knob: 'c', values: s.sweep.c as number[] };
    if (typeof s.sweep.nPerC === 'number') step.sweep.nPerC = s.sweep.nPerC;
  }
  if (isMap(s.expectAt)) {
    for (const [k, block] of Object.entries(s.expectAt)) {
      step.expectAt[String(Number(k))] = mergeExpectations(expect, parseExpect(block).expectations);
    }
  }
  return step;
}

/** Echo specs as strings: YAML reads `status: 503` as a number and `delay: 0.002` as seconds. */
function echo(v: unknown, kind: 'status' | 'delay'): string | undefined {
  if (v === undefined) return undefined;
  return kind === 'delay' && typeof v === 'number' ? `${v}s` : String(v);
}

function toUpstream(raw: Raw): Upstream {
  const u: Upstream = {};
  const delay = echo(raw.delay, 'delay');
  const status = echo(raw.status, 'status');
  if (delay !== undefined) u.delay = delay;
  if (status !== undefined) u.status = status;
  if (typeof raw.endpoints === 'number') u.endpoints = raw.endpoints;
  if (Array.isArray(raw.endpointOverrides)) {
    u.endpointOverrides = raw.endpointOverrides.map((o: Raw) => {
      const e: { delay?: string; status?: string } = {};
      const d = echo(o.delay, 'delay');
      const st = echo(o.status, 'status');
      if (d !== undefined) e.delay = d;
      if (st !== undefined) e.status = st;
      return e;
    });
  }
  return u;
}

function normalise(raw: Raw, file: string): Scenario {
  const mesh = (raw.mesh ?? []) as MeshResource[];
  const defaults = isMap(raw.defaults) ? raw.defaults : {};
  const s: Scenario = {
    file,
    name: raw.name as string,
    description: (raw.description ?? '') as string,
    target: raw.target as string,
    mesh,
    meshYaml: mesh.map((r) => stringify(r)).join('---\n'),
    steps: (raw.steps as Raw[]).map((st) => normaliseStep(st, defaults)),
  };
  if (typeof raw.envoyAdmin === 'string') s.envoyAdmin = raw.envoyAdmin;
  const cluster = typeof raw.cluster === 'string' ? raw.cluster : deriveCluster(s.target, mesh);
  if (cluster) s.cluster = cluster;
  if (isMap(raw.upstream)) s.upstream = toUpstream(raw.upstream);
  if (isMap(raw.rehearsal)) {
    const r = raw.rehearsal;
    s.rehearsal = {};
    if (typeof r.concurrency === 'number') s.rehearsal.concurrency = r.concurrency;
    if (r.mtlsHandshake !== undefined) s.rehearsal.mtlsHandshake = durationNs(r.mtlsHandshake) as number;
    if (typeof r.istioVersion === 'string') s.rehearsal.istioVersion = r.istioVersion;
  }
  return s;
}

// ---- files ----

/** One scenario; throws ScenarioError (exit 2) listing every problem. */
export function loadScenario(text: string, file: string, opts: LoadOptions = {}): Scenario {
  const r = parseScenario(text, file, opts);
  if (!r.scenario) throw new ScenarioError(r.problems);
  return r.scenario;
}

/** FILE|DIR arguments → scenario files: a directory contributes its *.yaml / *.yml, sorted. */
export async function expandScenarioPaths(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      throw new UsageError(`${p}: ${errorMessage(e)}`);
    }
    if (!st.isDirectory()) {
      out.push(p);
      continue;
    }
    const names = (await readdir(p)).filter((n) => /\.ya?ml$/.test(n)).sort();
    if (names.length === 0) throw new UsageError(`${p}: no *.yaml scenario files in this directory`);
    out.push(...names.map((n) => join(p, n)));
  }
  return out;
}

/** Loads every file, reporting the problems of all of them before failing; scenario names must be unique. */
export async function loadScenarioFiles(paths: readonly string[], opts: LoadOptions = {}): Promise<Scenario[]> {
  const files = await expandScenarioPaths(paths);
  const problems: Problem[] = [];
  const scenarios: Scenario[] = [];
  for (const f of files) {
    let text: string;
    try {
      text = await readFile(f, 'utf8');
    } catch (e) {
      throw new UsageError(`${f}: ${errorMessage(e)}`);
    }
    const r = parseScenario(text, f, opts);
    problems.push(...r.problems);
    if (!r.scenario) continue;
    const dup = scenarios.find((s) => s.name === r.scenario?.name);
    if (dup) {
      const line = text.slice(0, Math.max(0, text.search(/^name\s*:/m))).split('\n').length;
      problems.push({ file: f, line, col: 1, path: 'name', message: `scenario name "${dup.name}" is also used by ${dup.file}` });
    }
    scenarios.push(r.scenario);
  }
  if (problems.length > 0) throw new ScenarioError(problems);
  return scenarios;
}
