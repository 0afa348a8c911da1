import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEchoParams, parsePercentList, parseStatusCode } from '../../src/rehearsal/echoParams.js';
import { seededRng } from '../../src/shared/random.js';
import { startTarget } from '../../src/rehearsal/target.js';
import type { TargetHandle } from '../../src/rehearsal/target.js';
import { get, rawStatusLine } from '../helpers/rehearsalServers.js';

describe('echo parameters', () => {
  const limits = { maxDelayMs: 1000, maxSize: 4096 };
  it('parses percent lists and rejects malformed ones with a reason', () => {
    expect(parsePercentList('503:20,404:5', parseStatusCode, 'status')).toEqual({ ok: true, value: [{ value: 503, percent: 20 }, { value: 404, percent: 5 }] });
    expect(parsePercentList('503', parseStatusCode, 'status')).toEqual({ ok: true, value: [{ value: 503, percent: 100 }] });
    expect(parsePercentList('50x', parseStatusCode, 'status')).toEqual({ ok: false, error: 'invalid status "50x"' });
    expect(parsePercentList('503:70,404:40', parseStatusCode, 'status')).toEqual({ ok: false, error: 'status percentages add up to 110 (more than 100)' });
    const bad = (q: string): string | undefined => {
      const r = parseEchoParams(new URLSearchParams(q), seededRng(1), limits);
      return r.ok ? undefined : r.error;
    };
    expect(bad('delay=10parsecs')).toBe('invalid delay "10parsecs"');
    expect(bad('size=-1')).toBe('invalid size "-1"');
    expect(bad('header=nocolon')).toBe('invalid header "nocolon" (want Name:Value)');
    expect(bad('close=maybe')).toBe('invalid close "maybe" (want true, false or a percentage)');
    expect(bad('status=503,404')).toMatch(/needs a percentage/);
  });

  it('clamps delay and size to the caps', () => {
    const r = parseEchoParams(new URLSearchParams('delay=1h&size=1000000&header=X-A:1&header=X-B:2&close=true'), seededRng(1), limits);
    expect(r).toEqual({ ok: true, value: { delayMs: 1000, size: 4096, headers: [['X-A', '1'], ['X-B', '2']], close: true, gzip: false } });
  });

  it('status=503:20 gives about 20 % 503 (seeded)', () => {
    const rng = seededRng(42);
    let n503 = 0;
    for (let i = 0; i < 2000; i++) {
      const r = parseEchoParams(new URLSearchParams('status=503:20'), rng, limits);
      if (r.ok && r.value.status === 503) n503++;
    }
    expect(n503).toBeGreaterThan(330);
    expect(n503).toBeLessThan(470);
  });
});

describe('target server', () => {
  let t: TargetHandle;
  beforeAll(async () => {
    t = await startTarget({ seed: 3, maxDelayMs: 300, maxSize: 2048 });
  });
  afterAll(async () => {
    await t.close();
  });

  it('httpbin /get, /headers, /ip, /anything', async () => {
    const g = await get(`${t.url}/get?a=1`, { 'x-test': 'yes' });
    expect(g.status).toBe(200);
    const body = JSON.parse(g.body) as { args: Record<string, string>; headers: Record<string, string>; origin: string; url: string };
    expect(body.args).toEqual({ a: '1' });
    expect(body.headers['X-Test']).toBe('yes');
    expect(body.origin).toBe('127.0.0.1');
    expect(body.url).toMatch(/\/get\?a=1$/);
    expect(JSON.parse((await get(`${t.url}/headers`, { 'user-agent': 'ua' })).body)).toMatchObject({ headers: { 'User-Agent': 'ua' } });
    expect(JSON.parse((await get(`${t.url}/ip`)).body)).toEqual({ origin: '127.0.0.1' });
    expect(JSON.parse((await get(`${t.url}/anything/x`, {}, 'DELETE')).body)).toMatchObject({ method: 'DELETE' });
  });

  it('/status/{code} and weighted lists', async () => {
    expect((await get(`${t.url}/status/418`)).status).toBe(418);
    let n503 = 0;
    for (let i = 0; i < 100; i++) if ((await get(`${t.url}/status/200:0.5,503:0.5`)).status === 503) n503++;
    expect(n503).toBeGreaterThan(30);
    expect(n503).toBeLessThan(70);
    const bad = await get(`${t.url}/status/abc`);
    expect(bad.status).toBe(400);
    expect(bad.body).toBe('Invalid status code "abc"\n');
  });

  it('/delay/{s} and ?delay= never sleep past the cap', async () => {
    const d = await get(`${t.url}/delay/5`);
    expect(d.status).toBe(200);
    expect(d.ms).toBeGreaterThanOrEqual(280);
    expect(d.ms).toBeLessThan(4000); // capped: far short of the 5 s asked for, even on a busy machine
    const e = await get(`${t.url}/echo?delay=50ms`);
    expect(e.ms).toBeGreaterThanOrEqual(45);
  });

  it('echo parameters on any path: status, size, header, close; 400 with the reason when malformed', async () => {
    const r = await get(`${t.url}/any/path?status=503&size=1024&header=X-Foo:bar`);
    expect(r.status).toBe(503);
    expect(r.body).toHaveLength(1024);
    expect(r.headers['x-foo']).toBe('bar');
    expect((await get(`${t.url}/echo?size=100000`)).body).toHaveLength(2048);
    expect((await get(`${t.url}/get?close=true`)).headers.connection).toBe('close');
    const bad = await get(`${t.url}/get?delay=soon`);
    expect(bad.status).toBe(400);
    expect(bad.body).toBe('invalid delay "soon"\n');
  });

  it('answers 400 to a bad percent-encoding, Host header or absolute URL and keeps serving', async () => {
    const port = t.address.port;
    expect(await rawStatusLine(port, 'GET /status/%ZZ HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
    expect(await rawStatusLine(port, 'GET /get HTTP/1.1\r\nHost: [zz\r\n\r\n')).toBe('HTTP/1.1 200 OK');
    expect(await rawStatusLine(port, 'GET http://[zz/get HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
    expect((await get(`${t.url}/get`)).status).toBe(200);
  });

  it('refuses a non-loopback address unless allowed', async () => {
    await expect(startTarget({ listen: '0.0.0.0:0' })).rejects.toThrow(/refusing to listen on non-loopback address 0\.0\.0\.0:0; pass -allow-remote/);
  });
});

describe('target defaults (a scenario\'s upstream behaviour)', () => {
  it('applies delay and status to every request that does not set its own', async () => {
    const t = await startTarget({ seed: 1, defaults: { status: '503', delay: '30ms' } });
    try {
      const t0 = performance.now();
      const r = await get(`${t.url}/get`);
      expect(r.status).toBe(503);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
      // the request's own parameters win over the defaults
      expect((await get(`${t.url}/get?status=200&delay=0s`)).status).toBe(200);
      expect((await get(`${t.url}/anything?status=404`)).status).toBe(404);
    } finally {
      await t.close();
    }
  });

  it('status percentages apply per request', async () => {
    const t = await startTarget({ seed: 7, defaults: { status: '503:50' } });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 60; i++) codes.push((await get(`${t.url}/get`)).status);
      const n503 = codes.filter((c) => c === 503).length;
      expect(n503).toBeGreaterThan(10);
      expect(n503).toBeLessThan(50);
      expect(codes.every((c) => c === 200 || c === 503)).toBe(true);
    } finally {
      await t.close();
    }
  });

  it('refuses malformed defaults before listening', async () => {
    await expect(startTarget({ defaults: { delay: 'soon' } })).rejects.toThrow(/target defaults: invalid delay "soon"/);
    await expect(startTarget({ defaults: { status: '5000' } })).rejects.toThrow(/target defaults: invalid status/);
  });
});
