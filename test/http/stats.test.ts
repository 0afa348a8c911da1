import { describe, expect, it } from 'vitest';
import { makeHttpOptions } from '../../src/http/options.js';
import { clearResolveCache, resolveTarget } from '../../src/http/resolve.js';
import { mergeHttpStats, newHttpThreadStats } from '../../src/http/stats.js';
import { StartError } from '../../src/shared/errors.js';
import { recordValue } from '../../src/stats/fortioHistogram.js';

describe('mergeHttpStats', () => {
  it('merges exactly and keeps per-thread connection details in thread order', () => {
    const a = newHttpThreadStats(1, 0, 0.001);
    const b = newHttpThreadStats(0, 0, 0.001);
    a.retCodes = { '200': 3, '-1': 1 };
    b.retCodes = { '200': 2, '503': 1 };
    for (const v of [100, 100, 120, 0]) recordValue(a.sizes, v);
    for (const v of [100, 200, 50]) recordValue(b.sizes, v);
    a.sockets = 2;
    b.sockets = 3;
    a.addresses = { '10.0.0.1:80': 2 };
    b.addresses = { '10.0.0.1:80': 1, '10.0.0.2:80': 2 };
    a.errorKinds = { refused: 1 };
    recordValue(a.connectionTime, 0.0002);
    recordValue(b.connectionTime, 0.0003);
    const m = mergeHttpStats([a, b]);
    expect(m.retCodes).toEqual({ '200': 5, '-1': 1, '503': 1 });
    expect(m.sizes.counter).toMatchObject({ count: 7, sum: 670, min: 0, max: 200 });
    expect(m.sockets).toEqual([3, 2]);
    expect(m.socketCount).toBe(5);
    expect(m.ipCountMap).toEqual({ '10.0.0.1:80': 3, '10.0.0.2:80': 2 });
    expect(m.errorKinds).toEqual({ refused: 1 });
    expect(m.connectionTime.counter.count).toBe(2);
    expect(m.connections.map((c) => [c.thread, c.sockets])).toEqual([
      [0, 3],
      [1, 2],
    ]);
    expect(structuredClone(m)).toEqual(m);
  });

  it('keeps the connection-time scale for an empty merge', () => {
    const m = mergeHttpStats([], 0.002, 0.0001);
    expect(m.connectionTime.offset).toBe(0.002);
    expect(m.connectionTime.divider).toBe(0.0001);
    expect(m.socketCount).toBe(0);
  });
});

describe('resolveTarget', () => {
  it('resolves the URL host, or the -resolve address', async () => {
    clearResolveCache();
    const t = await resolveTarget(makeHttpOptions({ url: 'http://localhost:1234/' }).options);
    expect(t.port).toBe(1234);
    expect(t.address).toMatch(/^(127\.0\.0\.1|::1)$/);
    const r = await resolveTarget(makeHttpOptions({ url: 'http://x.invalid/', resolve: '10.1.2.3' }).options);
    expect(r).toEqual({ host: '10.1.2.3', port: 80, address: '10.1.2.3' });
  });

  it('rejects with a StartError for a name that does not resolve', async () => {
    const p = resolveTarget(makeHttpOptions({ url: 'https://nosuchhost.invalid/' }).options);
    await expect(p).rejects.toBeInstanceOf(StartError);
    await expect(p).rejects.toThrow(/^lookup nosuchhost\.invalid: /);
  });
});
