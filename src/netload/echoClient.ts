/**
 * What fortio's TCPClient and UDPClient share (tcprunner/tcprunner.go, udprunner/udprunner.go,
 * Fetch): one socket per thread, kept while the echo matches and dropped on any failure, so the
 * next call dials again and "Sockets used" counts the reconnects; each call is fortio's message
 * for this thread and call number, and one read deadline (SetReadDeadline) set before the write.
 * The protocol supplies the dial, the exchange and what its failures log.
 */
import { goHostPort } from './goErrors.js';
import { messageFor } from './payload.js';
import type { NetThreadStats } from './stats.js';

/** What one message gave: null when echoed, else fortio's error text (the RetCodes key). */
export type EchoOutcome = string | null;

export const ERR_SHORT_READ = 'short read';
export const ERR_LONG_READ = 'bug: long read';
export const ERR_MISMATCH = 'read not echoing writes';

/**
 * A client's read deadline: one timer, refreshed for every call instead of a new one armed and
 * cleared per call (a load run makes millions). Between calls it may still fire, with nothing to do.
 */
export class Deadline {
  #timer: NodeJS.Timeout | undefined;
  #onExpire: (() => void) | undefined;

  constructor(readonly ms: number) {}

  /** `onExpire` runs once `ms` from now unless disarm() comes first. */
  arm(onExpire: () => void): void {
    this.#onExpire = onExpire;
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => this.#fire(), this.ms);
      // the socket being read keeps the thread alive, not its deadline
      this.#timer.unref();
    } else this.#timer.refresh();
  }

  disarm(): void {
    this.#onExpire = undefined;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#onExpire = undefined;
  }

  #fire(): void {
    const f = this.#onExpire;
    this.#onExpire = undefined;
    f?.();
  }
}

export abstract class EchoClient<S> {
  protected readonly dest: string;
  /** the socket of the call in progress (a dial included): abort() closes it */
  protected inFlight: S | null = null;
  protected readonly deadline: Deadline;
  #socket: S | null = null;
  #messages = 0;

  constructor(
    readonly thread: number,
    readonly address: string,
    readonly port: number,
    readonly payload: Uint8Array | null,
    readonly timeoutMs: number,
    readonly stats: NetThreadStats,
  ) {
    this.dest = goHostPort(address, port);
    this.deadline = new Deadline(timeoutMs);
  }

  /** a new socket, or fortio's dial error text */
  protected abstract dial(): Promise<S | string>;
  /** one message out and its echo back before the deadline */
  protected abstract exchange(conn: S, req: Uint8Array): Promise<EchoOutcome>;
  protected abstract destroy(s: S): void;
  /** what fortio logs for a failed call */
  protected abstract logFailure(outcome: string, req: Uint8Array): void;
  /** A kept socket found dead before the write: closed here, and the message goes on a new one (TCP). */
  protected droppedDeadSocket(_conn: S): boolean {
    return false;
  }

  async fetch(retried = false): Promise<EchoOutcome> {
    let conn = this.#socket;
    this.#messages++;
    const reuse = conn !== null;
    if (conn === null) {
      this.stats.socketCount++;
      const c = await this.dial();
      if (typeof c === 'string') return c;
      conn = c;
    }
    this.#socket = null; // kept again only on success
    this.inFlight = conn;
    const req = messageFor(this.payload, this.thread, this.#messages);
    // fortio: "it's ok for the (idle) socket to die once, auto reconnect"
    if (reuse && this.droppedDeadSocket(conn)) return retried ? ERR_SHORT_READ : this.fetch(true);
    const r = await this.exchange(conn, req);
    if (r === null) {
      this.#socket = conn;
      return null;
    }
    this.destroy(conn);
    this.logFailure(r, req);
    return r;
  }

  abort(): void {
    if (this.inFlight) this.destroy(this.inFlight);
    if (this.#socket) this.destroy(this.#socket);
  }

  close(): void {
    if (this.#socket) this.destroy(this.#socket);
    this.#socket = null;
    this.deadline.dispose();
  }
}
