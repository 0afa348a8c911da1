/**
 * The h2c *upgrade* on the plain HTTP port (RFC 7540 §3.2), as Go's x/net/http2/h2c handler
 * serves it (fortio up to 1.75.1): a request with `Upgrade: h2c`, `Connection: Upgrade,
 * HTTP2-Settings` and one HTTP2-Settings header gets `101 Switching Protocols`, its response
 * comes on HTTP/2 stream 1, and the connection goes on as HTTP/2.
 *
 * node:http2 has no API to start a server session from an upgraded request, so the session is
 * handed a connection that reads as if the client had spoken HTTP/2 from the start: the client
 * preface, a SETTINGS frame carrying the HTTP2-Settings payload, then the request as HEADERS
 * (and DATA) on stream 1; the preface the client really sends after the 101 is dropped. RFC
 * 7540 §3.2.1 says the 101 acknowledges those settings, so the session's ACK of the synthetic
 * SETTINGS frame is dropped on the way out (an unexpected ACK is a connection error for clients).
 */
import { Duplex } from 'node:stream';
import type { IncomingMessage, Server as HttpServer } from 'node:http';
import { ServerResponse } from 'node:http';
import type { Http2Server, ServerHttp2Session } from 'node:http2';
import type { Socket } from 'node:net';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const FRAME_HEADER = 9;
const DATA = 0x0;
const HEADERS = 0x1;
const SETTINGS = 0x4;
const CONTINUATION = 0x9;
const END_STREAM = 0x1;
const END_HEADERS = 0x4;
const ACK = 0x1;
/** SETTINGS_MAX_FRAME_SIZE's initial value: the largest frame the session accepts before settings change. */
const MAX_FRAME = 16_384;
/**
 * The initial flow-control window (connection and stream): the largest request body that fits
 * stream 1 before the session has granted any more. Go reads the body from the HTTP/1.1
 * request instead; a larger body is served over HTTP/1.1 here (a server MAY ignore Upgrade).
 */
export const MAX_UPGRADE_BODY = 65_535;

/** Headers that do not exist in HTTP/2 (RFC 9113 §8.2.2) or that the upgrade consumed. */
const DROPPED = new Set(['connection', 'upgrade', 'http2-settings', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'host']);

function hasToken(v: string | string[] | undefined, token: string): boolean {
  const all = Array.isArray(v) ? v.join(',') : (v ?? '');
  return all.split(',').some((t) => t.trim().toLowerCase() === token);
}

/** x/net/http2/h2c isH2CUpgrade: Upgrade has the token h2c and Connection the token HTTP2-Settings. */
export function isH2cUpgrade(req: IncomingMessage): boolean {
  return hasToken(req.headers.upgrade, 'h2c') && hasToken(req.headers.connection, 'http2-settings');
}

/** The HTTP2-Settings payload (base64url, no padding): exactly one header, whole 6-byte settings; else undefined (Go answers 500). */
export function h2cSettings(req: IncomingMessage): Buffer | undefined {
  const values: string[] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) if ((req.rawHeaders[i] as string).toLowerCase() === 'http2-settings') values.push(req.rawHeaders[i + 1] as string);
  if (values.length !== 1 || !/^[A-Za-z0-9_-]*$/.test(values[0] as string)) return undefined;
  const b = Buffer.from(values[0] as string, 'base64url');
  return b.length % 6 === 0 ? b : undefined;
}

function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(FRAME_HEADER);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream & 0x7fffffff, 5);
  return Buffer.concat([h, payload]);
}

/** HPACK integer with an N-bit prefix (RFC 7541 §5.1); the prefix's other bits are 0. */
function hpackInt(n: number, prefixBits: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (n < max) return Buffer.from([n]);
  const out = [max];
  let rest = n - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

/** Literal header fields without indexing, new names, no Huffman (RFC 7541 §6.2.2): no dynamic table state to share. */
function hpack(fields: [string, string][]): Buffer {
  const parts: Buffer[] = [];
  for (const [k, v] of fields) {
    const name = Buffer.from(k, 'latin1');
    const value = Buffer.from(v, 'latin1');
    parts.push(Buffer.from([0]), hpackInt(name.length, 7), name, hpackInt(value.length, 7), value);
  }
  return Buffer.concat(parts);
}

/** The upgraded request as stream 1 (HEADERS + CONTINUATION, then DATA), as the client would have sent it over HTTP/2. */
export function requestFrames(req: IncomingMessage, body: Buffer): Buffer {
  const fields: [string, string][] = [
    [':method', req.method ?? 'GET'],
    [':scheme', 'http'],
    [':path', req.url ?? '/'],
  ];
  const host = req.headers.host;
  if (typeof host === 'string' && host !== '') fields.push([':authority', host]);
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const k = (req.rawHeaders[i] as string).toLowerCase();
    const v = req.rawHeaders[i + 1] as string;
    if (DROPPED.has(k) || (k === 'te' && v.trim().toLowerCase() !== 'trailers')) continue;
    fields.push([k, v]);
  }
  const block = hpack(fields);
  const out: Buffer[] = [];
  for (let off = 0; off < block.length || off === 0; off += MAX_FRAME) {
    const piece = block.subarray(off, off + MAX_FRAME);
    const last = off + MAX_FRAME >= block.length;
    const flags = (last ? END_HEADERS : 0) | (off === 0 && body.length === 0 ? END_STREAM : 0);
    out.push(frame(off === 0 ? HEADERS : CONTINUATION, flags, 1, piece));
  }
  for (let off = 0; off < body.length; off += MAX_FRAME) {
    out.push(frame(DATA, off + MAX_FRAME >= body.length ? END_STREAM : 0, 1, body.subarray(off, off + MAX_FRAME)));
  }
  return Buffer.concat(out);
}

/**
 * The upgraded socket as the HTTP/2 session sees it: reads start with the synthetic client
 * preface, SETTINGS and stream 1, then the client's bytes without its own preface; writes pass
 * to the socket except the first SETTINGS ACK (the one for the synthetic SETTINGS).
 */
class UpgradedConnection extends Duplex {
  readonly #socket: Socket;
  #prefaceLeft = PREFACE.length;
  #ackDropped = false;
  #out: Buffer = Buffer.alloc(0);

  constructor(socket: Socket, synthetic: Buffer, rest: Buffer) {
    super();
    this.#socket = socket;
    this.push(synthetic);
    if (rest.length > 0) this.#fromClient(rest);
    socket.on('data', (c: Buffer) => this.#fromClient(c));
    socket.on('end', () => this.push(null));
    socket.on('error', (e) => this.destroy(e));
    socket.on('close', () => this.destroy());
  }

  #fromClient(c: Buffer): void {
    if (this.#prefaceLeft > 0) {
      const n = Math.min(this.#prefaceLeft, c.length);
      const at = PREFACE.length - this.#prefaceLeft;
      if (!c.subarray(0, n).equals(PREFACE.subarray(at, at + n))) {
        // Not HTTP/2 after the 101: nothing to serve.
        this.#socket.destroy();
        return;
      }
      this.#prefaceLeft -= n;
      c = c.subarray(n);
      if (c.length === 0) return;
    }
    if (!this.push(c)) this.#socket.pause();
  }

  override _read(): void {
    this.#socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.#ackDropped) {
      this.#socket.write(chunk, cb);
      return;
    }
    this.#out = this.#out.length === 0 ? chunk : Buffer.concat([this.#out, chunk]);
    const pass: Buffer[] = [];
    while (!this.#ackDropped && this.#out.length >= FRAME_HEADER) {
      const len = this.#out.readUIntBE(0, 3);
      if (this.#out.length < FRAME_HEADER + len) break;
      const f = this.#out.subarray(0, FRAME_HEADER + len);
      this.#out = this.#out.subarray(FRAME_HEADER + len);
      if (f[3] === SETTINGS && ((f[4] as number) & ACK) !== 0) this.#ackDropped = true;
      else pass.push(f);
    }
    if (this.#ackDropped && this.#out.length > 0) {
      pass.push(this.#out);
      this.#out = Buffer.alloc(0);
    }
    if (pass.length === 0) cb();
    else this.#socket.write(Buffer.concat(pass), cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.#socket.end();
    cb();
  }

  override _destroy(e: Error | null, cb: (e?: Error | null) => void): void {
    this.#socket.destroy();
    cb(e);
  }
}

/** What the target does with a request it serves over HTTP/1.1 here (the body already read). */
export type Http1Handler = (req: IncomingMessage, res: ServerResponse, body: Buffer) => void;

function plainReply(socket: Socket, status: number, reason: string, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
}

/**
 * Serves the requests node:http hands over as upgrades (it stops parsing the connection then):
 * an h2c upgrade goes to `http2`; any other upgrade (e.g. websocket), a bad HTTP2-Settings (Go:
 * 500) or a body too large for stream 1 is answered over HTTP/1.1 and the connection closed.
 */
export function serveH2cUpgrades(http1: HttpServer, http2: Http2Server, serve: Http1Handler, maxBody: number): void {
  http1.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (req.headers['transfer-encoding'] !== undefined) {
      plainReply(socket, 501, 'Not Implemented', 'a chunked request body with Upgrade is not supported\n');
      return;
    }
    const length = Number(req.headers['content-length'] ?? 0);
    if (!Number.isSafeInteger(length) || length < 0) {
      plainReply(socket, 400, 'Bad Request', 'bad content-length\n');
      return;
    }
    if (length > maxBody) {
      plainReply(socket, 413, 'Payload Too Large', 'request too large\n');
      return;
    }
    let got = head;
    const withBody = (): void => {
      const body = got.subarray(0, length);
      const rest = got.subarray(length);
      const settings = isH2cUpgrade(req) ? h2cSettings(req) : undefined;
      if (settings !== undefined && body.length <= MAX_UPGRADE_BODY) {
        socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
        const synthetic = Buffer.concat([PREFACE, frame(SETTINGS, 0, 0, settings), requestFrames(req, body)]);
        // node wraps a non-socket stream in a JSStreamSocket that has no peer name of its own:
        // give it the TCP socket's (/debug's "request from", httpbin's origin). 'session' is
        // emitted synchronously from this 'connection'.
        const peer = { address: socket.remoteAddress, family: socket.remoteFamily, port: socket.remotePort };
        http2.once('session', (session: ServerHttp2Session) => {
          (session.socket as unknown as { _peername?: unknown })._peername = peer;
        });
        http2.emit('connection', new UpgradedConnection(socket, synthetic, rest));
        return;
      }
      if (isH2cUpgrade(req) && settings === undefined) {
        plainReply(socket, 500, 'Internal Server Error', '');
        return;
      }
      const res = new ServerResponse(req);
      res.shouldKeepAlive = false;
      res.assignSocket(socket);
      res.on('finish', () => socket.end());
      serve(req, res, Buffer.from(body));
    };
    if (got.length >= length) {
      withBody();
      return;
    }
    const onData = (c: Buffer): void => {
      got = Buffer.concat([got, c]);
      if (got.length < length) return;
      socket.off('data', onData);
      socket.pause();
      withBody();
    };
    socket.on('data', onData);
  });
}
