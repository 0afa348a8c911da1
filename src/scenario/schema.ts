/**
 * Loading a scenario file: YAML → the published JSON Schema (schema/scenario.schema.json) →
 * semantic checks the schema cannot express → a normalised Scenario. Every problem is reported
 * at once as `file:line:col: field.path: message`, located on the YAML node it is about.
 */
import { readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { stringify } from 'yaml';
import { targetClusterName } from '../istio/naming.js';
import { UsageError, errorMessage } from '../shared/errors.js';
import { ProblemsError, loadYamlDocuments, readYamlFile, validate } from '../shared/yamlConfig.js';
import type { JsonSchema, Problem, YamlDocument } from '../shared/yamlConfig.js';
import { durationNs, isMap, meshProblems, mergeProblems, semanticProblems } from './checks.js';
import type { MeshCheck, Raw } from './checks.js';
import { parseExpect } from './expectParse.js';
import { KNOB_NAMES, knobDef } from '../load/loadSpec.js';
import { readTlsFile } from '../load/tlsFiles.js';
import { DEFAULT_BUDGET, DEFAULT_POLICY } from './types.js';
import type { Budget, Expectation, LoadSpec, MeshResource, Policy, Scenario, Step, Upstream } from './types.js';

export { checkEchoSpec, durationNs } from './checks.js';

let schemaCache: JsonSchema | undefined;
/** The published schema, read once (src/ and dist/ both sit two levels below the package root). */
export function scenarioSchema(): JsonSchema {
  schemaCache ??= JSON.parse(readFileSync(new URL('../../schema/scenario.schema.json', import.meta.url), 'utf8')) as JsonSchema;
  return schemaCache;
}

/** Bad scenario files: exit 2, one line per problem. */
export class ScenarioError extends ProblemsError {
  constructor(problems: Problem[]) {
    super(problems);
    this.name = 'ScenarioError';
  }
}

export interface LoadOptions {
  meshChecks?: MeshCheck;
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
  const problems = mergeProblems(validate(doc, scenarioSchema()), [...semanticProblems(doc), ...meshProblems(doc, opts.meshChecks)]);
  if (problems.length > 0) return { problems };
  const files = tlsFileProblems(doc, file);
  if (files.length > 0) return { problems: files };
  return { scenario: normalise(doc.value, file, text), problems };
}

/** The load's file knobs (TLS PEM files), relative to the scenario file as written; absolute after loading. */
const FILE_KEYS = ['cacert', 'cert', 'key'] as const;

/**
 * The TLS file knobs name files that must be readable PEM, relative to the scenario file: a
 * wrong path is a problem at its line (exit 2) with the rest, not an error mid-run.
 */
function tlsFileProblems(doc: YamlDocument, file: string): Problem[] {
  const out: Problem[] = [];
  const raw = doc.value as Raw;
  const blocks: [(string | number)[], unknown][] = [[['defaults', 'load'], isMap(raw.defaults) ? raw.defaults.load : undefined]];
  (raw.steps as Raw[]).forEach((st, i) => blocks.push([['steps', i, 'load'], isMap(st) ? st.load : undefined]));
  for (const [path, load] of blocks) {
    if (!isMap(load)) continue;
    for (const k of FILE_KEYS) {
      const v = load[k];
      if (typeof v !== 'string' || v === '') continue;
      try {
        readTlsFile(k, resolvePath(dirname(file), v));
      } catch (e) {
        out.push(doc.problem([...path, k], errorMessage(e)));
      }
    }
  }
  // -cert and -key go together, as on the command line (a step may take one from defaults).
  const dflt = isMap(raw.defaults) && isMap(raw.defaults.load) ? raw.defaults.load : {};
  (raw.steps as Raw[]).forEach((st, i) => {
    const load = { ...dflt, ...(isMap(st) && isMap(st.load) ? st.load : {}) };
    const has = (k: string): boolean => typeof load[k] === 'string' && load[k] !== '';
    if (has('cert') !== has('key')) out.push(doc.problem(['steps', i, 'load'], has('cert') ? 'cert needs key (the client certificate\'s private key)' : 'key needs cert'));
  });
  return out;
}

// ---- normalisation (input is valid here) ----

/** The YAML keys of duration knobs (LOAD_KNOBS), written as Go durations or seconds. */
const DURATION_KEYS = new Set(KNOB_NAMES.map(knobDef).filter((k) => k.kind === 'duration' && k.yaml !== undefined).map((k) => k.yaml));

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

function normaliseStep(s: Raw, defaults: Raw, dir: string): Step {
  const policy = (s.policy ?? defaults.policy ?? DEFAULT_POLICY) as Policy;
  const expect = parseExpect(s.expect).expectations;
  const load: LoadSpec = { ...toLoadSpec(defaults.load as Raw | undefined), ...toLoadSpec(s.load as Raw) };
  for (const k of FILE_KEYS) {
    const v = load[k];
    if (typeof v === 'string' && v !== '') load[k] = resolvePath(dir, v);
  }
  const step: Step = {
    name: s.name as string,
    load,
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

function normalise(raw: Raw, file: string, source: string): Scenario {
  const mesh = (raw.mesh ?? []) as MeshResource[];
  const defaults = isMap(raw.defaults) ? raw.defaults : {};
  const s: Scenario = {
    file,
    source,
    name: raw.name as string,
    description: (raw.description ?? '') as string,
    target: raw.target as string,
    mesh,
    meshYaml: mesh.map((r) => stringify(r)).join('---\n'),
    steps: (raw.steps as Raw[]).map((st) => normaliseStep(st, defaults, dirname(file))),
  };
  if (typeof raw.envoyAdmin === 'string') s.envoyAdmin = raw.envoyAdmin;
  const cluster = typeof raw.cluster === 'string' ? raw.cluster : targetClusterName(s.target, mesh);
  if (cluster) s.cluster = cluster;
  if (isMap(raw.upstream)) s.upstream = toUpstream(raw.upstream);
  if (isMap(raw.rehearsal)) {
    const r = raw.rehearsal;
    s.rehearsal = {};
    if (typeof r.concurrency === 'number') s.rehearsal.concurrency = r.concurrency;
    if (r.mtlsHandshake !== undefined) s.rehearsal.mtlsHandshake = durationNs(r.mtlsHandshake) as number;
    if (typeof r.istioVersion === 'string') s.rehearsal.istioVersion = r.istioVersion;
    if (r.outboundTrafficPolicy === 'REGISTRY_ONLY' || r.outboundTrafficPolicy === 'ALLOW_ANY') s.rehearsal.outboundTrafficPolicy = r.outboundTrafficPolicy;
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
    for (const n of names) out.push(join(p, n));
  }
  return out;
}

/** Loads every file, reporting the problems of all of them before failing; scenario names must be unique. */
export async function loadScenarioFiles(paths: readonly string[], opts: LoadOptions = {}): Promise<Scenario[]> {
  const files = await expandScenarioPaths(paths);
  const problems: Problem[] = [];
  const scenarios: Scenario[] = [];
  for (const f of files) {
    const text = readYamlFile(f);
    const r = parseScenario(text, f, opts);
    for (const p of r.problems) problems.push(p);
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
