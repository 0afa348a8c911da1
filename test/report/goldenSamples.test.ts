/**
 * Golden tests against real fortio 1.33 runs: parse each sample's JSON, render it, and compare
 * with the sample's stderr line by line. tripbench follows today's fortio where the two differ
 * (fortio-compat.md §11.3); every such line is rewritten below with the reason next to it.
 */
import { describe, expect, it } from 'vitest';
import { parseFortioJson } from '../../src/report/fortioJson.js';
import {
  DEFAULT_PERCENTILES, formatFirstLine, formatHistogram, formatReport, formatStartLine, type FirstLineInfo, type StartLineInfo,
} from '../../src/report/fortioText.js';
import { exportHistogram, newFortioHistogram, recordValue, type HistogramData } from '../../src/stats/fortioHistogram.js';
import { Level } from '../../src/shared/log.js';
import { readSample, reportLines, samplePairs } from './samples.js';

const VERSION_133 = 'fortio.org/fortio not found in buildinfo';

interface Case {
  /** command line of the run (README.md), as the CLI would map it */
  first: Omit<FirstLineInfo, 'version' | 'cores' | 'workers'>;
  start: Omit<StartLineInfo, 'workers'>;
  /** Sleep times are not in fortio's JSON: rebuilt from the numbers the sample printed. */
  sleep?: HistogramData;
  /** -c of a run without -n: what "(plus N warmup)" shows (our runs record it in Tripbench). */
  warmup?: number;
}

const max = (threads: number, n: number): Omit<StartLineInfo, 'workers'> => ({
  qps: 0, threads, exactly: n, durationNs: 0, perThread: Math.floor(n / threads), leftover: n % threads,
});
const url = (path: string, port = 18190) => `http://127.0.0.1:${port}${path}`;

const CASES: Record<string, Case> = {
  'fortio-load-503-allow-initial-errors': { first: { qps: 0, calls: 20, durationNs: 5e9, url: url('/echo?status=503', 18081) }, start: max(2, 20) },
  'fortio-load-c10-n5-overcount': { first: { qps: 0, calls: 5, durationNs: 5e9, url: url('/', 18080) }, start: max(10, 5) },
  'fortio-load-c2-n20': { first: { qps: 0, calls: 20, durationNs: 5e9, url: url('/', 18080) }, start: max(2, 20) },
  'fortio-load-multibucket-c4-n200': { first: { qps: 0, calls: 200, durationNs: 5e9, url: url('/echo?delay=1ms:30,5ms:20,15ms:10,60ms:5') }, start: max(4, 200) },
  'fortio-load-overflow-r1e-7': { first: { qps: 0, calls: 20, durationNs: 5e9, url: url('/echo?delay=20ms') }, start: max(2, 20) },
  'fortio-load-p-custom-503': { first: { qps: 0, calls: 90, durationNs: 5e9, url: url('/echo?delay=2ms:40,7ms:20&status=503:20') }, start: max(3, 90) },
  'fortio-load-r0.0001': { first: { qps: 0, calls: 120, durationNs: 5e9, url: url('/echo?delay=150us:40,400us:30,2ms:10') }, start: max(2, 120) },
  'fortio-load-refused-n10': { first: { qps: 0, calls: 10, durationNs: 5e9, url: url('/', 18199) }, start: max(2, 10) },
  'fortio-load-timeouts-mixed': { first: { qps: 0, calls: 40, durationNs: 5e9, url: url('/echo?delay=50ms:20&status=503:20') }, start: max(2, 40) },
  'fortio-load-qps50-t2s': {
    first: { qps: 50, durationNs: 2e9, url: url('/echo?delay=2ms:50') },
    start: { qps: 50, threads: 2, exactly: 0, durationNs: 2e9, perThread: 50, leftover: 0 },
    warmup: 2,
    // printed: Sleep times : count 98 avg 0.038619892 +/- 0.001161 min 0.0369473 max 0.04046107 sum 3.78474937
    sleep: {
      Count: 98, Min: 0.0369473, Max: 0.04046107, Sum: 3.78474937, Avg: 3.78474937 / 98, StdDev: 0.001161,
      Data: [{ Start: 0.0369473, End: 0.04046107, Percent: 100, Count: 98 }],
    },
  },
  'fortio-load-qps200-behind': {
    first: { qps: 200, durationNs: 1e9, url: url('/echo?delay=10ms') },
    start: { qps: 200, threads: 1, exactly: 0, durationNs: 1e9, perThread: 200, leftover: 0 },
    warmup: 1,
    // every sleep in bucket 0 (<= -1 ms), so its only bucket ends at Max (§4.3)
    sleep: {
      Count: 95, Min: -0.532082459, Max: -0.005656111, Sum: -25.6801288, Avg: -25.6801288 / 95, StdDev: 0.1542,
      Data: [{ Start: -0.532082459, End: -0.005656111, Percent: 100, Count: 95 }],
    },
  },
};

/** Rewrites a 1.33 line into what current fortio (and so tripbench) prints instead. */
function toCurrent(line: string): string {
  // §3.2 item 12 / §11.3 item 12: since 1.39 the flags line also shows "Catchup allowed".
  const m = /^Uniform: (true|false), Jitter: (true|false)$/.exec(line);
  if (m) return `${line}, Catchup allowed: true`;
  return line;
}

function render(name: string, c: Case): { actual: string[]; expected: string[] } {
  const txt = readSample(`${name}.txt`);
  const result = parseFortioJson(readSample(`${name}.json`), `${name}.json`);
  if (c.sleep) result.Tripbench = { ...emptyExtras(), WarmupCalls: c.warmup ?? 0, SleepHistogram: c.sleep };
  const wrote = /^Successfully wrote (\d+) bytes of Json data to (.+)$/m.exec(txt);
  const text =
    formatFirstLine({ ...c.first, version: VERSION_133, cores: 2, workers: 2 }) +
    formatStartLine({ ...c.start, workers: 2 }) +
    formatReport(result, {
      level: Level.Info,
      jsonWritten: wrote ? { bytes: Number(wrote[1]), target: wrote[2] as string } : undefined,
    });
  const actual = text.split('\n');
  expect(actual.pop()).toBe('');
  // 1.33 has no "# Socket and IP…" block and no connection-time lines (§3.2 items 9–10, §11.3
  // item 12): its JSON has no per-connection data and no ConnectionStats, so nothing to add.
  return { actual, expected: reportLines(txt).map(toCurrent) };
}

function emptyExtras() {
  return { Version: 'test', WarmupCalls: 0, ThreadsFlag: 0, Interrupted: false, ErrorKinds: {}, ThreadCalls: [], ThreadDurations: [], Workers: [] };
}

describe('golden: every fortio 1.33 .txt/.json pair re-renders from its JSON', () => {
  it('covers every pair in the samples', () => {
    expect(samplePairs()).toEqual(Object.keys(CASES).sort());
  });

  for (const [name, c] of Object.entries(CASES)) {
    if (name === 'fortio-load-c2-n20') continue;
    it(name, () => {
      const { actual, expected } = render(name, c);
      expect(actual).toEqual(expected);
    });
  }

  it('fortio-load-c2-n20 (text and JSON come from two different runs, README.md)', () => {
    const { actual, expected } = render('fortio-load-c2-n20', CASES['fortio-load-c2-n20'] as Case);
    // Only the lines computed from DurationHistogram / ActualQPS / ActualDuration differ.
    const runSpecific = /^(Ended after|Aggregated Function Time|# range|>=? |# target|All done)/;
    expect(actual.filter((l) => !runSpecific.test(l))).toEqual(expected.filter((l) => !runSpecific.test(l)));
    expect(actual.filter((l) => runSpecific.test(l)).length).toBe(expected.filter((l) => runSpecific.test(l)).length);
  });

  it('falls back to -c (= NumThreads without -n) for "plus N warmup" on fortio JSON', () => {
    const r = parseFortioJson(readSample('fortio-load-qps50-t2s.json'));
    expect(formatReport(r, { level: Level.Error })).toContain('All done 100 calls (plus 2 warmup) 1.479 ms avg, 49.9 qps\n');
    const n = parseFortioJson(readSample('fortio-load-multibucket-c4-n200.json'));
    expect(formatReport(n, { level: Level.Error })).toContain('(plus 0 warmup)');
  });
});

describe('golden: the -quiet (Error level) shape of fortio-load-quiet-503.txt', () => {
  it('prints exactly the lines fortio printed (with the current flags line)', () => {
    // No JSON was written for that run: the result is rebuilt from the numbers it printed.
    const r = parseFortioJson(readSample('fortio-load-multibucket-c4-n200.json'));
    r.DurationHistogram = {
      Count: 40, Min: 7.2987e-5, Max: 0.003971561, Sum: 0.079868454, Avg: 0.0019967114, StdDev: 0.001628,
      Data: [{ Start: 7.2987e-5, End: 0.003971561, Percent: 100, Count: 40 }],
      Percentiles: [
        { Percentile: 50, Value: 0.00308832 }, { Percentile: 75, Value: 0.00352994 }, { Percentile: 90, Value: 0.00379491 },
        { Percentile: 99, Value: 0.0039539 }, { Percentile: 99.9, Value: 0.00396979 },
      ],
    };
    r.ErrorsDurationHistogram = {
      Count: 8, Min: 0.000173456, Max: 0.003657932, Sum: 0.011737047, Avg: 0.0014671309, StdDev: 0.001579,
      Data: [{ Start: 0.000173456, End: 0.003657932, Percent: 100, Count: 8 }],
      Percentiles: [{ Percentile: 50, Value: 0.002 }],
    };
    Object.assign(r, { SocketCount: 9, NumThreads: 2, IPCountMap: { '127.0.0.1:18190': 2 }, RetCodes: { '200': 32, '503': 8 }, ActualQPS: 992.6 });
    const text =
      formatFirstLine({ qps: 0, calls: 40, durationNs: 5e9, url: url('/echo?status=503:25&delay=3ms:50'), version: VERSION_133, cores: 2, workers: 2 }) +
      formatReport(r, { level: Level.Error });
    expect(text.split('\n').slice(0, -1)).toEqual(reportLines(readSample('fortio-load-quiet-503.txt')).map(toCurrent));
  });
});

describe('golden: where current export rules change a 1.33 sample', () => {
  it('overflow-r1e-7: a first (overflow) bucket starts at Min since 1.71.1 (§11.3 item 2)', () => {
    const r = parseFortioJson(readSample('fortio-load-overflow-r1e-7.json'));
    const d = r.DurationHistogram;
    // What 1.33 wrote and printed: Start = 100000 × r = 0.01 although Min is 0.0203.
    expect(d.Data).toEqual([{ Start: 0.01, End: d.Max, Percent: 100, Count: 20 }]);
    expect(reportLines(readSample('fortio-load-overflow-r1e-7.txt'))).toContain('>= 0.01 <= 0.0214085 , 0.0157042 , 100.00, 20');
    // The same 20 latencies (Min, Max and 18 in between; all > 0.01 s) under today's rules.
    const h = newFortioHistogram(0, 1e-7);
    for (const v of [d.Min, d.Max, ...Array.from({ length: 18 }, () => 0.0205)]) recordValue(h, v);
    const cur = exportHistogram(h, DEFAULT_PERCENTILES);
    expect(cur.Data).toEqual([{ Start: d.Min, End: d.Max, Percent: 100, Count: 20 }]);
    // Expected strings computed independently (Python, §4.4 formula, %.6g).
    expect(formatHistogram('Aggregated Function Time', cur).split('\n').slice(1)).toEqual([
      '# range, mid point, percentile, count',
      '>= 0.0203443 <= 0.0214085 , 0.0208764 , 100.00, 20',
      '# target 50% 0.0208484',
      '# target 75% 0.0211284',
      '# target 90% 0.0212964',
      '# target 99% 0.0213973',
      '# target 99.9% 0.0214073',
      '',
    ]);
  });
});
