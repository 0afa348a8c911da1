/**
 * fortio's TCPClient (tcprunner/tcprunner.go, Fetch and connect): one socket per thread, kept
 * while the echo matches; each message is written whole and read back until as many bytes came,
 * compared byte for byte. A reused socket that fails at write is closed and the message retried
 * once on a new socket ("Closing dead socket"); every other failure closes the socket and the next
 * call connects again, so "Sockets used" counts the reconnects.
 */
import { Socket } from 'node:net';
import * as log from '../shared/log.js';
import { dialError, goHostPort, goSyscallText } from './goErrors.js';
import { messageFor } from './payload.js';
import type { NetThreadStats } from './stats.js';

/** What one message gave: null when echoed, else fortio's error text (the RetCodes key). */
export type EchoOutcome = string | null;

export const ERR_SHORT_READ = 'short read';
export const ERR_LONG_READ = 'bug: long read';
export const ERR_MISMATCH = 'read not echoing writes';

export class TcpEchoClient {
  readonly #dest: string;
  #socket: Socket | null = null;
  #messages = 0;
  #inFlight: Socket | null = null;

  constructor(
    readonly thread: number,
    readonly address: string,
    readonly port: number,
    readonly payload: Uint8Array | null,
    readonly timeoutMs: number,
    readonly stats: NetThreadStats,
  ) {
    this.#dest = goHostPort(address, port);
  }

  #connect(): Promise<Socket | string> {
    this.stats.socketCount++;
    return new Promise((resolve) => {
      const s = new Socket();
      const fail = (text: string): void => {
        s.destroy();
        log.error(`Unable to connect to ${this.#dest} : ${text}`, { thread: this.thread });
        resolve(text);
      };
      // net.Dial has no deadline in fortio; here the read timeout bounds a silent connect too.
      const timer = setTimeout(() => fail(`dial tcp ${this.#dest}: i/o timeout`), this.timeoutMs);
      s.once('error', (e) => {
        clearTimeout(timer);
        fail(dialError('tcp', this.#dest, e));
      });
      s.connect({ host: this.address, port: this.port, noDelay: true }, () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        s.on('error', () => undefined); // surfaced by the read/write that meets it
        resolve(s);
      });
      this.#inFlight = s;
    });
  }

  async fetch(retried = false): Promise<EchoOutcome> {
    let conn = this.#socket;
    this.#messages++;
    const reuse = conn !== null;
    if (conn === null) {
      const c = await this.#connect();
      if (typeof c === 'string') return c;
      conn = c;
    }
    this.#socket = null; // kept again only on success
    this.#inFlight = conn;
    const req = messageFor(this.payload, this.thread, this.#messages);
    if (reuse && (conn.destroyed || !conn.writable || conn.readableEnded)) {
      // fortio: "it's ok for the (idle) socket to die once, auto reconnect" (write error on reuse).
      if (log.logEnabled(log.Level.Info)) log.info(`Closing dead socket ${this.#dest} (closed while idle)`, { thread: this.thread });
      conn.destroy();
      return retried ? ERR_SHORT_READ : this.fetch(true);
    }
    const r = await exchange(conn, req, this.timeoutMs, this.stats);
    if (r === null) {
      this.#socket = conn;
      return null;
    }
    conn.destroy();
    if (r !== ERR_MISMATCH) log.error(`[${this.thread}] Unable to read: ${r}`, { thread: this.thread });
    else if (log.logEnabled(log.Level.Info)) log.info(`Mismatch between sent and received`, { thread: this.thread });
    return r;
  }

  abort(): void {
    this.#inFlight?.destroy();
    this.#socket?.destroy();
  }

  close(): void {
    this.#socket?.destroy();
    this.#socket = null;
  }
}

/** One write and the read of as many bytes back, before the read deadline set at the start (SetReadDeadline). */
function exchange(conn: Socket, req: Uint8Array, timeoutMs: number, stats: NetThreadStats): Promise<EchoOutcome> {
  return new Promise((resolve) => {
    const got = Buffer.allocUnsafe(req.length);
    let n = 0;
    const finish = (r: EchoOutcome): void => {
      clearTimeout(timer);
      conn.off('data', onData);
      conn.off('end', onEnd);
      conn.off('close', onEnd);
      conn.off('error', onError);
      resolve(r);
    };
    const onData = (chunk: Buffer): void => {
      stats.bytesReceived += chunk.length;
      if (n + chunk.length > req.length) {
        finish(ERR_LONG_READ);
        return;
      }
      chunk.copy(got, n);
      n += chunk.length;
      if (n === req.length) finish(Buffer.compare(got, req) === 0 ? null : ERR_MISMATCH);
    };
    const onEnd = (): void => finish(ERR_SHORT_READ); // Go: EOF or ECONNRESET before all bytes
    const onError = (e: unknown): void => {
      const code = (e as { code?: unknown }).code;
      finish(code === 'ECONNRESET' || code === 'EPIPE' ? ERR_SHORT_READ : `read tcp ${local(conn)}: ${goSyscallText(e)}`);
    };
    const timer = setTimeout(() => finish(`read tcp ${local(conn)}: i/o timeout`), timeoutMs);
    conn.on('data', onData);
    conn.once('end', onEnd);
    conn.once('close', onEnd);
    conn.on('error', onError);
    conn.write(req);
    stats.bytesSent += req.length;
  });
}

/** Go's `127.0.0.1:38732->127.0.0.1:8078` of a read error. */
function local(s: Socket): string {
  return `${goHostPort(s.localAddress ?? '', s.localPort ?? 0)}->${goHostPort(s.remoteAddress ?? '', s.remotePort ?? 0)}`;
}
