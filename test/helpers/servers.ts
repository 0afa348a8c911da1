/**
 * Real loopback servers for tests, on 127.0.0.1 port 0. Most are raw `net` servers so they can
 * misbehave in ways node:http will not (no length, garbage, resets, interim answers, split
 * segments). Each counts accepted connections and requests, like the servers fortio was checked
 * against (fortio-compat.md §11.1).
 */
import * as net from 'node:net';
import { seededRng } from '../../src/shared/random.js';
import { listenLoopback } from './listenLoopback.js';

export interface TestServer {
  url: string;
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Requests received so far (complete heads + bodies). */
  readonly requests: number;
  close(): Promise<void>;
}

export interface RawRequest {
  method: string;
  path: string;
  head: string;
  body: Buffer;
  /** 0-based index over the whole server. */
  index: number;
  /** 0-based index on its connection. */
  connIndex: number;
}

export type Responder = (req: RawRequest, socket: net.Socket) => void;

/** A response as bytes: status line, `Name: value` headers in order, blank line, body. */
export function httpResponse(status: number, reason: string, headers: [string, string][], body: string | Buffer = ''): Buffer {
  let head = `HTTP/1.1 ${status}${reason !== '' ? ` ${reason}` : ''}\r\n`;
  for (const [k, v] of headers) head += `${k}: ${v}\r\n`;
  const b = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  return Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), b]);
}

/** A framed (Content-Length) response. */
export function lengthResponse(status: number, reason: string, body: string | Buffer = '', extra: [string, string][] = []): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'latin1') : body;
  return httpResponse(status, reason, [['Content-Length', String(b.length)], ...extra], b);
}

/** Chunked encoding of `body` cut into chunks of the given sizes (the rest in a last chunk). */
export function chunkedBody(body: Buffer, sizes: number[], trailers: [string, string][] = []): Buffer {
  const parts: Buffer[] = [];
  let off = 0;
  for (const n of [...sizes, body.length]) {
    if (off >= body.length) break;
    const piece = body.subarray(off, Math.min(body.length, off + Math.max(1, n)));
    off += piece.length;
    parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`, 'latin1'), piece, Buffer.from('\r\n', 'latin1'));
  }
  let end = '0\r\n';
  for (const [k, v] of trailers) end += `${k}: ${v}\r\n`;
  parts.push(Buffer.from(`${end}\r\n`, 'latin1'));
  return Buffer.concat(parts);
}

function parseRequests(buf: Buffer): { requests: Omit<RawRequest, 'index' | 'connIndex'>[]; rest: Buffer } {
  const requests: Omit<RawRequest, 'index' | 'connIndex'>[] = [];
  let b = buf;
  for (;;) {
    const end = b.indexOf('\r\n\r\n');
    if (end < 0) break;
    const head = b.subarray(0, end).toString('latin1');
    const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    const len = m?.[1] !== undefined ? Number(m[1]) : 0;
    if (b.length < end + 4 + len) break;
    const [method = '', path = ''] = (head.split('\r\n')[0] ?? '').split(' ');
    requests.push({ method, path, head, body: Buffer.from(b.subarray(end + 4, end + 4 + len)) });
    b = b.subarray(end + 4 + len);
  }
  return { requests, rest: b };
}

/** A raw server calling `respond` for each complete request, in order, per connection. */
export async function startRawServer(respond: Responder): Promise<TestServer> {
  let connections = 0;
  let requests = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    let connIndex = 0;
    socket.on('data', (d: Buffer) => {
      pending = pending.length === 0 ? d : Buffer.concat([pending, d]);
      const { requests: reqs, rest } = parseRequests(pending);
      pending = rest;
      for (const r of reqs) {
        if (socket.destroyed) return;
        const req: RawRequest = { ...r, index: requests++, connIndex: connIndex++ };
        respond(req, socket);
      }
    });
    socket.on('error', () => undefined);
  });
  const { port, close } = await listenLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    get connections() {
      return connections;
    },
    get requests() {
      return requests;
    },
    close,
  };
}

export const OK_BODY = 'hello world\n';
/** What startKeepAliveServer answers (also the expected size of each call). */
export const OK_RESPONSE = lengthResponse(200, 'OK', OK_BODY, [['Content-Type', 'text/plain']]);
/** Header bytes of OK_RESPONSE. */
export const OK_HEADER_SIZE = OK_RESPONSE.indexOf('\r\n\r\n') + 4;

/** Keep-alive, always `response` (default a 200 with Content-Length). */
export function startKeepAliveServer(response: Buffer = OK_RESPONSE): Promise<TestServer> {
  return startRawServer((_req, s) => {
    s.write(response);
  });
}

/** Closes the connection after each response, with or without saying `Connection: close`. */
export function startCloseEachServer(opts: { connectionClose: boolean }): Promise<TestServer> {
  const res = lengthResponse(200, 'OK', OK_BODY, opts.connectionClose ? [['Connection', 'close']] : []);
  return startRawServer((_req, s) => {
    s.end(res);
  });
}

export const UNAVAILABLE_RESPONSE = lengthResponse(503, 'Service Unavailable', 'unavailable\n');

/** Keep-alive; every other request of the whole server (2nd, 4th, …) gets a framed 503. */
export function startAlternate503Server(): Promise<TestServer> {
  return startRawServer((req, s) => {
    s.write(req.index % 2 === 1 ? UNAVAILABLE_RESPONSE : OK_RESPONSE);
  });
}

export function start503Server(): Promise<TestServer> {
  return startKeepAliveServer(UNAVAILABLE_RESPONSE);
}

/** A port nothing listens on (found free, then closed). */
export async function refusedPort(): Promise<{ url: string; port: number }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { url: `http://127.0.0.1:${port}/`, port };
}

/** Sends the head and `sentBody` of a 1000-byte body, then resets (RST) after `delayMs`. */
export function startResetMidBodyServer(sentBody = 100, delayMs = 50): Promise<TestServer> {
  const head = httpResponse(200, 'OK', [['Content-Length', '1000']]);
  return startRawServer((_req, s) => {
    s.write(Buffer.concat([head, Buffer.alloc(sentBody, 120)]));
    setTimeout(() => s.resetAndDestroy(), delayMs);
  });
}

/** Reads requests and never answers. */
export function startHangingServer(): Promise<TestServer> {
  return startRawServer(() => undefined);
}

/** Streams a `bytes`-long body (Content-Length) from one reused 64 KiB buffer, honouring backpressure. */
export function startHugeBodyServer(bytes = 50 * 1024 * 1024): Promise<TestServer> {
  const block = Buffer.alloc(64 * 1024, 97);
  const head = httpResponse(200, 'OK', [['Content-Length', String(bytes)]]);
  return startRawServer((_req, s) => {
    let left = bytes;
    s.write(head);
    const pump = (): void => {
      while (left > 0 && !s.destroyed) {
        const n = Math.min(left, block.length);
        left -= n;
        if (!s.write(n === block.length ? block : block.subarray(0, n))) {
          s.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
}

/** Writes `bytes` in pieces cut at seeded random places, each piece in its own TCP segment. */
export function writeInPieces(s: net.Socket, bytes: Buffer, rnd: () => number, maxPiece = 7, then?: () => void): void {
  let off = 0;
  const next = (): void => {
    if (s.destroyed) return;
    if (off >= bytes.length) {
      then?.();
      return;
    }
    const n = 1 + Math.floor(rnd() * maxPiece);
    s.write(bytes.subarray(off, off + n));
    off += n;
    setTimeout(next, 1);
  };
  next();
}

/** Keep-alive chunked responses; each written in random small TCP segments (seeded). */
export function startChunkedServer(response: Buffer, seed: number, maxPiece = 7): Promise<TestServer> {
  const rnd = seededRng(seed);
  return startRawServer((_req, s) => writeInPieces(s, response, rnd, maxPiece));
}

/** 200 without Content-Length nor chunked: the body ends when the server closes. */
export function startNoLengthServer(body = 'no length body\n'): Promise<TestServer> {
  const res = httpResponse(200, 'OK', [['Content-Type', 'text/plain']], body);
  return startRawServer((_req, s) => {
    s.end(res);
  });
}

/** Answers `response` as is, then closes (when `close`) or keeps the connection open. */
export function startMalformedServer(response: string | Buffer, close = true): Promise<TestServer> {
  return startRawServer((_req, s) => {
    if (close) s.end(response);
    else s.write(response);
  });
}

/** An interim answer (103 by default) in its own segment, then OK_RESPONSE. */
export function startInterimServer(interim: Buffer = httpResponse(103, 'Early Hints', [['Link', '</a.css>; rel=preload']])): Promise<TestServer> {
  return startRawServer((_req, s) => {
    s.write(interim);
    setTimeout(() => {
      if (!s.destroyed) s.write(OK_RESPONSE);
    }, 5);
  });
}

/** Keep-alive 200 after `delayMs`. */
export function startSlowServer(delayMs: number): Promise<TestServer> {
  return startRawServer((_req, s) => {
    setTimeout(() => {
      if (!s.destroyed) s.write(OK_RESPONSE);
    }, delayMs);
  });
}

/**
 * Answers the first request of each connection; on the next one it closes without answering
 * (`mode: 'close'`) or never answers (`mode: 'hang'`): a kept socket found dead at first read.
 */
export function startOneShotServer(mode: 'close' | 'hang'): Promise<TestServer> {
  return startRawServer((req, s) => {
    if (req.connIndex === 0) s.write(OK_RESPONSE);
    else if (mode === 'close') s.end();
  });
}

/** Answers the first `n` requests of the server (keep-alive), then closes every connection on its next request. */
export function startDieAfterServer(n: number): Promise<TestServer> {
  return startRawServer((req, s) => {
    if (req.index < n) s.write(OK_RESPONSE);
    else s.end();
  });
}
