/** The -h2 client (node:http2): what it sends, its deadline, its connection rules, its ALPN fallback. */
import * as http2 from 'node:http2';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { curl } from '../../src/http/curl.js';
import { createRunnable } from '../../src/http/httpRunnable.js';
import { makeHttpOptions } from '../../src/http/options.js';
import { configureLog, Level } from '../../src/shared/log.js';
import { runnableCalls } from '../helpers/httpCalls.js';
import { TEST_CERT, TEST_KEY } from './testCert.js';

configureLog({ level: Level.Critical });

const BODY = 'h2 hello\n';

interface Seen {
  method: string;
  authority: string;
  header: string;
  body: string;
}

interface Srv {
  url: string;
  sessions: () => number;
  seen: Seen[];
  /** The server's raw sockets (node:http2 forbids touching a session's socket). */
  raw: Set<Socket>;
  close: () => Promise<void>;
}

const toClose: Srv[] = [];
afterEach(async () => {
  await Promise.all(toClose.splice(0).map((s) => s.close()));
});

type Handler = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, session: http2.ServerHttp2Session) => void;

const ok: Handler = (stream) => {
  stream.respond({ ':status': 200, 'content-length': String(BODY.length) });
  stream.end(BODY);
};

/** An h2c server (or h2 over TLS) that records each request and answers with `handler`. */
async function listen(handler: Handler, tls = false): Promise<Srv> {
  const server = tls ? http2.createSecureServer({ key: TEST_KEY, cert: TEST_CERT }) : http2.createServer();
  const live = new Set<http2.ServerHttp2Session>();
  let sessions = 0;
  const seen: Seen[] = [];
  const raw = new Set<Socket>();
  server.on('connection', (sock: Socket) => {
    raw.add(sock);
    sock.on('close', () => raw.delete(sock));
  });
  server.on('session', (s: http2.ServerHttp2Session) => {
    sessions++;
    live.add(s);
    s.on('close', () => live.delete(s));
  });
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      seen.push({
        method: String(headers[':method']),
        authority: String(headers[':authority']),
        header: String(headers['x-test'] ?? ''),
        body: Buffer.concat(chunks).toString(),
      });
      handler(stream, headers, stream.session as http2.ServerHttp2Session);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const srv: Srv = {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/`,
    sessions: () => sessions,
    seen,
    raw,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of live) s.destroy();
        server.close(() => resolve());
      }),
  };
  toClose.push(srv);
  return srv;
}

describe('-h2 client (node:http2)', () => {
  it('sends the payload as POST with -H headers, and Host as :authority', async () => {
    const srv = await listen(ok);
    const { codes, stats } = await runnableCalls({ url: srv.url, h2: true, payload: 'a body', headers: ['X-Test: yes', 'Host: example.test'] }, 2);
    expect(codes).toEqual([200, 200]);
    expect(srv.seen).toEqual([
      { method: 'POST', authority: 'example.test', header: 'yes', body: 'a body' },
      { method: 'POST', authority: 'example.test', header: 'yes', body: 'a body' },
    ]);
    expect(stats.sockets).toBe(1);
    // the head rebuilt as undici did for h2: "HTTP/1.1 200\r\n" + "name: value\r\n"... + "\r\n"
    expect(stats.sizes.counter.max).toBe(stats.headerSizes.counter.max + BODY.length);
    expect(stats.headerSizes.counter.max).toBeGreaterThan('HTTP/1.1 200\r\ncontent-length: 9\r\n\r\n'.length - 1);
  });

  it('gives -1 with kind timeout when the answer does not come within -timeout, and opens a new connection', async () => {
    const srv = await listen((stream, headers) => {
      if (headers[':path'] !== '/slow') ok(stream, headers, stream.session as http2.ServerHttp2Session);
      // /slow: never answered
    });
    const { codes, stats } = await runnableCalls({ url: `${srv.url}slow`, h2: true, timeoutMs: 300 }, 2);
    expect(codes).toEqual([-1, -1]);
    expect(stats.errorKinds).toEqual({ timeout: 2 });
    expect(stats.sockets).toBe(2);
  });

  it('keeps -connection-reuse: a new connection after that many calls', async () => {
    const srv = await listen(ok);
    const { codes, stats } = await runnableCalls({ url: srv.url, h2: true, connectionReuse: [2, 2] }, 6);
    expect(codes).toEqual([200, 200, 200, 200, 200, 200]);
    expect(stats.sockets).toBe(3);
    expect(srv.sessions()).toBe(3);
  });

  it('moves to a new connection after a GOAWAY, without a -1', async () => {
    const srv = await listen((stream, headers, session) => {
      ok(stream, headers, session);
      session.goaway(); // like Envoy's max_requests_per_connection
    });
    const { codes, stats } = await runnableCalls({ url: srv.url, h2: true }, 4);
    expect(codes).toEqual([200, 200, 200, 200]);
    expect(stats.sockets).toBe(4);
  });

  it('retries once on a new connection when the kept one is found closed', async () => {
    const srv = await listen(ok);
    const r = await createRunnable(0, makeHttpOptions({ url: srv.url, h2: true }).options);
    const codes = [(await r.run(false)).code];
    for (let i = 0; i < 2; i++) {
      // closed under the client, no GOAWAY, in the same tick as the next call: it finds it dead
      for (const sock of srv.raw) sock.destroy();
      codes.push((await r.run(false)).code);
    }
    await r.close();
    expect(codes).toEqual([200, 200, 200]);
    expect(r.snapshot().sockets).toBe(3);
  });

  it('curl -h2 prints the rebuilt head and the body', async () => {
    const srv = await listen(ok, true);
    const { options } = makeHttpOptions({ url: srv.url, h2: true, insecure: true });
    const r = await curl(options);
    expect(r.code).toBe(200);
    expect(r.head.toString()).toMatch(/^HTTP\/1\.1 200\r\ncontent-length: 9\r\n[\s\S]*\r\n\r\n$/);
    expect(r.body.toString()).toBe(BODY);
  });

  it('falls back to HTTP/1.1 (undici) when the TLS server does not choose h2', async () => {
    const server = https.createServer({ key: TEST_KEY, cert: TEST_CERT }, (_q, res) => res.end(BODY));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    try {
      const { codes, stats } = await runnableCalls({ url, h2: true, insecure: true }, 3);
      expect(codes).toEqual([200, 200, 200]);
      // the probe that found no h2, then undici's connection
      expect(stats.sockets).toBe(2);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('h2HeadLength', () => {
  it('is the length of the head headBuffer rebuilds (the undici client method)', async () => {
    const { h2HeadBuffer, h2HeadLength } = await import('../../src/http/rebuiltHead.js');
    const h = { ':status': 200, 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'], 'content-length': '9' } as unknown as http2.IncomingHttpHeaders;
    expect(h2HeadLength(h)).toBe(h2HeadBuffer(200, h).length);
  });
});
