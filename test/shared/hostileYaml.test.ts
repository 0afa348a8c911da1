/**
 * Hostile and broken YAML never gets past the loaders: alias bombs, deep nesting, huge files
 * and random mutations of real files all end as `file:line:col: field: message` lines (exit 2
 * through the CLI), never as a throw, a stack trace or another exit code.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadIstioResources } from '../../src/istio/resources.js';
import { UsageError } from '../../src/shared/errors.js';
import { seededRng } from '../../src/shared/random.js';
import type { Rng } from '../../src/shared/random.js';
import { formatProblem, loadYamlDocuments, MAX_YAML_BYTES, ProblemsError, readYamlFile } from '../../src/shared/yamlConfig.js';
import type { Problem } from '../../src/shared/yamlConfig.js';
import { rehearsalConfig } from '../../src/scenario/rehearsalRig.js';
import { meshCheck } from '../../src/scenario/runFiles.js';
import { parseScenario } from '../../src/scenario/schema.js';
import { runCli } from '../helpers/cli.js';

const BOMB = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]', 'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d]', ''].join('\n');
const DEEP = `name: deep\nsteps: ${'['.repeat(5000)}${']'.repeat(5000)}\n`;
const NESTED_200 = `${Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')} 1\n`;

const EGRESS = readFileSync(new URL('../../scenarios/egress-timeout.yaml', import.meta.url), 'utf8');
const SCENARIOS = ['egress-timeout', 'istio-circuit-breaking', 'outlier-ejection', 'fault-injection', 'concurrency-sweep'].map((n) =>
  readFileSync(new URL(`../../scenarios/${n}.yaml`, import.meta.url), 'utf8'),
);
/** Istio's egress task as one multi-document file: ServiceEntry + VirtualService + DestinationRule. */
const ISTIO_EGRESS = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: httpbin-ext }
spec:
  hosts: [httpbin.org]
  ports: [{ number: 80, name: http, protocol: HTTP }]
  resolution: DNS
  location: MESH_EXTERNAL
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin-ext }
spec:
  hosts: [httpbin.org]
  http:
    - timeout: 3s
      route: [{ destination: { host: httpbin.org }, weight: 100 }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: httpbin-ext }
spec:
  host: httpbin.org
  trafficPolicy: { connectionPool: { tcp: { maxConnections: 1 } } }
`;

const LINE = (file: string): RegExp => new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: \\S[^\\n]*: [^\\n]+$`);

function expectLocated(problems: Problem[], file: string): void {
  expect(problems.length).toBeGreaterThan(0);
  for (const p of problems) expect(formatProblem(p)).toMatch(LINE(file));
}

const SPECIAL = ['&a ', '*a', '*b ', '!!binary ', '!tag ', '|', '>', '{', '}', '[', ']', ': ', '- ', '? ', '#', '%', '@', '`', "'", '"', '\t', '\n', '\r\n', '---\n', '...\n', '<<: *a', '\u0000', '\uFEFF', '\\', '&a [x, *a]', ' '.repeat(9)];

function mutate(text: string, rng: Rng): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)] as T;
  let t = text;
  const edits = 1 + Math.floor(rng() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(rng() * (t.length + 1));
    switch (Math.floor(rng() * 6)) {
      case 0:
        t = t.slice(0, at) + pick(SPECIAL) + t.slice(at);
        break;
      case 1:
        t = t.slice(0, at) + t.slice(at + 1 + Math.floor(rng() * 20));
        break;
      case 2:
        t = t.slice(0, at);
        break;
      case 3: {
        const lines = t.split('\n');
        const i = Math.floor(rng() * lines.length);
        lines.splice(i, 0, lines[i] ?? '');
        t = lines.join('\n');
        break;
      }
      case 4:
        t = t.slice(0, at) + String.fromCharCode(Math.floor(rng() * 0x3000)) + t.slice(at + 1);
        break;
      default:
        t = `${t.slice(0, at)}&x ${t.slice(at)}\nzz: [*x, *x, *x]\n`;
    }
  }
  return t;
}

function randomBytes(rng: Rng): string {
  const n = Math.floor(rng() * 400);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rng() * 256);
  return b.toString('utf8');
}

describe('hostile YAML', () => {
  it('an alias bomb, deep nesting and an unknown alias are problems at their line, not throws', () => {
    const bomb = loadYamlDocuments(BOMB, 'bomb.yaml');
    expect(bomb.docs).toEqual([]);
    expect(bomb.problems.map(formatProblem)).toEqual(['bomb.yaml:2:8: (yaml): aliases (*name) expand to too many nodes (a YAML alias bomb?); at most 100 expansions']);
    expectLocated(loadYamlDocuments(DEEP, 'deep.yaml').problems, 'deep.yaml');
    const nested = loadYamlDocuments(NESTED_200, 'nested.yaml').problems.map(formatProblem);
    expect(nested).toEqual(['nested.yaml:65:65: (yaml): nested too deeply (more than 64 levels of mappings and lists)']);
    expect(loadYamlDocuments('a: *nope\n', 'alias.yaml').problems.map(formatProblem)).toEqual(['alias.yaml:1:4: (yaml): Unresolved alias (the anchor must be set before the alias): nope']);
    // The same documents through both loaders that use it.
    expectLocated(parseScenario(BOMB, 's.yaml').problems, 's.yaml');
    expectLocated(loadIstioResources([{ text: BOMB, file: 'dr.yaml' }]).problems, 'dr.yaml');
  });

  it('a file over the size limit is refused before it is read whole, naming file, size and limit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-size-'));
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `name: big\ndescription: |\n${'  line\n'.repeat(200)}`);
    const size = readFileSync(big).length;
    expect(() => readYamlFile(big, 1000)).toThrow(new UsageError(`${big}: ${size} bytes, over the 1000-byte limit for YAML files`));
    expect(readYamlFile(big)).toContain('line');
    expect(MAX_YAML_BYTES).toBe(1024 * 1024);
    expect(() => readYamlFile(dir)).toThrow(UsageError);
    expect(() => readYamlFile(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml: ENOENT/);
  });

  it('a file with thousands of problems prints the first 100 and a count', () => {
    const text = `name: x\n${Array.from({ length: 3000 }, (_, i) => `k${i}: 1`).join('\n')}\n`;
    const r = parseScenario(text, 'many.yaml');
    expect(r.problems.length).toBeGreaterThan(100);
    const lines = new ProblemsError(r.problems).message.split('\n');
    expect(lines).toHaveLength(101);
    expect(lines[100]).toBe(`… and ${r.problems.length - 100} more problems`);
  });

  it('seeded fuzz: mutated scenarios, Istio YAML and random bytes are valid or located problems, never a throw', () => {
    const rng = seededRng(20261206);
    const local = { meshChecks: meshCheck(true) };
    let valid = 0;
    let refused = 0;
    for (let i = 0; i < 600; i++) {
      const kind = i % 3;
      const text = kind === 2 ? randomBytes(rng) : mutate(kind === 0 ? (SCENARIOS[i % SCENARIOS.length] as string) : ISTIO_EGRESS, rng);
      if (kind === 1) {
        const r = loadIstioResources([{ text, file: 'f.yaml' }]);
        if (r.problems.length > 0) expectLocated(r.problems, 'f.yaml');
        r.problems.length > 0 ? refused++ : valid++;
        continue;
      }
      const r = parseScenario(text, 'f.yaml', local);
      if (!r.scenario) {
        expectLocated(r.problems, 'f.yaml');
        refused++;
        continue;
      }
      valid++;
      // What the loader accepted, the rehearsal maps or refuses with a UsageError.
      try {
        rehearsalConfig(r.scenario);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
      }
    }
    // Both outcomes were exercised, so the fuzz is not vacuous.
    expect(valid).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(200);
  });
});

describe('hostile YAML through the CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-hostile-'));
  const file = (name: string, text: string): string => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const bomb = file('bomb.yaml', BOMB);
  const deep = file('deep.yaml', DEEP);
  const noise = file('noise.yaml', randomBytes(seededRng(7)));
  const big = file('big.yaml', `name: big\ndescription: |\n${'  x\n'.repeat(300_000)}`);

  it.each([
    ['run', bomb],
    ['run --dry-run', bomb],
    ['sidecar -f', bomb],
    ['run --dry-run', deep],
    ['sidecar -f', deep],
    ['run --dry-run', noise],
    ['run --dry-run', big],
    ['sidecar -f', big],
  ])('%s %s: exit 2, one located line, no stack trace', async (cmd, path) => {
    const r = await runCli([...cmd.split(' '), path, ...(cmd.startsWith('sidecar') ? ['-listen', '127.0.0.1:0', '-admin', 'off'] : [])], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(r.stderr).not.toMatch(/^\s+at /m);
    if (path === big) expect(lines).toEqual([`tripbench: ${big}: ${readFileSync(big).length} bytes, over the ${MAX_YAML_BYTES}-byte limit for YAML files`]);
    else for (const l of lines) expect(l.replace(/^tripbench: /, '')).toMatch(LINE(path));
  });

  it('keeps EGRESS readable (fixture sanity)', () => {
    expect(EGRESS).toContain('ServiceEntry');
  });
});
