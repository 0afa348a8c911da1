/** What only the undici client does (TLS), and -h2 (now src/http/h2Client.ts) on the same servers: h2 over TLS, h2c. */
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { curl } from '../../src/http/curl.js';
import { makeHttpOptions } from '../../src/http/options.js';
import { configureLog, Level } from '../../src/shared/log.js';
import { runnableCalls } from '../helpers/httpCalls.js';
import { TEST_CERT, TEST_KEY } from './testCert.js';

configureLog({ level: Level.Critical });

const BODY = 'secure hello\n';

interface Srv {
  url: string;
  connections: () => number;
  close: () => Promise<void>;
}

const toClose: Srv[] = [];
afterEach(async () => {
  await Promise.all(toClose.splice(0).map((s) => s.close()));
});

interface Res {
  statusCode: number;
  setHeader(name: string, value: string): unknown;
  end(chunk: string): unknown;
}
const okHandler = (req: { url?: string | undefined }, res: Res): void => {
  res.statusCode = req.url === '/503' ? 503 : 200;
  res.setHeader('content-length', String(BODY.length));
  res.end(BODY);
};

async function listen(server: https.Server | http2.Http2Server | http2.Http2SecureServer, scheme: string, event: string): Promise<Srv> {
  let n = 0;
  server.on(event, () => n++);
  const sessions = new Set<{ destroy(): void }>();
  server.on('session', (s: { destroy(): void }) => sessions.add(s));
  server.on('connection', (s: { destroy(): void }) => sessions.add(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const srv: Srv = {
    url: `${scheme}://127.0.0.1:${port}/`,
    connections: () => n,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sessions) s.destroy();
        server.close(() => resolve());
      }),
  };
  toClose.push(srv);
  return srv;
}

describe('undici client over TLS', () => {
  it('keeps one TLS connection and counts decrypted bytes', async () => {
    const srv = await listen(https.createServer({ key: TEST_KEY, cert: TEST_CERT }, (q, r) => okHandler(q, r)), 'https', 'secureConnection');
    const { codes, stats } = await runnableCalls({ url: srv.url, insecure: true }, 5);
    expect(codes).toEqual([200, 200, 200, 200, 200]);
    expect(stats.sockets).toBe(1);
    expect(srv.connections()).toBe(1);
    const { min, max } = stats.sizes.counter;
    expect(min).toBe(max);
    expect(min).toBe(stats.headerSizes.counter.max + BODY.length);
    expect(stats.headerSizes.counter.max).toBeGreaterThan(60);
  });

  it('fails with -1 tls on an untrusted certificate without -k', async () => {
    const srv = await listen(https.createServer({ key: TEST_KEY, cert: TEST_CERT }, (q, r) => okHandler(q, r)), 'https', 'secureConnection');
    const { codes, stats } = await runnableCalls({ url: srv.url }, 2);
    expect(codes).toEqual([-1, -1]);
    expect(stats.errorKinds).toEqual({ tls: 2 });
    expect(stats.sockets).toBe(2);
  });

  it('closes the connection after a non-OK answer', async () => {
    const srv = await listen(https.createServer({ key: TEST_KEY, cert: TEST_CERT }, (q, r) => okHandler(q, r)), 'https', 'secureConnection');
    const { codes, stats } = await runnableCalls({ url: `${srv.url}503`, insecure: true }, 3);
    expect(codes).toEqual([503, 503, 503]);
    expect(stats.sockets).toBe(3);
    expect(stats.headerSizes.counter.max).toBe(0);
  });

  it('curl returns the head as received and the body', async () => {
    const srv = await listen(https.createServer({ key: TEST_KEY, cert: TEST_CERT }, (q, r) => okHandler(q, r)), 'https', 'secureConnection');
    const { options } = makeHttpOptions({ url: srv.url, insecure: true });
    const r = await curl(options);
    expect(r.code).toBe(200);
    expect(r.head.toString()).toMatch(/^HTTP\/1\.1 200 OK\r\n[\s\S]*content-length: 13\r\n[\s\S]*\r\n\r\n$/i);
    expect(r.body.toString()).toBe(BODY);
  });
});

describe('-h2 (the node:http2 client) on the same servers', () => {
  it('speaks h2 over TLS on one connection', async () => {
    const srv = await listen(http2.createSecureServer({ key: TEST_KEY, cert: TEST_CERT }, (q, r) => okHandler(q, r)), 'https', 'session');
    const { codes, stats } = await runnableCalls({ url: srv.url, insecure: true, h2: true }, 5);
    expect(codes).toEqual([200, 200, 200, 200, 200]);
    expect(stats.sockets).toBe(1);
    expect(srv.connections()).toBe(1);
    expect(stats.sizes.counter.max).toBe(stats.headerSizes.counter.max + BODY.length);
  });

  it('speaks h2c on http:// (prior knowledge)', async () => {
    const srv = await listen(http2.createServer((q, r) => okHandler(q, r)), 'http', 'session');
    const { codes, stats } = await runnableCalls({ url: srv.url, h2: true }, 4);
    expect(codes).toEqual([200, 200, 200, 200]);
    expect(stats.sockets).toBe(1);
    expect(srv.connections()).toBe(1);
  });

  it('opens a new h2 connection after each non-OK answer and with keep-alive off', async () => {
    const srv = await listen(http2.createServer((q, r) => okHandler(q, r)), 'http', 'session');
    const bad = await runnableCalls({ url: `${srv.url}503`, h2: true }, 3);
    expect(bad.codes).toEqual([503, 503, 503]);
    expect(bad.stats.sockets).toBe(3);
    const off = await runnableCalls({ url: srv.url, h2: true, keepAlive: false }, 3);
    expect(off.codes).toEqual([200, 200, 200]);
    expect(off.stats.sockets).toBe(3);
  });
});
