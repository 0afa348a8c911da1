/**
 * fortio's UDPClient (udprunner/udprunner.go, Fetch): a connected datagram socket per thread,
 * kept while the echo matches; each message is one datagram and one datagram read back before
 * the read deadline (-udp-timeout, 750ms). Its errors are fortio's: `timeout`, `short read`
 * (fewer bytes, or a read error such as an ICMP port unreachable: Go's Read returns n = 0),
 * `bug: long read`, `read not echoing writes`.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import * as log from '../shared/log.js';
import { dialError, goHostPort } from './goErrors.js';
import { messageFor } from './payload.js';
import type { NetThreadStats } from './stats.js';
import { ERR_LONG_READ, ERR_MISMATCH, ERR_SHORT_READ, type EchoOutcome } from './tcpClient.js';

export const ERR_TIMEOUT = 'timeout';

export class UdpEchoClient {
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
      const s = createSocket(isIPv6(this.address) ? 'udp6' : 'udp4');
      this.#inFlight = s;
      s.once('error', (e) => {
        s.close();
        const text = dialError('udp', this.#dest, e);
        log.error(`Unable to connect to ${this.#dest} : ${text}`, { thread: this.thread });
        resolve(text);
      });
      s.connect(this.port, this.address, () => {
        s.removeAllListeners('error');
        s.on('error', () => undefined); // surfaced by the read that meets it
        resolve(s);
      });
    });
  }

  async fetch(): Promise<EchoOutcome> {
    let conn = this.#socket;
    this.#messages++;
    if (conn === null) {
      const c = await this.#connect();
      if (typeof c === 'string') return c;
      conn = c;
    }
    this.#socket = null; // kept again only on success
    this.#inFlight = conn;
    const req = messageFor(this.payload, this.thread, this.#messages);
    const r = await exchange(conn, req, this.timeoutMs, this.stats);
    if (r === null) {
      this.#socket = conn;
      return null;
    }
    closeQuietly(conn);
    if (r === ERR_LONG_READ) log.error(`BUG: read more than possible vs ${req.length}`, { thread: this.thread });
    return r;
  }

  abort(): void {
    if (this.#inFlight) closeQuietly(this.#inFlight);
    if (this.#socket) closeQuietly(this.#socket);
  }

  close(): void {
    if (this.#socket) closeQuietly(this.#socket);
    this.#socket = null;
  }
}

function closeQuietly(s: Socket): void {
  try {
    s.close();
  } catch {
    // already closed
  }
}

function exchange(conn: Socket, req: Uint8Array, timeoutMs: number, stats: NetThreadStats): Promise<EchoOutcome> {
  return new Promise((resolve) => {
    const finish = (r: EchoOutcome): void => {
      clearTimeout(timer);
      conn.off('message', onMessage);
      conn.off('error', onError);
      conn.off('close', onClose);
      resolve(r);
    };
    const onMessage = (msg: Buffer): void => {
      stats.bytesReceived += Math.min(msg.length, req.length); // Go reads into a len(req) buffer
      if (msg.length < req.length) finish(ERR_SHORT_READ);
      else if (msg.length > req.length) finish(ERR_LONG_READ);
      else finish(Buffer.compare(msg, req) === 0 ? null : ERR_MISMATCH);
    };
    const onError = (): void => finish(ERR_SHORT_READ);
    const onClose = (): void => finish(ERR_SHORT_READ);
    const timer = setTimeout(() => finish(ERR_TIMEOUT), timeoutMs);
    conn.on('message', onMessage);
    conn.on('error', onError);
    conn.once('close', onClose);
    conn.send(req, (e) => {
      if (e) finish(ERR_SHORT_READ);
      else stats.bytesSent += req.length;
    });
  });
}
