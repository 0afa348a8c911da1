/**
 * Seeded fuzz of what a person can put into a request: random bytes in `-H`, `-X` and a
 * scenario's `headers`/`method`. Only two outcomes are allowed: a usage error on one line (the
 * CLI's exit 2: a FlagError, or file:line:col problems) or a request that reaches a raw server
 * as exactly one well-formed head with no line it was not asked for. Same seed, same inputs:
 * a failure names the seed and the case, and reruns the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLoadFlags } from '../../src/cli/loadFlags.js';
import { FlagError } from '../../src/cli/flags.js';
import { makeHttpOptions, type HttpOptionsInput } from '../../src/http/options.js';
import { curl } from '../../src/http/curl.js';
import { seededRng, type Rng } from '../../src/shared/random.js';
import { parseScenario } from '../../src/scenario/schema.js';
import { loadRequestFor } from '../../src/scenario/loadRequest.js';
import { formatProblem } from '../../src/shared/yamlConfig.js';
import { headProblem, startCaptureServer, type CaptureServer } from '../helpers/captureServer.js';

const SEED = 14;
const CASES = 150;
/** Characters that break things more often than uniform bytes would: line ends, NUL, ':' and code points whose low byte is CR/LF. */
const NASTY = ['\r', '\n', '\r\n', '\u0000', '\t', ' ', ':', '\u010a', '\u010d', '\u0d0a', 'é', '日', '\u007f', '\u0085', '\u2028'];

function randomText(rng: Rng, max: number, nasty = 0.3): string {
  let s = '';
  const n = Math.floor(rng() * max);
  for (let i = 0; i < n; i++) {
    const r = rng();
    if (r < nasty) s += NASTY[Math.floor(rng() * NASTY.length)];
    else if (r < 0.85) s += String.fromCharCode(0x20 + Math.floor(rng() * 95));
    else s += String.fromCharCode(Math.floor(rng() * 256));
  }
  return s;
}

function randomHeader(rng: Rng): string {
  const name = rng() < 0.7 ? `X-${Math.floor(rng() * 1000)}` : randomText(rng, 8);
  return `${name}${rng() < 0.9 ? ':' : ''}${randomText(rng, 20, rng() < 0.5 ? 0.02 : 0.3)}`;
}

function randomMethod(rng: Rng): string {
  return rng() < 0.6 ? ['GET', 'PUT', 'PATCH', 'M-SEARCH', 'X~1'][Math.floor(rng() * 5)] ?? 'GET' : randomText(rng, 12);
}

let srv: CaptureServer;
beforeAll(async () => {
  srv = await startCaptureServer();
});
afterAll(() => srv.close());

/** A valid run: one head arrives, well formed, carrying each asked-for field and nothing else. */
async function expectClean(input: HttpOptionsInput, what: string, stdClient: boolean): Promise<void> {
  const { options } = makeHttpOptions({ ...input, stdClient }); // accepted flags never fail here
  srv.reset();
  const r = await curl(options);
  expect(r.code, `${what}: ${r.error}`).toBe(200);
  const heads = srv.heads();
  expect(heads, what).toHaveLength(1);
  const head = heads[0] ?? '';
  expect(headProblem(head), `${what}: ${JSON.stringify(head)}`).toBeUndefined();
  // one line per field asked for (Host, User-Agent, the -H fields, framing); undici adds none we did not ask for but connection
  const names = head.split('\r\n').slice(1).map((l) => l.slice(0, l.indexOf(':')).toLowerCase());
  const asked = new Set(['host', 'user-agent', 'content-type', 'content-length', 'connection', ...options.headers.map(([k]) => k.toLowerCase())]);
  for (const n of names) expect(asked.has(n), `${what}: unexpected field ${n} in ${JSON.stringify(head)}`).toBe(true);
}

describe(`fuzz (seed ${SEED}, ${CASES} cases each): one-line usage error or a clean request`, () => {
  it('-H and -X, lean client and -stdclient', async () => {
    const rng = seededRng(SEED);
    let accepted = 0;
    for (let i = 0; i < CASES; i++) {
      const headers = Array.from({ length: 1 + Math.floor(rng() * 2) }, () => randomHeader(rng));
      const method = randomMethod(rng);
      const argv = [...headers.flatMap((h) => ['-H', h]), '-X', method, srv.url];
      const what = `case ${i}: ${JSON.stringify(argv)}`;
      let cfg;
      try {
        cfg = parseLoadFlags(argv, 'curl');
      } catch (e) {
        expect(e, what).toBeInstanceOf(FlagError); // the CLI prints it on one line and exits 2
        expect((e as Error).message, what).not.toMatch(/[\r\n]/);
        continue;
      }
      accepted++;
      await expectClean({ url: cfg.urlTyped, method: cfg.http.method, headers: cfg.spec.H ?? [] }, what, i % 2 === 1);
    }
    expect(accepted).toBeGreaterThan(10);
  }, 30_000);

  it('scenario headers and method', async () => {
    const rng = seededRng(SEED + 1);
    let accepted = 0;
    for (let i = 0; i < CASES; i++) {
      const headers = Array.from({ length: 1 + Math.floor(rng() * 2) }, () => randomHeader(rng));
      const method = randomMethod(rng);
      const text = `name: fuzz\ntarget: ${srv.url}\nsteps:\n  - name: a\n    load: { method: ${JSON.stringify(method)}, headers: ${JSON.stringify(headers)} }\n`;
      const what = `case ${i}: ${JSON.stringify(text)}`;
      const { scenario, problems } = parseScenario(text, 'fuzz.yaml');
      if (problems.length > 0 || !scenario) {
        expect(problems.length, what).toBeGreaterThan(0);
        for (const p of problems) expect(formatProblem(p), what).toMatch(/^fuzz\.yaml:\d+:\d+: [^\r\n]+$/);
        continue;
      }
      accepted++;
      const step = scenario.steps[0];
      if (!step) throw new Error(`${what}: no step`);
      await expectClean(loadRequestFor(step.load, scenario.target).http, what, i % 2 === 1);
    }
    expect(accepted).toBeGreaterThan(10);
  }, 30_000);
});
