/**
 * HTTP/2 fixtures on real sockets: an h2c (prior knowledge) upstream that counts sessions and
 * streams and can hold its answers until the test releases them, and a small h2c client that
 * keeps status, headers, trailers and whether the response ended on its HEADERS frame.
 */
import { connect, constants, createSecureServer, createServer } from 'node:http2';
import type { ClientHttp2Session, Http2SecureServer, Http2Session, Http2Server, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';

export interface H2Upstream {
  port: number;
  /** sessions (connections) accepted */
  sessions(): number;
  /** streams (requests) received */
  streams(): number;
  /** streams received and not answered yet */
  held(): number;
  /** answers every held stream, and the next ones at once */
  release(): void;
  /** destroys every session's socket, streams in flight included (a crashed upstream) */
  dropSessions(): void;
  /** with tls: the SNI of each accepted TLS connection, and the protocol ALPN chose */
  tlsConnections(): Array<{ servername: string | false; alpn: string | false }>;
  close(): Promise<void>;
}

/**
 * An h2c server answering 200 "ok"; with `hold`, streams wait for release(); with `resetWith`,
 * every stream is reset (RST_STREAM with that code) before any response headers. With `tls`
 * (PEM key and certificate) it is h2 over TLS, ALPN h2 only.
 */
export async function startH2Upstream(o: { hold?: boolean; maxConcurrentStreams?: number; resetWith?: number; tls?: { key: string; cert: string } } = {}): Promise<H2Upstream> {
  let sessions = 0;
  let streams = 0;
  let holding = o.hold ?? false;
  const held: ServerHttp2Stream[] = [];
  const answer = (s: ServerHttp2Stream): void => {
    if (s.closed || s.destroyed) return;
    s.respond({ ':status': 200, 'content-type': 'text/plain' });
    s.end('ok');
  };
  const settings = o.maxConcurrentStreams !== undefined ? { settings: { maxConcurrentStreams: o.maxConcurrentStreams } } : {};
  const server: Http2Server | Http2SecureServer = o.tls ? createSecureServer({ ...settings, key: o.tls.key, cert: o.tls.cert, ALPNProtocols: ['h2'] }) : createServer(settings);
  // the raw sockets: a session's own socket may not be touched, and destroy() would send GOAWAY first
  const sockets = new Set<Duplex>();
  const tlsSeen: Array<{ servername: string | false; alpn: string | false }> = [];
  server.on(o.tls ? 'secureConnection' : 'connection', (c: Duplex) => {
    if (o.tls) {
      const t = c as TLSSocket;
      tlsSeen.push({ servername: t.servername ?? false, alpn: t.alpnProtocol ?? false });
    }
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
  });
  server.on('session', (s: Http2Session) => {
    sessions++;
    s.on('error', () => undefined);
  });
  server.on('stream', (s: ServerHttp2Stream) => {
    streams++;
    s.on('error', () => undefined);
    if (o.resetWith !== undefined) s.close(o.resetWith);
    else if (holding) held.push(s);
    else answer(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    sessions: () => sessions,
    streams: () => streams,
    held: () => held.filter((s) => !s.closed).length,
    release: () => {
      holding = false;
      for (const s of held.splice(0)) answer(s);
    },
    tlsConnections: () => [...tlsSeen],
    dropSessions: () => {
      held.splice(0);
      for (const c of sockets) c.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of held.splice(0)) s.close(constants.NGHTTP2_CANCEL);
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}

export interface H2Response {
  status: number;
  headers: IncomingHttpHeaders;
  trailers: IncomingHttpHeaders | undefined;
  body: string;
  /** the HEADERS frame carried END_STREAM (a trailers-only answer) */
  endOnHeaders: boolean;
}

/** An h2c client session with prior knowledge. */
export function h2Session(url: string): ClientHttp2Session {
  const s = connect(url);
  s.on('error', () => undefined);
  return s;
}

/** One request on the session. */
export function h2Request(s: ClientHttp2Session, path: string, headers: Record<string, string> = {}, body?: Buffer): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const q = s.request({ ':method': body ? 'POST' : 'GET', ':path': path, ...headers }, { endStream: body === undefined });
    let status = 0;
    let hd: IncomingHttpHeaders = {};
    let trailers: IncomingHttpHeaders | undefined;
    let endOnHeaders = false;
    const chunks: Buffer[] = [];
    q.on('response', (h, flags) => {
      status = Number(h[':status']);
      hd = h;
      endOnHeaders = (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    });
    q.on('trailers', (t) => {
      trailers = t;
    });
    q.on('data', (c: Buffer) => chunks.push(c));
    q.on('end', () => resolve({ status, headers: hd, trailers, body: Buffer.concat(chunks).toString('utf8'), endOnHeaders }));
    q.on('error', reject);
    if (body) q.end(body);
  });
}
