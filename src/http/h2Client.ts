/**
 * The client for -h2: node:http2 directly, one ClientHttp2Session per connection, one stream per
 * call. undici's h2 dispatcher cost ~400 us of CPU per call where a bare node:http2 loop costs
 * ~150 (docs/benchmarks.md, HTTP/2 section: profiles of both); this client adds only counting.
 * It keeps the rules the undici client had for -h2, so results do not depend on which one ran:
 * - sockets are counted here, one per connection attempt (failed ones too), names resolved like
 *   the lean client; sizes are the head rebuilt from the headers (rebuiltHead.ts, the method the
 *   undici client used for h2) plus the body bytes;
 * - a non-OK answer, a failure, a timeout, -keepalive=false and the -connection-reuse limit close
 *   the session: the next call opens a new connection;
 * - a kept session that fails before any byte of the answer (GOAWAY race, idle close) is retried
 *   once on a new connection, as the other clients do;
 * - the deadline is ours and total (fortio's), connect included;
 * - a TLS server that does not pick h2 by ALPN is served by the undici client from then on
 *   (fortio -h2 falls back to HTTP/1.1 the same way); that first socket is counted too.
 */
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import * as tls from 'node:tls';
import * as log from '../shared/log.js';
import type { CallOutcome, ClientContext, HttpClient } from './client.js';
import { logConnectError, logDeadSocket, logNonOk, logReadError } from './clientLog.js';
import { ClientBase, formatDest } from './clientBase.js';
import { errorKindOf, errorText } from './errorKinds.js';
import type { HttpOptions } from './options.js';
import { pathWithFreshUuids, withFreshUuids } from './request.js';
import { cachedAddress, lookupAddress } from './resolve.js';
import { h2HeadBuffer, h2HeadLength } from './rebuiltHead.js';
import { isOkCode } from './responseParser.js';

/** Our own deadline expired (fortio -timeout covers connect + write + read). */
class DeadlineError extends Error {
  readonly code = 'ETIMEDOUT';
}

/** Headers HTTP/2 forbids (RFC 9113 §8.2.2); node:http2 throws on them. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);

const { NGHTTP2_CANCEL } = http2.constants;

function closedEarly(): Error {
  return Object.assign(new Error('stream closed before the response ended'), { code: 'ERR_HTTP2_STREAM_CANCEL' });
}

interface Call {
  stream: http2.ClientHttp2Stream | null;
  session: http2.ClientHttp2Session | null;
  reused: boolean;
  timedOut: boolean;
  headBytes: number;
  bodyBytes: number;
  final: boolean;
  code: number;
  settled: boolean;
}

export class H2Client extends ClientBase {
  readonly #tlsOptions: tls.ConnectionOptions | null;
  /** Request headers with the pseudo-headers, built once; only a {uuid} path makes a copy per call. */
  readonly #headers: http2.OutgoingHttpHeaders;
  #session: http2.ClientHttp2Session | null = null;
  #socket: net.Socket | null = null;
  #call: Call | null = null;
  /** The connection's socket error: a session can end its streams without passing it on. */
  #socketError: Error | null = null;
  /** Set when the TLS server did not choose h2: every call goes to the undici client. */
  #fallback: HttpClient | null = null;

  constructor(o: HttpOptions, ctx: ClientContext) {
    super(o, ctx);
    const t = this.tpl.target;
    if (o.http10) log.warn('-http1.0 is only supported by the fast client, ignored', { url: o.url });
    let authority = t.authority;
    const h: http2.OutgoingHttpHeaders = {};
    for (const [k, v] of this.tpl.headers) {
      const l = k.toLowerCase();
      // undici, too, sent Host as :authority and dropped Connection (-keepalive=false closes instead)
      if (l === 'host') authority = v;
      if (CONNECTION_SPECIFIC.has(l)) continue;
      const prev = h[l];
      h[l] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [String(prev), v];
    }
    this.#headers = {
      ':method': this.tpl.method,
      ':scheme': t.https ? 'https' : 'http',
      ':authority': authority,
      ':path': t.path,
      ...h,
    };
    this.#tlsOptions = t.https
      ? {
          rejectUnauthorized: !o.insecure,
          ALPNProtocols: ['h2', 'http/1.1'],
          ...(this.tpl.target.servername !== undefined ? { servername: this.tpl.target.servername } : {}),
          ...(o.caCert !== '' ? { ca: o.caCert } : {}),
          ...(o.clientCert !== '' ? { cert: o.clientCert, key: o.clientKey } : {}),
        }
      : null;
  }

  override fetch(): Promise<CallOutcome> {
    if (this.#fallback !== null) return this.#fallback.fetch();
    return super.fetch();
  }

  protected start(): void {
    this.armDeadline();
    this.#send();
  }

  abort(): void {
    if (this.#fallback !== null) {
      this.#fallback.abort();
      return;
    }
    const call = this.#call;
    if (call === null || call.settled) return;
    this.errorKind = 'other';
    this.errorText = 'aborted';
    this.#settle(call, -1, 0, 0, false);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort();
    this.disarmDeadline();
    this.#dropConnection();
    if (this.#fallback !== null) await this.#fallback.close();
  }

  #newCall(): Call {
    const call: Call = {
      stream: null,
      session: null,
      reused: false,
      timedOut: false,
      headBytes: 0,
      bodyBytes: 0,
      final: false,
      code: -1,
      settled: false,
    };
    this.#call = call;
    return call;
  }

  #send(): void {
    const call = this.#newCall();
    const s = this.#session;
    if (s !== null && !s.closed && !s.destroyed) {
      this.#request(call, s);
      return;
    }
    this.#connect(call);
  }

  #connect(call: Call): void {
    const stats = this.ctx.stats;
    stats.sockets++;
    const t0 = performance.now();
    const fail = (err: unknown, dest: string): void => {
      this.recordConnectTime(t0);
      if (call.settled) return; // the deadline already reported it
      const text = call.timedOut ? `i/o timeout after ${this.o.timeoutMs}ms` : errorText(err);
      logConnectError(this.ctx.threadId, dest, text);
      this.errorKind = call.timedOut ? 'timeout' : errorKindOf(err);
      this.errorText = text;
      this.#settle(call, -1, 0, 0, false);
    };
    const dial = (ip: string): void => {
      if (call.settled) return;
      const dest = formatDest(ip, this.port);
      this.dest = dest;
      stats.addresses[dest] = (stats.addresses[dest] ?? 0) + 1;
      const tlsOpts = this.#tlsOptions;
      const socket = tlsOpts !== null ? tls.connect({ ...tlsOpts, host: ip, port: this.port }) : net.connect({ host: ip, port: this.port });
      this.#socket = socket;
      const onError = (err: Error): void => {
        if (this.#socket === socket) this.#socket = null;
        socket.destroy();
        fail(err, dest);
      };
      this.#socketError = null;
      socket.once('error', onError);
      socket.on('error', (err: Error) => {
        this.#socketError = err;
      });
      socket.once(tlsOpts !== null ? 'secureConnect' : 'connect', () => {
        socket.removeListener('error', onError);
        this.recordConnectTime(t0);
        if (this.#socket !== socket || call.settled) {
          socket.destroy();
          return;
        }
        if (tlsOpts !== null && (socket as tls.TLSSocket).alpnProtocol !== 'h2') {
          this.#socket = null;
          socket.destroy();
          this.#fallBack(call);
          return;
        }
        this.#openSession(call, socket);
      });
    };
    const ip = cachedAddress(this.host);
    if (ip !== null) dial(ip);
    else {
      lookupAddress(this.host, (err, addr) => {
        if (err !== null) fail(err, `${this.host}:${this.port}`);
        else dial(addr);
      });
    }
  }

  #openSession(call: Call, socket: net.Socket): void {
    const session = http2.connect(this.tpl.target.origin, {
      createConnection: () => socket,
      settings: { enablePush: false },
    });
    this.#session = session;
    this.socketCalls = 0;
    // Failures reach the stream in flight through its own 'error'; these only keep the session
    // from being reused and from throwing an unhandled 'error'.
    session.on('error', () => this.#forget(session));
    session.on('goaway', () => this.#forget(session));
    session.on('close', () => this.#forget(session));
    this.#request(call, session);
  }

  /** The session takes no new stream: the next call connects anew. */
  #forget(session: http2.ClientHttp2Session): void {
    if (this.#session === session) {
      this.#session = null;
      this.#socket = null;
    }
  }

  #request(call: Call, session: http2.ClientHttp2Session): void {
    call.session = session;
    call.reused = this.socketCalls > 0;
    this.socketCalls++;
    const tpl = this.tpl;
    const headers = tpl.pathMarkers.length > 0 ? { ...this.#headers, ':path': pathWithFreshUuids(tpl.target.path, tpl.pathMarkers) } : this.#headers;
    const body = tpl.body !== null ? withFreshUuids(tpl.body, tpl.bodySlots) : null;
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(headers, { endStream: body === null });
    } catch (e) {
      // a session that just received GOAWAY refuses new streams synchronously
      this.#onStreamError(call, e);
      return;
    }
    call.stream = stream;
    const capture = this.ctx.capture;
    stream.on('response', (h) => this.#onResponse(call, h));
    stream.on('data', (chunk: Buffer) => {
      call.bodyBytes += chunk.length;
      if (capture) capture(chunk);
    });
    stream.on('end', () => this.#onEnd(call));
    stream.on('error', (err) => this.#onStreamError(call, err));
    stream.on('close', () => {
      if (!call.settled) this.#onStreamError(call, this.#socketError ?? closedEarly());
    });
    if (body !== null) stream.end(body);
  }

  #onResponse(call: Call, h: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): void {
    if (call.settled) return;
    const code = Number(h[':status']);
    call.headBytes += h2HeadLength(h);
    if (this.ctx.capture) this.ctx.capture(h2HeadBuffer(code, h));
    call.final = true;
    call.code = code;
    if (!isOkCode(code)) {
      if (this.o.logErrors) logNonOk(this.ctx.threadId, code, `HTTP/1.1 ${code}`);
      this.#settle(call, code, call.headBytes + call.bodyBytes, 0, false);
    }
  }

  #onEnd(call: Call): void {
    if (call.settled) return;
    if (!call.final) {
      // a session that dies without an error (TLS 1.3 peer refusing our certificate, EOF) ends its streams
      this.#onStreamError(call, this.#socketError ?? closedEarly());
      return;
    }
    this.#settle(call, call.code, call.headBytes + call.bodyBytes, call.final ? call.headBytes : 0, this.o.keepAlive);
  }

  #onStreamError(call: Call, err: unknown): void {
    if (call.settled) return;
    const size = call.headBytes + call.bodyBytes;
    const text = call.timedOut ? `i/o timeout after ${this.o.timeoutMs}ms` : errorText(err);
    if (!call.timedOut && call.reused && !this.retried && size === 0) {
      logDeadSocket(this.ctx.threadId, this.dest, `${text} at first read`);
      this.retried = true;
      call.settled = true;
      this.#endCall(call);
      queueMicrotask(() => {
        if (this.#call === call && !this.closed) this.#send();
      });
      return;
    }
    logReadError(this.ctx.threadId, this.dest, size, text);
    this.errorKind = call.timedOut ? 'timeout' : errorKindOf(err);
    this.errorText = text;
    this.#settle(call, -1, size, call.final ? call.headBytes : 0, false);
  }

  protected onTimer(): void {
    const call = this.#call;
    if (call === null || call.settled) return;
    call.timedOut = true;
    if (call.stream === null) {
      // still connecting (or resolving): drop the socket, the connect error path reports it
      const s = this.#socket;
      this.#socket = null;
      s?.destroy();
      const text = `i/o timeout after ${this.o.timeoutMs}ms`;
      logConnectError(this.ctx.threadId, this.dest !== '' ? this.dest : `${this.host}:${this.port}`, text);
      this.errorKind = 'timeout';
      this.errorText = text;
      this.#settle(call, -1, 0, 0, false);
      return;
    }
    this.#onStreamError(call, new DeadlineError('deadline exceeded'));
  }

  #settle(call: Call, code: number, size: number, headerSize: number, keep: boolean): void {
    call.settled = true;
    this.size = size;
    this.headerSize = headerSize;
    if (!this.withinReuseLimit(keep)) this.#endCall(call);
    this.settleFetch(code);
  }

  /** Ends the call's stream and its connection: the next call must not find it usable. */
  #endCall(call: Call): void {
    if (call.stream !== null && !call.stream.destroyed) call.stream.close(NGHTTP2_CANCEL);
    const s = call.session;
    if (s !== null) {
      this.#forget(s);
      if (!s.destroyed) s.destroy();
    } else this.#dropConnection();
  }

  #dropConnection(): void {
    const s = this.#session;
    const sock = this.#socket;
    this.#session = null;
    this.#socket = null;
    if (s !== null && !s.destroyed) s.destroy();
    else sock?.destroy();
  }

  /** The server spoke HTTP/1.1 over TLS: hand this call and all later ones to the undici client. */
  #fallBack(call: Call): void {
    void import('./undiciClient.js').then(({ UndiciClient }) => {
      const fb = new UndiciClient(this.o, this.ctx);
      this.#fallback = fb;
      this.disarmDeadline();
      if (call.settled || this.closed) return;
      call.settled = true;
      void fb.fetch().then((r) => {
        this.size = r.size;
        this.headerSize = r.headerSize;
        this.errorKind = r.errorKind;
        this.errorText = r.errorText;
        this.settleFetch(r.code);
      });
    });
  }
}
