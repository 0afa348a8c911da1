/**
 * One suite, both clients: every expectation is a number computed from what the server sent, so
 * passing for 'lean' and for 'undici' means both give identical codes, sizes, header sizes,
 * sockets and -1 kinds.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { createRunnable } from '../../src/http/httpRunnable.js';
import { type HttpOptionsInput, makeHttpOptions } from '../../src/http/options.js';
import type { HttpThreadStats } from '../../src/http/stats.js';
import { configureLog, Level } from '../../src/shared/log.js';
import { seededRng } from '../../src/shared/random.js';
import * as S from '../helpers/servers.js';

configureLog({ level: Level.Critical });

// Collectable garbage (undici allocates a Buffer per read) says nothing about buffering: when the
// heap looks big, collect and keep what survives.
setFlagsFromString('--expose-gc');
const gcOnce = runInNewContext('gc') as () => void;
// The second pass frees the ArrayBuffer backing stores the first one found dead.
const gc = (): void => {
  gcOnce();
  gcOnce();
};
const heapBytes = (): number => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};
function retainedPeakSampler(): { stop(): number } {
  gc();
  const base = heapBytes();
  let peak = 0;
  const t = setInterval(() => {
    if (heapBytes() - base < 16 * 1024 * 1024) return;
    gc();
    peak = Math.max(peak, heapBytes() - base);
  }, 20);
  return {
    stop: () => {
      clearInterval(t);
      return peak;
    },
  };
}

type Kind = 'lean' | 'undici';

interface Run {
  codes: number[];
  details: (string | undefined)[];
  ms: number[];
  stats: HttpThreadStats[];
}

async function run(kind: Kind, input: HttpOptionsInput, calls: number, threads = 1, gapMs = 0): Promise<Run> {
  const { options } = makeHttpOptions({ ...input, stdClient: kind === 'undici' });
  const out: Run = { codes: [], details: [], ms: [], stats: [] };
  const runnables = await Promise.all(Array.from({ length: threads }, (_, t) => createRunnable(t, options)));
  await Promise.all(
    runnables.map(async (r) => {
      for (let i = 0; i < calls; i++) {
        const t0 = performance.now();
        const res = await r.run(false);
        out.ms.push(performance.now() - t0);
        out.codes.push(res.code);
        out.details.push(res.detail);
        if (gapMs > 0 && i < calls - 1) await new Promise((resolve) => setTimeout(resolve, gapMs));
      }
      await r.close();
    }),
  );
  out.stats = runnables.map((r) => r.snapshot());
  return out;
}

const one = (r: Run): HttpThreadStats => r.stats[0] as HttpThreadStats;
const servers: S.TestServer[] = [];
async function serve(p: Promise<S.TestServer>): Promise<S.TestServer> {
  const s = await p;
  servers.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe.each<Kind>(['lean', 'undici'])('%s client', (kind) => {
  it('keeps one socket per thread over many calls', async () => {
    const srv = await serve(S.startKeepAliveServer());
    const r = await run(kind, { url: srv.url }, 25, 2);
    expect(r.codes.every((c) => c === 200)).toBe(true);
    for (const s of r.stats) {
      expect(s.sockets).toBe(1);
      expect(s.retCodes).toEqual({ '200': 25 });
      expect(s.sizes.counter).toMatchObject({ count: 25, min: S.OK_RESPONSE.length, max: S.OK_RESPONSE.length });
      expect(s.headerSizes.counter).toMatchObject({ min: S.OK_HEADER_SIZE, max: S.OK_HEADER_SIZE });
      expect(s.connectionTime.counter.count).toBe(1);
      expect(Object.values(s.addresses)).toEqual([1]);
      expect(Object.keys(s.addresses)[0]).toBe(`127.0.0.1:${srv.port}`);
    }
    expect(srv.connections).toBe(2);
  });

  it.each([true, false])('opens one socket per call when the server closes (Connection: close sent: %s)', async (cc) => {
    const srv = await serve(S.startCloseEachServer({ connectionClose: cc }));
    const r = await run(kind, { url: srv.url }, 10);
    expect(r.codes).toEqual(Array(10).fill(200));
    expect(one(r).sockets).toBe(10);
    expect(srv.connections).toBe(10);
    expect(one(r).errorKinds).toEqual({});
  });

  it('opens one socket per call with keep-alive off', async () => {
    const srv = await serve(S.startKeepAliveServer());
    const r = await run(kind, { url: srv.url, keepAlive: false }, 8);
    expect(r.codes).toEqual(Array(8).fill(200));
    expect(one(r).sockets).toBe(8);
    expect(srv.connections).toBe(8);
  });

  it('closes the connection after each 503: 10 calls alternating → 5 sockets', async () => {
    const srv = await serve(S.startAlternate503Server());
    const r = await run(kind, { url: srv.url }, 10);
    expect(r.codes).toEqual([200, 503, 200, 503, 200, 503, 200, 503, 200, 503]);
    const s = one(r);
    expect(s.sockets).toBe(5);
    expect(srv.connections).toBe(5);
    expect(s.retCodes).toEqual({ '200': 5, '503': 5 });
    // non-OK: size = what was read when the status was parsed, header size 0
    expect(s.sizes.counter.sum).toBe(5 * S.OK_RESPONSE.length + 5 * S.UNAVAILABLE_RESPONSE.length);
    expect(s.headerSizes.counter.sum).toBe(5 * S.OK_HEADER_SIZE);
    expect(r.details[1]).toBe(`${S.UNAVAILABLE_RESPONSE.length} bytes`);
  });

  it('counts every refused connect attempt as a socket, -1 refused', async () => {
    const { url } = await S.refusedPort();
    const r = await run(kind, { url }, 4);
    expect(r.codes).toEqual([-1, -1, -1, -1]);
    const s = one(r);
    expect(s.sockets).toBe(4);
    expect(s.connectionTime.counter.count).toBe(4);
    expect(s.errorKinds).toEqual({ refused: 4 });
    expect(s.sizes.counter.max).toBe(0);
    expect(r.details[0]).toMatch(/ECONNREFUSED/);
  });

  it('reports a reset mid-body as -1 reset with the bytes read so far', async () => {
    const srv = await serve(S.startResetMidBodyServer(100, 50));
    const head = S.httpResponse(200, 'OK', [['Content-Length', '1000']]).length;
    const r = await run(kind, { url: srv.url }, 2);
    expect(r.codes).toEqual([-1, -1]);
    const s = one(r);
    expect(s.errorKinds).toEqual({ reset: 2 });
    expect(s.sizes.counter).toMatchObject({ min: head + 100, max: head + 100 });
    expect(s.headerSizes.counter).toMatchObject({ min: head, max: head });
    expect(s.sockets).toBe(2);
  });

  it('times out a server that never answers: -1 timeout after -timeout, new socket next call', async () => {
    const srv = await serve(S.startHangingServer());
    const r = await run(kind, { url: srv.url, timeoutMs: 150 }, 2);
    expect(r.codes).toEqual([-1, -1]);
    expect(one(r).errorKinds).toEqual({ timeout: 2 });
    expect(one(r).sockets).toBe(2);
    for (const ms of r.ms) expect(ms).toBeGreaterThanOrEqual(140);
  });

  it('a deadline is the call\'s own: kept calls of 60 ms under -timeout 150 ms never time out, together 300 ms', async () => {
    const srv = await serve(S.startSlowServer(60));
    const r = await run(kind, { url: srv.url, timeoutMs: 150 }, 5);
    expect(r.codes).toEqual([200, 200, 200, 200, 200]);
    expect(one(r).sockets).toBe(1);
  });

  it('after calls answered in time, a call that hangs times out -timeout after its own start', async () => {
    const srv = await serve(
      S.startRawServer((req, s) => {
        if (req.index < 2) setTimeout(() => s.destroyed || s.write(S.OK_RESPONSE), 60);
      }),
    );
    const r = await run(kind, { url: srv.url, timeoutMs: 150 }, 3);
    expect(r.codes).toEqual([200, 200, -1]);
    expect(one(r).errorKinds).toEqual({ timeout: 1 });
    expect(r.ms[2]).toBeGreaterThanOrEqual(140);
  });

  it.each([
    ['not HTTP', 'garbage\r\n\r\n'],
    ['status not a number', 'HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n'],
    ['bad Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n'],
  ])('reports a malformed response (%s) as -1 malformed', async (_name, response) => {
    const srv = await serve(S.startMalformedServer(response, false));
    const r = await run(kind, { url: srv.url }, 2);
    expect(r.codes).toEqual([-1, -1]);
    expect(one(r).errorKinds).toEqual({ malformed: 2 });
    expect(one(r).sockets).toBe(2);
  });

  it.each([
    ['in the head', 'HTTP/1.1 200 OK\r\nContent-Le'],
    ['in the body', 'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort'],
    ['in a chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'],
  ])('reports EOF before the end (%s) as -1 closed', async (_name, response) => {
    const srv = await serve(S.startMalformedServer(response, true));
    const r = await run(kind, { url: srv.url }, 2);
    expect(r.codes).toEqual([-1, -1]);
    expect(one(r).errorKinds).toEqual({ closed: 2 });
    expect(one(r).sizes.counter.max).toBe(response.length);
  });

  it('reads a response without length to EOF and does not reuse the socket', async () => {
    const srv = await serve(S.startNoLengthServer('0123456789'));
    const expected = S.httpResponse(200, 'OK', [['Content-Type', 'text/plain']], '0123456789');
    const r = await run(kind, { url: srv.url }, 3);
    expect(r.codes).toEqual([200, 200, 200]);
    expect(one(r).sockets).toBe(3);
    expect(one(r).sizes.counter).toMatchObject({ min: expected.length, max: expected.length });
    expect(one(r).headerSizes.counter.max).toBe(expected.length - 10);
  });

  it('finds the end of chunked bodies split across arbitrary TCP segments', async () => {
    const rnd = seededRng(42);
    const body = Buffer.from(Array.from({ length: 300 }, () => String.fromCharCode(97 + Math.floor(rnd() * 26))).join(''));
    const response = Buffer.concat([
      S.httpResponse(200, 'OK', [['Transfer-Encoding', 'chunked']]),
      S.chunkedBody(body, [1, 17, 0x10, 100, 3], [['X-Trailer', 'yes']]),
    ]);
    const srv = await serve(S.startChunkedServer(response, 7, 5));
    const r = await run(kind, { url: srv.url }, 3);
    expect(r.codes).toEqual([200, 200, 200]);
    const s = one(r);
    expect(s.sockets).toBe(1);
    expect(s.sizes.counter).toMatchObject({ min: response.length, max: response.length });
    expect(s.headerSizes.counter.max).toBe(response.indexOf('\r\n\r\n') + 4);
  });

  it('accepts a response head far above 16 KiB (big cookies, CSP) like fortio reading into its buffer', async () => {
    const cookies: [string, string][] = Array.from({ length: 4 }, (_, i) => ['Set-Cookie', `c${i}=${'v'.repeat(25_000)}`]);
    const response = S.httpResponse(200, 'OK', [...cookies, ['Content-Length', '2']], 'ok');
    const srv = await serve(S.startKeepAliveServer(response));
    const r = await run(kind, { url: srv.url }, 3);
    expect(r.codes).toEqual([200, 200, 200]);
    expect(one(r).sockets).toBe(1);
    expect(one(r).headerSizes.counter).toMatchObject({ min: response.length - 2, max: response.length - 2 });
    expect(one(r).sizes.counter.max).toBe(response.length);
  });

  it('skips an interim 1xx answer', async () => {
    const interim = S.httpResponse(103, 'Early Hints', [['Link', '</a.css>; rel=preload']]);
    const srv = await serve(S.startInterimServer(interim));
    const r = await run(kind, { url: srv.url }, 2);
    expect(r.codes).toEqual([200, 200]);
    expect(one(r).sizes.counter.max).toBe(interim.length + S.OK_RESPONSE.length);
    expect(one(r).headerSizes.counter.max).toBe(interim.length + S.OK_HEADER_SIZE);
    expect(one(r).sockets).toBe(1);
  });

  it('retries once on a new socket when the kept one is closed at first read', async () => {
    const srv = await serve(S.startOneShotServer('close'));
    const r = await run(kind, { url: srv.url }, 5);
    expect(r.codes).toEqual([200, 200, 200, 200, 200]);
    expect(one(r).sockets).toBe(5);
    expect(one(r).errorKinds).toEqual({});
    expect(srv.connections).toBe(5);
  });

  it('retries once after a timeout at first read on a kept socket (latency includes both)', async () => {
    const srv = await serve(S.startOneShotServer('hang'));
    const r = await run(kind, { url: srv.url, timeoutMs: 150 }, 2);
    expect(r.codes).toEqual([200, 200]);
    expect(one(r).sockets).toBe(2);
    expect(r.ms[1]).toBeGreaterThanOrEqual(140);
  });

  it('gives -1 when the retry fails too', async () => {
    const srv = await serve(S.startDieAfterServer(1));
    const r = await run(kind, { url: srv.url }, 2);
    expect(r.codes).toEqual([200, -1]);
    expect(one(r).sockets).toBe(2);
    expect(one(r).errorKinds).toEqual({ closed: 1 });
  });

  it('reconnects after -connection-reuse calls', async () => {
    const srv = await serve(S.startKeepAliveServer());
    const r = await run(kind, { url: srv.url, connectionReuse: [3, 3] }, 9);
    expect(r.codes).toEqual(Array(9).fill(200));
    expect(one(r).sockets).toBe(3);
    expect(srv.connections).toBe(3);
  });

  it('streams a 50 MB body without keeping it', async () => {
    const bytes = 50 * 1024 * 1024;
    const srv = await serve(S.startHugeBodyServer(bytes));
    const head = S.httpResponse(200, 'OK', [['Content-Length', String(bytes)]]).length;
    const sampler = retainedPeakSampler();
    const r = await run(kind, { url: srv.url, timeoutMs: 25_000 }, 2);
    const peak = sampler.stop();
    expect(r.codes).toEqual([200, 200]);
    expect(one(r).sizes.counter).toMatchObject({ min: bytes + head, max: bytes + head });
    expect(one(r).sockets).toBe(1);
    expect(peak).toBeLessThan(16 * 1024 * 1024);
  });

  it('fails the call with -1 dns for a name that does not resolve', async () => {
    const r = await run(kind, { url: 'http://nosuchhost.invalid:8080/' }, 1);
    expect(r.codes).toEqual([-1]);
    expect(one(r).errorKinds).toEqual({ dns: 1 });
    expect(one(r).sockets).toBe(1);
  });

  it('connects to -resolve while sending the URL host', async () => {
    let host = '';
    const srv = await serve(
      S.startRawServer((req, s) => {
        host = /\r\nhost: ([^\r]*)/i.exec(req.head)?.[1] ?? '';
        s.write(S.OK_RESPONSE);
      }),
    );
    const r = await run(kind, { url: `http://tripbench.invalid:${srv.port}/x`, resolve: '127.0.0.1' }, 1);
    expect(r.codes).toEqual([200]);
    expect(host).toBe(`tripbench.invalid:${srv.port}`);
    expect(Object.keys(one(r).addresses)).toEqual([`127.0.0.1:${srv.port}`]);
  });

  it('sends the payload with a fresh {uuid} per request', async () => {
    const seen: { method: string; path: string; head: string; body: string }[] = [];
    const srv = await serve(
      S.startRawServer((req, s) => {
        seen.push({ method: req.method, path: req.path, head: req.head, body: req.body.toString() });
        s.write(S.OK_RESPONSE);
      }),
    );
    const r = await run(kind, { url: `${srv.url}p/{uuid}?q=1`, payload: 'id={uuid}', headers: ['X-Test: a'] }, 2);
    expect(r.codes).toEqual([200, 200]);
    const [a, b] = seen;
    expect(a?.method).toBe('POST');
    expect(a?.path).toMatch(/^\/p\/[0-9a-f-]{36}\?q=1$/);
    expect(a?.body).toMatch(/^id=[0-9a-f-]{36}$/);
    expect(a?.path).not.toBe(b?.path);
    expect(a?.body).not.toBe(b?.body);
    expect(a?.head).toMatch(/\r\ncontent-type: application\/octet-stream/i);
    expect(a?.head).toMatch(/\r\ncontent-length: 39/i);
    expect(a?.head).toMatch(/\r\nx-test: a/i);
  });
});

describe('both clients on the same mixed run', () => {
  it('give identical statistics', async () => {
    const a = await serve(S.startAlternate503Server());
    const b = await serve(S.startAlternate503Server());
    const lean = await run('lean', { url: a.url }, 15);
    const undici = await run('undici', { url: b.url }, 15);
    // everything but the timings and the port
    const strip = (s: HttpThreadStats) => ({ ...s, connectionTime: s.connectionTime.counter.count, addresses: Object.values(s.addresses) });
    expect(undici.codes).toEqual(lean.codes);
    expect(strip(one(undici))).toEqual(strip(one(lean)));
  });

  it('give identical statistics against node:http (keep-alive, chunked streaming, 404s)', async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/missing') {
        res.statusCode = 404;
        res.end('not here');
        return;
      }
      res.write('part one,');
      setImmediate(() => res.end(' part two'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      for (const path of ['', 'missing']) {
        const lean = await run('lean', { url: url + path }, 6, 2);
        const undici = await run('undici', { url: url + path }, 6, 2);
        expect(undici.codes).toEqual(lean.codes);
        for (const [i, s] of lean.stats.entries()) {
          const u = undici.stats[i] as HttpThreadStats;
          expect([u.sockets, u.retCodes, u.sizes.counter, u.headerSizes.counter]).toEqual([s.sockets, s.retCodes, s.sizes.counter, s.headerSizes.counter]);
        }
        expect(lean.stats[0]?.sockets).toBe(path === '' ? 1 : 6);
      }
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  // node:http says `Keep-Alive: timeout=1` and closes after 2 s: only the server decides.
  it('keep idle connections until the server drops them (node:http keepAliveTimeout 1 s)', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const [leanFast, undiciFast, leanMid, undiciMid, leanSlow, undiciSlow] = await Promise.all([
        run('lean', { url }, 3, 1, 300),
        run('undici', { url }, 3, 1, 300),
        run('lean', { url }, 3, 1, 1300),
        run('undici', { url }, 3, 1, 1300),
        run('lean', { url }, 3, 1, 2600),
        run('undici', { url }, 3, 1, 2600),
      ]);
      expect([leanFast, undiciFast, leanMid, undiciMid].map((r) => [r.codes, one(r).sockets])).toEqual([
        [[200, 200, 200], 1],
        [[200, 200, 200], 1],
        [[200, 200, 200], 1],
        [[200, 200, 200], 1],
      ]);
      expect([leanSlow, undiciSlow].map((r) => [r.codes, one(r).sockets])).toEqual([
        [[200, 200, 200], 3],
        [[200, 200, 200], 3],
      ]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
