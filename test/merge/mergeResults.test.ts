import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mergeResults, type MergeInput } from '../../src/merge/mergeResults.js';
import { encodeFortioJson, parseFortioJson } from '../../src/report/fortioJson.js';
import type { FortioResult } from '../../src/report/fortioResult.js';
import { formatReport } from '../../src/report/fortioText.js';
import { calcPercentile, exportHistogram, newFortioHistogram, recordValue } from '../../src/stats/fortioHistogram.js';
import { decodeHdr, encodeHdr, newHdr, recordNs } from '../../src/stats/hdr.js';
import { Level } from '../../src/shared/log.js';
import { UsageError } from '../../src/shared/errors.js';
import { seededRng } from '../../src/shared/random.js';

const FIXTURES = new URL('../report/fixtures/fortio-1.33/', import.meta.url);
const fortioFixture = (name: string): FortioResult => parseFortioJson(readFileSync(new URL(name, FIXTURES), 'utf8'), name);
const PS = [50, 90, 99];

/** A tripbench-shaped result whose latencies are exactly `values` (seconds). */
function synthetic(values: number[], opts: { shard?: string; start?: string; url?: string; durationNs?: number } = {}): FortioResult {
  const base = fortioFixture('fortio-load-multibucket-c4-n200.json');
  const h = newFortioHistogram(0, 0.001);
  const hdr = newHdr();
  for (const v of values) {
    recordValue(h, v);
    recordNs(hdr, v * 1e9);
  }
  const r: FortioResult = {
    ...base,
    URL: opts.url ?? base.URL,
    StartTime: opts.start ?? '2024-05-01T12:00:00.25Z',
    ActualDuration: opts.durationNs ?? 1e9,
    DurationHistogram: exportHistogram(h, PS),
    ErrorsDurationHistogram: exportHistogram(newFortioHistogram(0, 0.001), PS),
    RetCodes: { '200': values.length },
    Exactly: values.length,
    RequestedDuration: `exactly ${values.length} calls`,
    NumThreads: 2,
    Tripbench: {
      Version: 'tripbench-test',
      WarmupCalls: 0,
      ThreadsFlag: 2,
      Interrupted: false,
      DurationHdr: encodeHdr(hdr),
      ErrorKinds: {},
      ThreadCalls: [values.length - 1, 1],
      ThreadDurations: [1e9, 1e9],
      Workers: [{ Index: 0, Threads: [0, 1], Calls: values.length }],
      Connections: [0, 1].map((t) => ({ Thread: t, Sockets: 1, Addresses: { '127.0.0.1:8080': 1 }, Timing: exportHistogram(newFortioHistogram(0, 0.001)) })),
      ...(opts.shard ? { Shard: opts.shard } : {}),
    },
  };
  hdr.destroy();
  return parseFortioJson(encodeFortioJson(r), 'synthetic');
}

describe('mergeResults with HDR data (tripbench JSON)', () => {
  const rnd = seededRng(42);
  const all = Array.from({ length: 500 }, () => 0.001 + 0.08 * Math.pow(rnd(), 3));
  const a = synthetic(all.slice(0, 217), { shard: '0/2' });
  const b = synthetic(all.slice(217), { shard: '1/2', start: '2024-05-01T12:00:00.75Z' });
  const one = synthetic(all);
  const out = mergeResults([
    { source: 'a.json', result: a },
    { source: 'b.json', result: b },
  ]);

  it('equals one histogram of every value: buckets, counts, fortio percentiles', () => {
    expect(out.exact).toBe(true);
    expect(out.notes).toEqual([]);
    const m = out.result.DurationHistogram;
    const w = one.DurationHistogram;
    expect(m.Data).toEqual(w.Data);
    expect(m.Count).toBe(w.Count);
    expect(m.Min).toBe(w.Min);
    expect(m.Max).toBe(w.Max);
    expect(m.Sum).toBeCloseTo(w.Sum, 12);
    expect(m.StdDev).toBeCloseTo(w.StdDev, 9);
    expect(m.Percentiles).toEqual(w.Percentiles);
  });

  it('equals one HDR histogram of every value', () => {
    const whole = decodeHdr(one.Tripbench?.DurationHdr as string);
    const merged = decodeHdr(out.result.Tripbench?.DurationHdr as string);
    for (const p of [0.1, 25, 50, 90, 99, 99.99]) expect(merged.getValueAtPercentile(p)).toBe(whole.getValueAtPercentile(p));
    expect(out.hdrPercentiles?.map((p) => p.Percentile)).toEqual(PS);
    expect(out.hdrPercentiles?.[0]?.Value).toBe(whole.getValueAtPercentile(50) / 1e9);
    whole.destroy();
    merged.destroy();
  });

  it('sums codes and calls, unions time, renumbers threads, records the sources', () => {
    const r = out.result;
    expect(r.RetCodes).toEqual({ '200': 500 });
    expect(r.Exactly).toBe(500);
    expect(r.RequestedDuration).toBe('exactly 500 calls');
    expect(r.StartTime).toBe('2024-05-01T12:00:00.25Z');
    expect(r.ActualDuration).toBe(1.5e9); // [0.25, 1.25] ∪ [0.75, 1.75]
    expect(r.ActualQPS).toBeCloseTo(500 / 1.5, 9);
    expect(r.NumThreads).toBe(4);
    expect(r.Tripbench?.Workers.map((w) => w.Threads)).toEqual([[0, 1], [2, 3]]);
    expect(r.Tripbench?.Connections?.map((c) => c.Thread)).toEqual([0, 1, 2, 3]);
    expect(r.Tripbench?.['Merged']).toMatchObject({ Sources: ['a.json', 'b.json'], Shards: ['0/2', '1/2'], Exact: true });
    // The merged result is a normal result: it encodes, parses back and prints.
    const again = parseFortioJson(encodeFortioJson(r), 'merged.json');
    expect(again.DurationHistogram).toEqual(r.DurationHistogram);
    expect(formatReport(again, { level: Level.Info })).toContain('All done 500 calls (plus 0 warmup)');
  });

  it('says when shards are missing or given twice', () => {
    expect(mergeResults([{ source: 'a', result: a }]).notes).toEqual(['shard 1/2 missing: the merged result covers part of the run']);
    const dup = mergeResults([
      { source: 'a', result: a },
      { source: 'a2', result: a },
      { source: 'b', result: b },
    ]);
    expect(dup.notes).toEqual(['shard 0/2 given more than once: its calls are counted twice']);
  });
});

describe('mergeResults refusals', () => {
  const a = synthetic([0.01, 0.02], { url: 'http://httpbin:8000/get' });
  const b = synthetic([0.03], { url: 'http://other:8000/get' });
  const inputs: MergeInput[] = [
    { source: 'a.json', result: a },
    { source: 'b.json', result: b },
  ];

  it('refuses runs of different URLs with a clear message', () => {
    expect(() => mergeResults(inputs)).toThrow(UsageError);
    expect(() => mergeResults(inputs)).toThrow(
      'refusing to merge runs of different URLs (a.json: http://httpbin:8000/get, b.json: http://other:8000/get); use --force to merge them anyway',
    );
  });

  it('merges them with force, and says so', () => {
    const out = mergeResults(inputs, { force: true });
    expect(out.result.DurationHistogram.Count).toBe(3);
    expect(out.notes[0]).toMatch(/^merged runs of different URLs \(--force\)/);
  });

  it('refuses different -r unless forced, then re-buckets approximately', () => {
    const c = { ...synthetic([0.0123]), Resolution: 0.0001 };
    expect(() => mergeResults([{ source: 'a', result: synthetic([0.01]) }, { source: 'c', result: c }])).toThrow(/different histogram settings/);
    const out = mergeResults([{ source: 'a', result: synthetic([0.01]) }, { source: 'c', result: c }], { force: true });
    expect(out.result.DurationHistogram.Count).toBe(2);
  });

  it('needs at least one input and a readable start time', () => {
    expect(() => mergeResults([])).toThrow(/at least one/);
    const bad = { ...a, StartTime: 'soon' };
    expect(() => mergeResults([{ source: 'bad.json', result: bad }])).toThrow('bad.json: StartTime: cannot read "soon" as an RFC 3339 time');
  });
});

describe("mergeResults with fortio's own JSON (buckets only)", () => {
  const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));

  // fortio 1.33 does not write -r into its JSON: a -r 0.0001 file reads as the default 0.001.
  const otherResolution = 'fortio-load-r0.0001.json';

  for (const f of files.filter((x) => x !== otherResolution)) {
    it(`${f}: merged with itself doubles every bucket on the same edges`, () => {
      const r = fortioFixture(f);
      const out = mergeResults([
        { source: f, result: r },
        { source: `${f}#2`, result: r },
      ]);
      const d = out.result.DurationHistogram;
      const o = r.DurationHistogram;
      expect(out.exact).toBe(false);
      if (o.Count > 0) expect(out.notes.some((n) => n.includes("fortio's JSON") && n.includes('bucket-approximate'))).toBe(true);
      // The buckets sit on fortio's edges: no re-bucketing was needed.
      expect(out.notes.some((n) => n.includes('re-bucketed'))).toBe(false);
      expect(d.Count).toBe(2 * o.Count);
      expect(d.Data?.map((b) => b.Count)).toEqual(o.Data?.map((b) => 2 * b.Count));
      expect(d.Data?.map((b) => b.End)).toEqual(o.Data?.map((b) => b.End));
      expect(d.Data?.map((b) => b.Percent)).toEqual(o.Data?.map((b) => b.Percent));
      // fortio's percentile rule on the doubled buckets; the first starts at Min by current rules
      // (1.33 started an overflow-only histogram at 100000 × r).
      const data = o.Data?.map((b, i) => ({ ...b, Start: i === 0 ? o.Min : b.Start, Count: 2 * b.Count })) ?? null;
      const doubled = { ...o, Count: 2 * o.Count, Data: data };
      for (const p of [10, 50, 75, 90, 99, 99.9]) expect(calcPercentile(d, p)).toBeCloseTo(calcPercentile(doubled, p), 12);
      for (const [k, v] of Object.entries(r.RetCodes)) expect(out.result.RetCodes[k]).toBe(2 * v);
      expect(out.result.Sizes.Count).toBe(2 * r.Sizes.Count);
      expect(out.result.SocketCount).toBe(2 * r.SocketCount);
      // Same start, same duration: the union is one run's duration.
      expect(out.result.ActualDuration).toBe(r.ActualDuration);
      expect(out.result.Tripbench?.DurationHdr).toBeUndefined();
      expect(out.hdrPercentiles).toBeUndefined();
    });
  }

  it(`${otherResolution}: edges of an unrecorded -r are re-bucketed by midpoint, and the merge says so`, () => {
    const r = fortioFixture(otherResolution);
    const out = mergeResults([
      { source: 'x', result: r },
      { source: 'y', result: r },
    ]);
    expect(out.notes.some((n) => n.includes('re-bucketed by their midpoint'))).toBe(true);
    expect(out.result.DurationHistogram.Count).toBe(2 * r.DurationHistogram.Count);
    expect(out.result.DurationHistogram.Min).toBe(r.DurationHistogram.Min);
    expect(out.result.DurationHistogram.Max).toBe(r.DurationHistogram.Max);
  });

  it('sums the requested qps of paced shards', () => {
    const r = fortioFixture('fortio-load-qps50-t2s.json');
    const out = mergeResults([
      { source: 'x', result: r },
      { source: 'y', result: r },
    ]);
    expect(out.result.RequestedQPS).toBe('100');
    expect(out.result.RequestedDuration).toBe(r.RequestedDuration);
    expect(out.result.Tripbench?.WarmupCalls).toBe(2 * r.NumThreads);
  });
});
