/**
 * The default client for http://: fortio's "fast client" on a bare net.Socket. One connection at
 * a time, the request written from a prebuilt Buffer, responses scanned in a fixed read buffer
 * (`onread`) so no per-read allocation happens and big bodies are counted, never kept.
 *
 * Connection rules (fortio-compat.md §7.2): the socket is kept only when keep-alive is on, the
 * answer was OK, it was framed (Content-Length or chunked) and the -connection-reuse limit is not
 * reached. A kept socket that turns out dead before the first response byte (EOF, reset, timeout)
 * is replaced once, silently: a new socket is counted, the call is not an error.
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { ClientContext } from './client.js';
import { logConnectError, logDeadSocket, logNonOk, logReadError } from './clientLog.js';
import { ClientBase, formatDest } from './clientBase.js';
import { type ErrorKind, errorKindOf, errorText } from './errorKinds.js';
import type { HttpOptions } from './options.js';
import { withFreshUuids } from './request.js';
import { cachedAddress, lookupAddress } from './resolve.js';
import { DONE, NEED_MORE, NOT_OK, ResponseParser } from './responseParser.js';
import { openClients, writeRequest } from './writeBatch.js';

/**
 * One read buffer for every lean client of this thread: libuv fills it and our callback scans it
 * synchronously before any other socket's read, and nothing keeps a reference to it, so 1000
 * connections cost 64 KiB, not 64 MiB.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

const IDLE = 0;
/** DNS lookup or TCP connect in progress. */
const CONNECTING = 1;
/** Request written, response being read. */
const WAITING = 2;

export class LeanClient extends ClientBase {
  readonly #raw: boolean;
  readonly #keepAlive: boolean;
  readonly #halfClose: boolean;
  readonly #parser = new ResponseParser();

  #socket: net.Socket | null = null;
  /** Closed sockets ready for connect() (#newSocket). */
  readonly #spare: net.Socket[] = [];
  /** Why the kept socket died while idle ('' = alive). */
  #deadReason = '';
  #phase = IDLE;
  #reused = false;
  #connectStart = 0;
  #attempt = 0;

  constructor(o: HttpOptions, ctx: ClientContext) {
    super(o, ctx);
    this.#raw = o.http10;
    this.#keepAlive = o.keepAlive && !o.http10;
    this.#halfClose = o.halfClose && !this.#keepAlive;
    openClients(1);
  }

  protected start(): void {
    const s = this.#socket;
    if (s !== null && this.#deadReason === '') {
      this.#reused = true;
      this.#send(s);
    } else {
      if (s !== null) {
        logDeadSocket(this.ctx.threadId, this.dest, `${this.#deadReason} while idle`);
        this.#drop();
      }
      this.#reused = false;
      this.#connect();
    }
  }

  abort(): void {
    if (this.#phase === IDLE) return;
    this.errorKind = 'other';
    this.errorText = 'aborted';
    this.#complete(-1, false);
  }

  close(): Promise<void> {
    if (!this.closed) openClients(-1);
    this.closed = true;
    if (this.#phase !== IDLE) this.abort();
    this.#drop();
    this.#spare.length = 0;
    this.disarmDeadline();
    return Promise.resolve();
  }

  #connect(): void {
    this.ctx.stats.sockets++;
    this.#phase = CONNECTING;
    this.dest = formatDest(this.host, this.port);
    this.#connectStart = performance.now();
    this.armDeadline();
    const attempt = ++this.#attempt;
    const ip = cachedAddress(this.host);
    if (ip !== null) {
      this.#dial(ip);
      return;
    }
    lookupAddress(this.host, (err, address) => {
      if (attempt !== this.#attempt || this.#phase !== CONNECTING) return; // timed out or aborted meanwhile
      if (err) this.#connectFailed('dns', errorText(err));
      else this.#dial(address);
    });
  }

  #dial(ip: string): void {
    const dest = formatDest(ip, this.port);
    this.dest = dest;
    const addresses = this.ctx.stats.addresses;
    addresses[dest] = (addresses[dest] ?? 0) + 1;
    const s = this.#spare.pop() ?? this.#newSocket();
    try {
      s.connect({ host: ip, port: this.port });
    } catch (e) {
      this.#connectFailed(errorKindOf(e), errorText(e));
      return;
    }
    this.#socket = s;
    this.socketCalls = 0;
    this.#deadReason = '';
  }

  /**
   * A socket with its listeners, reused for later connections once its 'close' came (Node's
   * documented reconnect: connect() again after 'close'): without keep-alive a new net.Socket,
   * its two stream states and four closures per call were a large share of the CPU per call
   * (docs/benchmarks.md). noDelay and the shared read buffer apply to every new handle.
   */
  #newSocket(): net.Socket {
    const onread: net.OnReadOpts = {
      buffer: READ_BUFFER,
      callback: (n: number): boolean => {
        this.#onRead(s, n);
        return true;
      },
    };
    // The constructor takes net.connect()'s onread (net.connect passes its options on); the
    // typings list it only for connect options.
    const opts: net.SocketConstructorOpts & { onread: net.OnReadOpts } = { onread };
    const s: net.Socket = new net.Socket(opts);
    s.setNoDelay(true); // without a handle yet: recorded, applied to each handle at connect
    s.on('connect', () => this.#onConnect(s));
    s.on('error', (e: Error) => this.#onError(s, e));
    s.on('end', () => this.#onEnd(s));
    s.on('close', () => {
      // A socket that closed while still current (the peer ended it) is dropped later and not reused.
      if (s !== this.#socket && !this.closed) this.#spare.push(s);
    });
    return s;
  }

  #onConnect(s: net.Socket): void {
    if (s !== this.#socket || this.#phase !== CONNECTING) return;
    this.recordConnectTime(this.#connectStart);
    this.#send(s);
  }

  #send(s: net.Socket): void {
    this.#phase = WAITING;
    this.socketCalls++;
    this.#parser.reset(this.tpl.isHead, this.#raw);
    this.armDeadline();
    writeRequest(s, withFreshUuids(this.tpl.bytes, this.tpl.slots), this.#halfClose);
  }

  #onRead(s: net.Socket, n: number): void {
    if (s !== this.#socket) return;
    if (this.#phase !== WAITING) {
      // Bytes nobody asked for: the connection is out of step, do not send on it again.
      if (this.#deadReason === '') this.#deadReason = 'unexpected data';
      return;
    }
    this.size += n;
    if (this.ctx.capture) this.ctx.capture(Buffer.from(READ_BUFFER.subarray(0, n)));
    const p = this.#parser;
    const r = p.execute(READ_BUFFER, 0, n);
    if (r === NEED_MORE) return;
    if (r === DONE) {
      this.headerSize = p.headerSize;
      // Extra bytes after the response would be read as the next answer: never reuse then.
      this.#complete(p.code, this.#keepAlive && p.framed && p.pos === n);
    } else if (r === NOT_OK) {
      if (this.o.logErrors) logNonOk(this.ctx.threadId, p.code, p.statusText());
      this.#complete(p.code, false);
    } else {
      this.#transportError('malformed', `malformed response: ${p.error}`);
    }
  }

  #onEnd(s: net.Socket): void {
    if (s !== this.#socket) return;
    if (this.#phase === IDLE) {
      if (this.#deadReason === '') this.#deadReason = 'EOF';
      return;
    }
    if (this.#phase === WAITING && this.#parser.finishEof() === DONE) {
      this.headerSize = this.#parser.headersDone ? this.#parser.headerSize : 0;
      this.#complete(this.#parser.code, false);
      return;
    }
    this.#transportError('closed', 'EOF before the response was complete');
  }

  #onError(s: net.Socket, e: Error): void {
    if (s !== this.#socket) return;
    if (this.#phase === IDLE) {
      if (this.#deadReason === '') this.#deadReason = errorText(e);
      return;
    }
    if (this.#phase === CONNECTING) this.#connectFailed(errorKindOf(e), errorText(e));
    else this.#transportError(errorKindOf(e), errorText(e));
  }

  protected onTimer(): void {
    if (this.#phase === IDLE) return;
    if (this.#phase === CONNECTING) this.#connectFailed('timeout', `connect timeout after ${this.o.timeoutMs}ms`);
    else this.#transportError('timeout', `i/o timeout after ${this.o.timeoutMs}ms`);
  }

  #connectFailed(kind: ErrorKind, text: string): void {
    this.recordConnectTime(this.#connectStart);
    logConnectError(this.ctx.threadId, this.dest, text);
    this.errorKind = kind;
    this.errorText = text;
    this.headerSize = 0;
    this.#complete(-1, false);
  }

  /** A failure after the request was written: retry once on a fresh socket when the kept one was dead. */
  #transportError(kind: ErrorKind, text: string): void {
    if (this.size === 0 && this.#reused && !this.retried) {
      logDeadSocket(this.ctx.threadId, this.dest, `${text} at first read`);
      this.#drop();
      this.retried = true;
      this.#reused = false;
      this.#connect();
      return;
    }
    logReadError(this.ctx.threadId, this.dest, this.size, text);
    this.errorKind = kind;
    this.errorText = text;
    this.headerSize = this.#parser.headersDone ? this.#parser.headerSize : 0;
    this.#complete(-1, false);
  }

  #complete(code: number, keep: boolean): void {
    this.#phase = IDLE;
    if (!this.withinReuseLimit(keep)) this.#drop();
    this.settleFetch(code);
  }

  #drop(): void {
    const s = this.#socket;
    if (s === null) return;
    this.#socket = null;
    s.destroy();
  }
}
