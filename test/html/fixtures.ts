/**
 * Inputs for the HTML report tests, built the way real runs produce them: runLoad against
 * loopback servers (tens of calls), the scenario pipeline (plan → observe → evaluate) on those
 * results, and for a 1-hour run latencies recorded into the real histograms.
 */
import { DEFAULT_RUN_OPTIONS } from '../../src/engine/options.js';
import { runLoad } from '../../src/load/runLoad.js';
import { encodeFortioJson, parseFortioJson } from '../../src/report/fortioJson.js';
import type { FortioResult } from '../../src/report/fortioResult.js';
import { evaluateExpectations, notRunResults } from '../../src/scenario/expectEvaluate.js';
import { neededPercentiles, observe } from '../../src/scenario/observe.js';
import { planScenario } from '../../src/scenario/plan.js';
import type { ScenarioResult, StepResult } from '../../src/scenario/results.js';
import { exportHistogram, newFortioHistogram, recordValue } from '../../src/stats/fortioHistogram.js';
import { encodeHdr, newHdr, recordNs } from '../../src/stats/hdr.js';
import { seededRng } from '../../src/shared/random.js';
import { OK_RESPONSE, UNAVAILABLE_RESPONSE, refusedPort, startRawServer } from '../helpers/servers.js';
import { fixtureScenario } from '../scenario/helpers.js';

const QUIET = { write: () => undefined };

/** A real load: `c` threads, `n` calls, no pacing. */
export async function loadResult(url: string, c: number, n: number): Promise<FortioResult> {
  const out = await runLoad({
    run: { ...DEFAULT_RUN_OPTIONS, threads: c, qps: 0, exactly: n, allowInitialErrors: true },
    http: { url, timeoutMs: 3000 },
    log: QUIET,
  });
  // Through the JSON encoder and reader, as a saved step file would come back.
  return parseFortioJson(encodeFortioJson(out.result), 'loadResult');
}

/**
 * A server that answers 503 to `k503` of every `period` timed calls (spread out, deterministic
 * in count) after `warmup` requests, and 200 after 2 ms otherwise: a breaker's shape.
 */
export async function withBreakerServer<T>(warmup: number, k503: number, period: number, f: (url: string) => Promise<T>): Promise<T> {
  const srv = await startRawServer((req, s) => {
    const i = req.index - warmup;
    if (i >= 0 && (i * 7) % period < k503) s.write(UNAVAILABLE_RESPONSE);
    else setTimeout(() => !s.destroyed && s.write(OK_RESPONSE), 2);
  });
  try {
    return await f(srv.url);
  } finally {
    await srv.close();
  }
}

export async function oneCallResult(): Promise<FortioResult> {
  return withBreakerServer(1, 0, 1, (url) => loadResult(url, 1, 1));
}

/** Every call refused: fortio's own behaviour, code -1 for each call, no HTTP answer at all. */
export async function refusedResult(): Promise<FortioResult> {
  const { url } = await refusedPort();
  return loadResult(url, 2, 10);
}

/** A result with no call at all (a run stopped before its first call; old files with empty histograms). */
export function zeroCallResult(): FortioResult {
  return parseFortioJson(
    JSON.stringify({
      RunType: 'HTTP',
      Labels: 'stopped before the first call',
      URL: 'http://127.0.0.1:9/',
      NumThreads: 4,
      ActualDuration: 1_000_000,
      DurationHistogram: { Count: 0, Min: 0, Max: 0, Sum: 0, Avg: 0, StdDev: 0, Data: null },
      RetCodes: {},
      Tripbench: { Version: '0.1.0', WarmupCalls: 0, ThreadsFlag: 4, Interrupted: true, ErrorKinds: {}, ThreadCalls: [], ThreadDurations: [], Workers: [] },
    }),
    'zeroCallResult',
  );
}

/**
 * One hour at 100 qps: 360 000 latencies (lognormal around 5 ms, 0.5 % stalls up to 20 s, a few
 * 3 s timeouts as -1), recorded into fortio's buckets and the HDR histogram, with QpsOverTime.
 */
export function hourResult(): FortioResult {
  const rnd = seededRng(42);
  const all = newFortioHistogram(0, 0.001);
  const errs = newFortioHistogram(0, 0.001);
  const hdr = newHdr();
  const errHdr = newHdr();
  const codes: Record<string, number> = { '-1': 0, '200': 0, '503': 0 };
  const n = 360_000;
  for (let i = 0; i < n; i++) {
    const g = Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());
    let sec = 0.005 * Math.exp(0.5 * g);
    let code = '200';
    const u = rnd();
    if (u < 0.005) sec = 0.05 + rnd() * 20;
    else if (u < 0.006) {
      sec = 3;
      code = '-1';
    } else if (u < 0.05) {
      sec = 0.0003 + rnd() * 0.0005;
      code = '503';
    }
    recordValue(all, sec);
    recordNs(hdr, sec * 1e9);
    if (code !== '200') {
      recordValue(errs, sec);
      recordNs(errHdr, sec * 1e9);
    }
    codes[code] = (codes[code] ?? 0) + 1;
  }
  const qps = Array.from({ length: 360 }, (_, i) => ({ t: i * 10 + 10, qps: 100 + 8 * Math.sin(i / 9) - (i > 200 && i < 215 ? 60 : 0) }));
  return parseFortioJson(
    JSON.stringify({
      RunType: 'HTTP',
      Labels: 'one hour soak',
      StartTime: '2026-11-25T10:00:00Z',
      RequestedQPS: '100',
      RequestedDuration: '1h0m0s',
      ActualQPS: n / 3600,
      ActualDuration: 3600e9,
      NumThreads: 8,
      DurationHistogram: exportHistogram(all, [50, 75, 90, 99, 99.9]),
      ErrorsDurationHistogram: exportHistogram(errs, [50, 75, 90, 99, 99.9]),
      RetCodes: codes,
      URL: 'http://127.0.0.1:8080/soak',
      SocketCount: 8,
      Tripbench: {
        Version: '0.1.0', WarmupCalls: 8, ThreadsFlag: 8, Interrupted: false,
        DurationHdr: encodeHdr(hdr), ErrorsHdr: encodeHdr(errHdr), ErrorKinds: { timeout: codes['-1'] },
        ThreadCalls: [], ThreadDurations: [], Workers: [], QpsOverTime: qps,
      },
    }),
    'hourResult',
  );
}

/** 503s out of the timed calls at each step/point: c1 none, c2 3/20, c3 19/30; sweep 0/10, 2/20, 22/30. */
const BREAKER: Record<string, number> = { c1: 0, c2: 3, c3: 19, 'sweep.c1': 0, 'sweep.c2': 2, 'sweep.c3': 22 };

export interface CircuitBreakingRun {
  scenario: ScenarioResult;
  /** load result of each step run, by StepResult.key */
  steps: Record<string, FortioResult>;
}

/**
 * The circuit-breaking scenario (test/scenario/fixtures/circuit-breaking.yaml) through the real
 * pipeline on real loads; the sweep's c=4 point is left NOT RUN, as after Ctrl-C.
 */
export async function circuitBreakingRun(): Promise<CircuitBreakingRun> {
  const sc = fixtureScenario();
  const steps: Record<string, FortioResult> = {};
  const results: StepResult[] = [];
  for (const run of planScenario(sc)) {
    const base = { step: run.step, key: run.key, label: run.label, policy: run.policy, ...(run.point ? { point: run.point } : {}) };
    const k503 = BREAKER[run.key];
    const c = run.load.c ?? 1;
    const n = run.load.n ?? 10;
    if (k503 === undefined) {
      results.push({ ...base, status: 'not-run', results: notRunResults(run.expectations, 'the run was interrupted') });
      continue;
    }
    const r = await withBreakerServer(c, k503, n, (url) => loadResult(url, c, n));
    steps[run.key] = r;
    const observed = observe(r, { percentiles: neededPercentiles(run.expectations) });
    results.push({ ...base, status: 'completed', observed, results: evaluateExpectations(run.expectations, observed, run.policy), files: [`${run.key}.json`, `${run.key}.txt`] });
  }
  const scenario: ScenarioResult = {
    scenario: sc.name,
    description: sc.description,
    file: sc.file,
    target: sc.target,
    ...(sc.cluster ? { cluster: sc.cluster } : {}),
    meshYaml: sc.meshYaml,
    startedAt: '2026-11-25T17:28:22.597Z',
    finishedAt: '2026-11-25T17:29:02.100Z',
    interrupted: true,
    steps: results,
  };
  return { scenario, steps };
}
