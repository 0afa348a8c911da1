/**
 * One estimator for "percentile of a result": the verdicts (one batch or pooled), the HTML and
 * history all read latencyPercentiles; only fortio's text keeps fortio's interpolation.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latencyAt } from '../../src/html/chartData.js';
import { parseFortioJson } from '../../src/report/fortioJsonParse.js';
import type { FortioResult } from '../../src/report/fortioResult.js';
import { latencyPercentiles, type LatencyPercentiles } from '../../src/report/latencyPercentiles.js';
import { evaluateExpectations } from '../../src/scenario/expectEvaluate.js';
import { parseExpect } from '../../src/scenario/expectParse.js';
import { observe } from '../../src/scenario/observe.js';
import { calcPercentile } from '../../src/stats/fortioHistogram.js';
import { decodeHdr, encodeHdr, newHdr, recordNs } from '../../src/stats/hdr.js';
import { startKeepAliveServer, type TestServer } from '../helpers/servers.js';
import { tripbenchLoad } from '../helpers/tripbenchLoad.js';

const PS = [50, 75, 90, 99, 99.9];

function sure(x: ReturnType<typeof latencyPercentiles>): LatencyPercentiles {
  if (!x || 'note' in x) throw new Error('no percentiles');
  return x;
}

describe('one percentile estimator', () => {
  let server: TestServer;
  let r: FortioResult;
  beforeAll(async () => {
    server = await startKeepAliveServer();
    r = (await tripbenchLoad(server.url, 2, 60)).result;
  });
  afterAll(async () => {
    await server.close();
  });

  it('one result judged pooled and unpooled gets the same latency verdict', () => {
    const single = observe(r, { percentiles: PS });
    const pooled = observe([r, r], { percentiles: PS });
    expect(Object.values(single.latency?.percentileSource ?? {})).toEqual(PS.map(() => 'hdr'));
    expect(pooled.latency?.percentiles).toEqual(single.latency?.percentiles);
    expect(pooled.latency?.percentileSource).toEqual(single.latency?.percentileSource);
    // Bounds right at the two estimates (fortio's interpolation, which the text prints, and HDR):
    // where the two estimators disagree the old code gave pooled and unpooled different verdicts.
    const listed = r.DurationHistogram.Percentiles ?? [];
    for (const p of PS) {
      const fortio = listed.find((x) => x.Percentile === p)?.Value as number;
      const hdr = single.latency?.percentiles[String(p)] as number;
      for (const bound of [fortio, hdr, hdr + 1e-6]) {
        const raw = { latency: { [`p${p}`]: `< ${Math.round(bound * 1e9)}ns` } };
        const es = parseExpect(raw).expectations;
        const a = evaluateExpectations(es, single, 'strict').map((x) => x.verdict);
        const b = evaluateExpectations(es, pooled, 'strict').map((x) => x.verdict);
        expect(b, `p${p} < ${bound}`).toEqual(a);
      }
    }
  });

  it('the HTML reads the same numbers as the verdicts', () => {
    const single = observe(r, { percentiles: PS });
    const at = latencyAt(r, PS);
    expect(at?.source).toBe('hdr');
    expect(at?.seconds).toEqual(PS.map((p) => single.latency?.percentiles[String(p)]));
  });

  it('no percentile lies outside [min, max]', () => {
    const all = [0, 0.1, 1, 10, 50, 90, 99, 99.9, 99.99, 100];
    const at = sure(latencyPercentiles(r, all));
    for (const v of at.seconds) {
      expect(v).toBeGreaterThanOrEqual(r.DurationHistogram.Min);
      expect(v).toBeLessThanOrEqual(r.DurationHistogram.Max);
    }
    expect(at.seconds.at(-1)).toBe(r.DurationHistogram.Max);
  });
});

describe('clamping and the fallback', () => {
  it("clamps HDR's bucket top to the largest call: 21.24 ms calls never read 21.25 ms", () => {
    const h = newHdr();
    for (let i = 0; i < 30; i++) recordNs(h, 21_241_000);
    const enc = encodeHdr(h);
    h.destroy();
    const raw = decodeHdr(enc);
    const rawP99 = raw.getValueAtPercentile(99) / 1e9;
    raw.destroy();
    expect(rawP99).toBeGreaterThan(0.021241); // HDR alone reports above every call
    const r = {
      RetCodes: { '200': 30 },
      DurationHistogram: { Count: 30, Min: 0.021241, Max: 0.021241, Sum: 0.63723, Avg: 0.021241, StdDev: 0, Data: null },
      Tripbench: { DurationHdr: enc },
    } as unknown as FortioResult;
    const at = sure(latencyPercentiles(r, [0, 50, 99, 100]));
    expect(at.source).toBe('hdr');
    expect(at.seconds).toEqual([0.021241, 0.021241, 0.021241, 0.021241]);
  });

  it("results without HDR (fortio's own JSON) use fortio's buckets, one or pooled", () => {
    const url = new URL('../scenario/fixtures/fortio/fortio-load-multibucket-c4-n200.json', import.meta.url);
    const f = parseFortioJson(readFileSync(url, 'utf8'), 'fortio.json');
    const one = sure(latencyPercentiles(f, [50, 99]));
    expect(one.source).toBe('histogram');
    expect(one.seconds).toEqual([calcPercentile(f.DurationHistogram, 50), calcPercentile(f.DurationHistogram, 99)]);
    const two = sure(latencyPercentiles([f, f], [50, 99]));
    expect(two.source).toBe('histogram');
    expect(two.seconds[0]).toBeCloseTo(one.seconds[0] as number, 12);
    // no calls, no percentiles
    expect(latencyPercentiles([], [50])).toBeUndefined();
  });
});
