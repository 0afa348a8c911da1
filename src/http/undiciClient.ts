/**
 * The client for https:// and -stdclient (and -h2's HTTP/1.1 fallback when a TLS server does not
 * choose h2: h2Client.ts serves -h2 otherwise): one undici `Client` (one connection, pipelining 1)
 * driven through `dispatch()` with a handler that only counts. It follows the lean client's rules
 * so both give the same (code, size, headerSize), sockets and -1 kinds on the same run:
 * - sockets are counted in our connector (every attempt, failed ones too), which also resolves
 *   names like the lean client and keeps the socket: HTTP/1 sizes are `bytesRead` deltas (chunk
 *   framing included; TLS sockets count decrypted bytes), and header sizes come from the lean
 *   client's scanner run over the bytes undici's parser reads (tapped in undiciPinned.ts, the one
 *   place that goes beyond undici's public API), because undici's reason phrase is wrong when the
 *   status line arrives split. For h2 (and if nothing was observed) the head is rebuilt from
 *   status line + raw headers + blank line;
 * - a non-OK answer aborts the request and closes the connection (h2: the whole client, as undici
 *   7 cannot survive an h2 socket destroyed under it), an unframed or over-limit answer closes it
 *   after the call, a kept connection that dies before the first byte is retried once;
 * - the deadline is ours (headersTimeout/bodyTimeout are idle timers, fortio's is total);
 * - handler callbacks never throw: undici would report that as an 'error' event on the Client.
 */
import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Client, type Dispatcher, buildConnector } from 'undici';
import * as log from '../shared/log.js';
import type { ClientContext } from './client.js';
import { logConnectError, logDeadSocket, logNonOk, logReadError } from './clientLog.js';
import { ClientBase, formatDest } from './clientBase.js';
import { errorKindOf, errorText } from './errorKinds.js';
import type { HttpOptions } from './options.js';
import { pathWithFreshUuids, withFreshUuids } from './request.js';
import { cachedAddress, lookupAddress } from './resolve.js';
import { hasFraming, headBuffer, headLength } from './rebuiltHead.js';
import { ResponseParser, isOkCode } from './responseParser.js';
import { keepIdleOptions, tapParserReads } from './undiciPinned.js';

const IDLE_KEEP_MS = 600_000;
/**
 * undici refuses response heads above node's 16 KiB (-1 'other') where the lean client, which
 * scans the head without holding it, accepts any size: big Set-Cookie or CSP headers would give
 * 200 with one client and -1 with the other. undici keeps the head in memory, so the limit stays
 * finite; only a pathological head above it still differs.
 */
const MAX_HEAD_BYTES = 8 * 1024 * 1024;

/** Our own deadline expired (fortio -timeout covers write + read). */
class DeadlineError extends Error {
  readonly code = 'ETIMEDOUT';
}

/** Why we aborted a request after a non-OK status: fortio stops reading there. */
class NotOkStop extends Error {
  readonly code = 'TRIPBENCH_NOT_OK';
}

interface Attempt {
  controller: Dispatcher.DispatchController | null;
  socket: Socket | null;
  startBytes: number;
  reused: boolean;
  connectFailed: boolean;
  timedOut: boolean;
  /** Rebuilt head bytes (h2, or fallback when no read was observed). */
  headBytes: number;
  bodyBytes: number;
  /** Bytes observed through the socket.read tap (HTTP/1). */
  tapped: number;
  final: boolean;
  framed: boolean;
  code: number;
  settled: boolean;
}

export class UndiciClient extends ClientBase {
  readonly #h2: boolean;
  readonly #headers: string[];
  readonly #connector: buildConnector.connector;
  readonly #scanner = new ResponseParser();
  #client: Client | null = null;
  #socket: Socket | null = null;
  #att: Attempt | null = null;

  constructor(o: HttpOptions, ctx: ClientContext) {
    super(o, ctx);
    const t = this.tpl.target;
    this.#h2 = o.h2;
    if (o.http10) log.warn('-http1.0 is only supported by the fast client, ignored', { url: o.url });
    // HTTP/2 forbids connection-specific headers; -keepalive=false is applied by closing instead.
    const hdrs = o.h2 ? this.tpl.headers.filter(([k]) => k.toLowerCase() !== 'connection') : this.tpl.headers;
    this.#headers = hdrs.flat();
    const tls = {
      rejectUnauthorized: !o.insecure,
      ...(o.caCert !== '' ? { ca: o.caCert } : {}),
      ...(o.clientCert !== '' ? { cert: o.clientCert, key: o.clientKey } : {}),
    };
    this.#connector = buildConnector({
      ...tls,
      timeout: o.timeoutMs,
      allowH2: o.h2,
      ...(o.h2 && !t.https ? { useH2c: true } : {}),
    } as buildConnector.BuildOptions);
  }

  protected start(): void {
    this.#dispatch();
  }

  abort(): void {
    const att = this.#att;
    if (att === null || att.settled) return;
    this.errorKind = 'other';
    this.errorText = 'aborted';
    this.#settle(att, -1, 0, 0, false);
    if (att.controller !== null) {
      att.controller.abort(new Error('aborted'));
    } else {
      // Still connecting: nothing to abort yet, so drop the whole client (a new one is made lazily).
      const c = this.#client;
      this.#client = null;
      c?.destroy().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort();
    this.disarmDeadline();
    const c = this.#client;
    this.#client = null;
    if (c !== null) await c.destroy().catch(() => undefined);
  }

  #ensureClient(): Client {
    if (this.#client !== null) return this.#client;
    const opts = {
      pipelining: 1,
      connect: (co: buildConnector.Options, cb: buildConnector.Callback) => this.#connect(co, cb),
      headersTimeout: 0,
      bodyTimeout: 0,
      // Keep idle connections as long as the lean client does, until the server closes them:
      // undici closes after 4 s, or 2 s before the server's `Keep-Alive: timeout` hint (which
      // node:http itself exceeds by 1 s). The race with a closing server is what the retry-once
      // rule is for.
      ...keepIdleOptions(IDLE_KEEP_MS),
      maxResponseSize: -1,
      maxHeaderSize: MAX_HEAD_BYTES,
      allowH2: this.#h2,
      ...(this.#h2 && !this.tpl.target.https ? { useH2c: true } : {}),
    } as Client.Options;
    const c = new Client(this.tpl.target.origin, opts);
    this.#client = c;
    return c;
  }

  #connect(co: buildConnector.Options, cb: buildConnector.Callback): void {
    const stats = this.ctx.stats;
    stats.sockets++;
    const t0 = performance.now();
    const fail = (err: Error, dest: string): void => {
      this.recordConnectTime(t0);
      logConnectError(this.ctx.threadId, dest, errorText(err));
      if (this.#att !== null) this.#att.connectFailed = true;
      cb(err, null);
    };
    const dial = (ip: string): void => {
      const dest = formatDest(ip, this.port);
      this.dest = dest;
      stats.addresses[dest] = (stats.addresses[dest] ?? 0) + 1;
      const dialOpts: buildConnector.Options = { ...co, hostname: ip, port: String(this.port) };
      if (this.tpl.target.servername !== undefined) dialOpts.servername = this.tpl.target.servername;
      this.#connector(dialOpts, (err, socket) => {
        if (err !== null) {
          fail(err, dest);
          return;
        }
        this.recordConnectTime(t0);
        if ((socket as { alpnProtocol?: unknown }).alpnProtocol !== 'h2') {
          tapParserReads(socket, (chunk) => this.#onRawRead(socket, chunk));
        }
        this.#socket = socket;
        this.socketCalls = 0;
        cb(null, socket);
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

  #onRawRead(socket: Socket, chunk: Buffer): void {
    const att = this.#att;
    if (att === null || att.settled || att.socket !== socket || att.controller === null) return;
    att.tapped += chunk.length;
    if (this.ctx.capture) this.ctx.capture(chunk);
    this.#scanner.execute(chunk, 0, chunk.length);
  }

  #dispatch(): void {
    const att: Attempt = {
      controller: null,
      socket: null,
      startBytes: 0,
      reused: false,
      connectFailed: false,
      timedOut: false,
      headBytes: 0,
      bodyBytes: 0,
      tapped: 0,
      final: false,
      framed: false,
      code: -1,
      settled: false,
    };
    this.#att = att;
    const tpl = this.tpl;
    const capture = this.ctx.capture;
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart: (controller) => {
        att.controller = controller;
        att.socket = this.#socket;
        att.startBytes = this.#socket?.bytesRead ?? 0;
        att.reused = this.socketCalls > 0;
        this.socketCalls++;
        this.#scanner.reset(tpl.isHead, false);
        this.armDeadline();
      },
      onResponseStart: (controller, statusCode, _headers, statusMessage) => {
        this.#onResponseStart(att, controller, statusCode, statusMessage ?? '');
      },
      onResponseData: (_controller, chunk) => {
        att.bodyBytes += chunk.length;
        if (capture && att.tapped === 0) capture(chunk);
      },
      onResponseEnd: () => this.#onResponseEnd(att),
      onResponseError: (_controller, err) => {
        // undici hands a throw from the other callbacks to this one; a throw here would be its
        // Client's 'error' event, which kills the worker when nobody listens.
        try {
          this.#onResponseError(att, err);
        } catch (e) {
          log.debug('undici handler error', { err: errorText(e), thread: this.ctx.threadId });
          if (!att.settled) {
            this.errorKind = 'other';
            this.errorText = errorText(e);
            this.#settle(att, -1, 0, 0, false);
          }
        }
      },
    };
    const opts: Dispatcher.DispatchOptions = {
      path: tpl.pathMarkers.length > 0 ? pathWithFreshUuids(tpl.target.path, tpl.pathMarkers) : tpl.target.path,
      method: tpl.method,
      headers: this.#headers,
      body: tpl.body !== null ? withFreshUuids(tpl.body, tpl.bodySlots) : null,
    };
    try {
      this.#ensureClient().dispatch(opts, handler);
    } catch (e) {
      // dispatch reports bad requests through the handler; this is for a client that cannot exist
      this.errorKind = errorKindOf(e);
      this.errorText = errorText(e);
      this.#settle(att, -1, 0, 0, false);
    }
  }

  #isH2(att: Attempt): boolean {
    return (att.socket as { alpnProtocol?: unknown } | null)?.alpnProtocol === 'h2';
  }

  /** Bytes read by this attempt: exact from the socket for HTTP/1, rebuilt for h2. */
  #bytesRead(att: Attempt): number {
    if (att.socket === null) return 0;
    if (this.#isH2(att)) return att.headBytes + att.bodyBytes;
    return att.socket.bytesRead - att.startBytes;
  }

  #onResponseStart(att: Attempt, controller: Dispatcher.DispatchController, code: number, msg: string): void {
    if (att.settled) return;
    const raw = controller.rawHeaders;
    att.headBytes += headLength(msg, raw);
    if (this.ctx.capture && att.tapped === 0) this.ctx.capture(headBuffer(code, msg, raw));
    if (code < 200 && code !== 101) return; // interim answer, the real one follows
    att.final = true;
    att.code = code;
    if (!isOkCode(code)) {
      if (this.o.logErrors) {
        const status = att.tapped > 0 && this.#scanner.code === code ? this.#scanner.statusText() : `HTTP/1.1 ${code}`;
        logNonOk(this.ctx.threadId, code, status);
      }
      const size = this.#bytesRead(att);
      this.#settle(att, code, size, 0, false);
      controller.abort(new NotOkStop(`non ok code ${code}`));
      return;
    }
    att.framed = this.#isH2(att) || hasFraming(raw);
  }

  /** Header bytes of the final response (interim heads included), as on the wire when observed. */
  #headerSize(att: Attempt): number {
    if (!att.final) return 0;
    return att.tapped > 0 && this.#scanner.headersDone ? this.#scanner.headerSize : att.headBytes;
  }

  #onResponseEnd(att: Attempt): void {
    if (att.settled) return;
    const keep = this.o.keepAlive && att.framed;
    this.#settle(att, att.code, this.#bytesRead(att), this.#headerSize(att), keep);
  }

  #onResponseError(att: Attempt, err: Error): void {
    if (att.settled) return;
    const size = this.#bytesRead(att);
    const text = att.timedOut ? `i/o timeout after ${this.o.timeoutMs}ms` : errorText(err);
    if (!att.connectFailed && att.reused && !this.retried && size === 0 && att.headBytes === 0) {
      logDeadSocket(this.ctx.threadId, this.dest, `${text} at first read`);
      this.retried = true;
      this.#disconnect(att);
      queueMicrotask(() => {
        if (this.#att === att && !att.settled) this.#dispatch();
      });
      return;
    }
    if (!att.connectFailed) logReadError(this.ctx.threadId, this.dest, size, text);
    this.errorKind = att.timedOut ? 'timeout' : errorKindOf(err);
    this.errorText = text;
    this.#settle(att, -1, size, this.#headerSize(att), false);
  }

  protected onTimer(): void {
    const att = this.#att;
    if (att === null || att.settled || att.controller === null) return;
    att.timedOut = true;
    att.controller.abort(new DeadlineError('deadline exceeded'));
  }

  #settle(att: Attempt, code: number, size: number, headerSize: number, keep: boolean): void {
    att.settled = true;
    this.size = size;
    this.headerSize = headerSize;
    // Destroyed now, not later: the next dispatch must not find this connection usable.
    if (!this.withinReuseLimit(keep)) this.#disconnect(att);
    this.settleFetch(code);
  }

  /** Forces the next call onto a new connection. */
  #disconnect(att: Attempt): void {
    const s = att.socket;
    if (s === this.#socket) this.#socket = null;
    if (this.#isH2(att)) {
      // undici 7's h2 session-close handler crashes when the socket was destroyed under it:
      // close the whole client instead (a new one is made for the next call).
      const c = this.#client;
      this.#client = null;
      c?.destroy().catch(() => undefined);
    } else if (s !== null && !s.destroyed) {
      s.destroy();
    }
  }
}
