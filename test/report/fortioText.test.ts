import { describe, expect, it } from 'vitest';
import type { FortioResult } from '../../src/report/fortioResult.js';
import {
  formatAddresses, formatCounterLine, formatFirstLine, formatHistogram, formatReport, formatStartLine, sleepBehindPercent,
  startLineShown, type StartLineInfo,
} from '../../src/report/fortioText.js';
import { parseFortioJson } from '../../src/report/fortioJson.js';
import { exportHistogram, newFortioHistogram, recordValue, type HistogramData } from '../../src/stats/fortioHistogram.js';
import { Level } from '../../src/shared/log.js';
import { LONG_VERSION } from '../../src/shared/version.js';
import { currentExampleResult, currentExampleWithConnections } from './currentExample.js';

const lines = (s: string) => s.split('\n').slice(0, -1);

function sleepHist(values: readonly number[]): HistogramData {
  const h = newFortioHistogram(-0.001, 0.001);
  for (const v of values) recordValue(h, v);
  return exportHistogram(h);
}

function withSleep(sleep: HistogramData): FortioResult {
  const r = currentExampleWithConnections();
  (r.Tripbench as NonNullable<FortioResult['Tripbench']>).SleepHistogram = sleep;
  return r;
}

describe('formatFirstLine (§3.2 item 1)', () => {
  const base = { qps: 0, cores: 8, workers: 4, durationNs: 5e9, url: 'localhost:8080/get?a=1&b=2' };
  it('uses our version and maps gomax to cores -> workers', () => {
    expect(formatFirstLine({ ...base, calls: 20 })).toBe(`Fortio ${LONG_VERSION} running at 0 queries per second, 8->4 procs, for 20 calls: localhost:8080/get?a=1&b=2\n`);
    expect(LONG_VERSION).toMatch(/^tripbench-/);
  });
  it('has the duration and until-interrupted shapes, qps printed %g as given', () => {
    expect(formatFirstLine({ ...base, qps: 8, version: 'v' })).toBe('Fortio v running at 8 queries per second, 8->4 procs, for 5s: localhost:8080/get?a=1&b=2\n');
    expect(formatFirstLine({ ...base, qps: -1, durationNs: 0, version: 'v' })).toBe('Fortio v running at -1 queries per second, 8->4 procs, until interrupted: localhost:8080/get?a=1&b=2\n');
    expect(formatFirstLine({ ...base, qps: 0.5, durationNs: 60e9, version: 'v' })).toContain('at 0.5 queries per second, 8->4 procs, for 1m0s: ');
    expect(formatFirstLine({ ...base, qps: 1e6, calls: 0, version: 'v' })).toContain('at 1e+06 queries per second');
  });
});

describe('formatStartLine (§3.2 item 3, all six shapes)', () => {
  const s = (i: Partial<StartLineInfo>) => formatStartLine({ qps: 0, threads: 4, workers: 8, exactly: 0, durationNs: 0, perThread: 0, leftover: 0, ...i });
  it.each<[Partial<StartLineInfo>, string]>([
    [{ threads: 2, exactly: 20, perThread: 10 }, 'Starting at max qps with 2 thread(s) [gomax 8] for exactly 20 calls (10 per thread + 0)'],
    [{ threads: 10, exactly: 5, perThread: 0, leftover: 5 }, 'Starting at max qps with 10 thread(s) [gomax 8] for exactly 5 calls (0 per thread + 5)'],
    [{ durationNs: 5e9 }, 'Starting at max qps with 4 thread(s) [gomax 8] for 5s'],
    [{}, 'Starting at max qps with 4 thread(s) [gomax 8] until interrupted'],
    [{ qps: 8, durationNs: 5e9, perThread: 10 }, 'Starting at 8 qps with 4 thread(s) [gomax 8] for 5s : 10 calls each (total 40)'],
    [{ qps: 10, threads: 2, workers: 2, exactly: 5, durationNs: 5e9, perThread: 2, leftover: 1 }, 'Starting at 10 qps with 2 thread(s) [gomax 2] : exactly 5, 2 calls each (total 4 + 1)'],
    [{ qps: 10, threads: 1, exactly: 1, perThread: 2, leftover: -1 }, 'Starting at 10 qps with 1 thread(s) [gomax 8] : exactly 1, 2 calls each (total 2 + -1)'],
    [{ qps: 8 }, 'Starting at 8 qps with 4 thread(s) [gomax 8] until interrupted'],
    [{ qps: 0.5, durationNs: 4e9, threads: 1, perThread: 2 }, 'Starting at 0.5 qps with 1 thread(s) [gomax 8] for 4s : 2 calls each (total 2)'],
  ])('%j', (info, want) => {
    expect(s(info)).toBe(want + '\n');
  });

  it('appends the access logger suffix', () => {
    expect(s({ durationNs: 1e9, accessLogInfo: 'mode json to access.log' })).toBe(
      'Starting at max qps with 4 thread(s) [gomax 8] for 1s with access logger mode json to access.log\n',
    );
  });

  it('shows the line at Warning and below; "until interrupted" at every level', () => {
    const timed: StartLineInfo = { qps: 0, threads: 1, workers: 1, exactly: 0, durationNs: 1e9, perThread: 0, leftover: 0 };
    expect(startLineShown(timed, Level.Warning)).toBe(true);
    expect(startLineShown(timed, Level.Error)).toBe(false);
    expect(startLineShown({ ...timed, durationNs: 0 }, Level.Error)).toBe(true);
    expect(startLineShown({ ...timed, durationNs: 0, qps: 5 }, Level.Fatal)).toBe(true);
  });
});

describe('histogram blocks (§3.3)', () => {
  it('prints no data, counter lines and >= / > bucket lines', () => {
    const empty: HistogramData = { Count: 0, Min: 0, Max: 0, Sum: 0, Avg: 0, StdDev: 0, Data: null };
    expect(formatHistogram('Error cases', empty)).toBe('Error cases : no data\n');
    expect(formatCounterLine('Error cases', empty)).toBe('Error cases : count 0 avg 0 +/- 0 min 0 max 0 sum 0\n');
    const h = newFortioHistogram(0, 0.001);
    for (const v of [0.001, 0.0015, 0.0052]) recordValue(h, v);
    expect(lines(formatHistogram('T', exportHistogram(h, [50])))).toEqual([
      'T : count 3 avg 0.0025666667 +/- 0.001873 min 0.001 max 0.0052 sum 0.0077',
      '# range, mid point, percentile, count',
      '>= 0.001 <= 0.001 , 0.001 , 33.33, 1', // min on an edge: first bucket is [0.001, 0.001]
      '> 0.001 <= 0.002 , 0.0015 , 66.67, 1',
      '> 0.005 <= 0.0052 , 0.0051 , 100.00, 1', // skipped empty buckets: starts at the previous edge
      '# target 50% 0.0015',
    ]);
  });
});

describe('formatReport log levels (§3.2, §3.5)', () => {
  it('Verbose prints the size histograms in full', () => {
    const out = formatReport(currentExampleWithConnections(), { level: Level.Verbose });
    expect(out).toContain('Response Header Sizes Histogram : count 6 avg 191.66667 +/- 85.72 min 0 max 230 sum 1150\n# range, mid point, percentile, count\n>= 0 <= 0 , 0 , 16.67, 1\n> 225 <= 230 , 227.5 , 100.00, 5\n');
    expect(out).toContain('Response Body/Total Sizes Histogram : count 6');
    expect(out).not.toContain('Response Header Sizes :');
  });

  it('Error level: no Ended/sizes/connection time; counters for empty histograms', () => {
    const r = currentExampleResult();
    r.ErrorsDurationHistogram = { Count: 0, Min: 0, Max: 0, Sum: 0, Avg: 0, StdDev: 0, Data: null };
    const out = formatReport(r, { level: Level.Error });
    expect(out).toContain('Error cases : count 0 avg 0 +/- 0 min 0 max 0 sum 0\n');
    expect(out).not.toMatch(/Ended after|Response|Connection time|no data|# range/);
    expect(formatReport(r, { level: Level.Warning })).toContain('Error cases : no data\n');
  });

  it('uses -p for histograms whose data carries no percentiles', () => {
    const r = currentExampleResult();
    delete r.DurationHistogram.Percentiles;
    delete r.ErrorsDurationHistogram.Percentiles;
    expect(formatReport(r, { level: Level.Warning })).not.toContain('# target');
    expect(formatReport(r, { level: Level.Warning, percentiles: [50] })).toContain('# target 50% 0.001\nError cases');
    expect(formatReport(r, { level: Level.Warning, percentiles: [50] })).toContain('# target 50% 0.000987654\nConnection time');
  });

  it('adds the JSON line', () => {
    const out = formatReport(currentExampleResult(), { level: Level.Error, jsonWritten: { bytes: 2397, target: 'stdout' } });
    expect(out.endsWith('qps\nSuccessfully wrote 2397 bytes of Json data to stdout\n')).toBe(true);
  });
});

describe('sleep statistics (§3.2 item 6)', () => {
  const onTime = Array.from({ length: 20 }, (_, i) => 0.01 + i * 0.0001);
  it('on schedule: counter line at Warning, histogram with p50 only at Verbose, nothing at Error', () => {
    const h = sleepHist(onTime);
    expect(sleepBehindPercent(h)).toBe(0);
    const w = formatReport(withSleep(h), { level: Level.Warning });
    expect(w).toMatch(/\nSleep times : count 20 avg 0.01095 \+\/- 0.0005766 min 0.01 max 0.0119 sum 0.219\nAggregated Function Time/);
    const v = formatReport(withSleep(h), { level: Level.Verbose });
    expect(v).toContain('\nAggregated Sleep Time : count 20');
    expect(v).toMatch(/# target 50% [\d.]+\nAggregated Function Time/);
    expect(v).not.toContain('WARNING');
    expect(formatReport(withSleep(h), { level: Level.Error })).not.toMatch(/Sleep/);
  });

  it('more than 5% of sleeps <= -1 ms: full histogram and WARNING at every level', () => {
    const h = sleepHist([-0.05, -0.001, ...onTime.slice(2)]); // -0.001 scales to 0: bucket 0
    expect(sleepBehindPercent(h)).toBe(10);
    const out = formatReport(withSleep(h), { level: Level.Error });
    // At Error level there is no "Ended after" line: the sleep block comes first.
    expect(out.startsWith(
      'Aggregated Sleep Time : count 20 avg 0.007395 +/- 0.01343 min -0.05 max 0.0119 sum 0.1479\n# range, mid point, percentile, count\n' +
        '>= -0.05 <= -0.001 , -0.0255 , 10.00, 2\n', // bucket 0 ends at the offset when it is not the last
    )).toBe(true);
    expect(out).toMatch(/# target 50% [\d.]+\nWARNING 10.00% of sleep were falling behind\nAggregated Function Time/);
  });

  it('exactly 5% behind is not "falling behind"; -0.9 ms is not behind at all', () => {
    expect(sleepBehindPercent(sleepHist([-0.002, ...onTime.slice(1)]))).toBe(5);
    expect(formatReport(withSleep(sleepHist([-0.002, ...onTime.slice(1)])), { level: Level.Warning })).not.toContain('WARNING');
    expect(sleepBehindPercent(sleepHist([-0.0009, 0.001]))).toBe(0);
  });
});

describe('socket block, IPs and codes (§3.2 items 9–14)', () => {
  it('formats addresses like fortio Occurrence', () => {
    expect(formatAddresses({ '10.0.0.1:80': 3 })).toBe('10.0.0.1:80');
    expect(formatAddresses({ '10.0.0.2:80': 1, '10.0.0.1:80': 3 })).toBe('[10.0.0.1:80 (3), 10.0.0.2:80 (1)]');
    expect(formatAddresses({})).toBe('[]');
  });

  it('prints the connection-time line for a fortio >= 1.38 JSON without our socket block', () => {
    const r = currentExampleResult(); // ConnectionStats has data, no Tripbench
    const out = formatReport(r, { level: Level.Warning });
    expect(out).not.toContain('# Socket and IP');
    expect(out).toContain('0.000987654\nConnection time (s) : count 3 avg 0.00018852567');
    const old = parseFortioJson(JSON.stringify({ ...r, ConnectionStats: undefined }));
    expect(formatReport(old, { level: Level.Info })).not.toContain('Connection time');
  });

  it('sorts IPs by count and codes numerically, percentages tie to even', () => {
    const r = currentExampleResult();
    r.IPCountMap = { 'b:1': 2, 'a:1': 2, 'c:1': 12 };
    r.RetCodes = { '200': 13, '503': 1, '-1': 1, '1000': 1 };
    r.DurationHistogram.Count = 16;
    const out = formatReport(r, { level: Level.Error });
    expect(out).toContain('IP addresses distribution:\nc:1: 12\na:1: 2\nb:1: 2\nCode  -1 : 1 (6.2 %)\nCode 200 : 13 (81.2 %)\nCode 503 : 1 (6.2 %)\nCode 1000 : 1 (6.2 %)\n');
  });

  it('pads the socket count and lists several addresses per thread', () => {
    const r = currentExampleWithConnections();
    const conns = r.Tripbench?.Connections ?? [];
    (conns[1] as (typeof conns)[number]).Sockets = 1234;
    (conns[1] as (typeof conns)[number]).Addresses = { '10.0.0.2:80': 1, '10.0.0.1:80': 1233 };
    expect(formatReport(r, { level: Level.Error })).toContain('\n[1] 1234 socket used, resolved to [10.0.0.1:80 (1233), 10.0.0.2:80 (1)], connection timing : count 1 ');
  });
});
