/**
 * What the lean and the undici client share: the result of the call in flight, the one pending call,
 * the deadline timer, the -connection-reuse limit and connect-time recording. A base class, not
 * helpers, so a call costs what it cost before: one Promise and its executor, nothing else.
 */
import * as net from 'node:net';
import { performance } from 'node:perf_hooks';
import { recordValue } from '../stats/fortioHistogram.js';
import type { CallOutcome, ClientContext, HttpClient } from './client.js';
import type { ErrorKind } from './errorKinds.js';
import type { HttpOptions } from './options.js';
import { type RequestTemplate, buildRequest } from './request.js';
import { connectHostOf, connectPortOf } from './resolve.js';

/** A connection-reuse limit drawn uniformly in [min, max]; 0 = unlimited. */
function drawReuseLimit([min, max]: readonly [number, number]): number {
  if (max <= 0) return 0;
  return min + Math.floor(Math.random() * (max - min + 1));
}

/**
 * An address (or a host name, before the lookup) with its port; IPv6 in brackets. Without a colon
 * it cannot be IPv6, so net.isIPv6's regex runs only for candidates: it costs ~12 ms of CPU to
 * compile on the first connect and 2-6 ms more at its tier-up on the second (docs/benchmarks.md).
 */
export function formatDest(ip: string, port: number): string {
  return ip.includes(':') && net.isIPv6(ip) ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export abstract class ClientBase implements HttpClient {
  // The call in flight's result so far; settleFetch() hands a copy to the caller.
  protected size = 0;
  protected headerSize = 0;
  protected errorKind: ErrorKind | null = null;
  protected errorText = '';

  protected readonly o: HttpOptions;
  protected readonly ctx: ClientContext;
  protected readonly tpl: RequestTemplate;
  /** Where to connect: -resolve, else the URL host. */
  protected readonly host: string;
  protected readonly port: number;
  /**
   * One timer per client for the call's deadline. A later call does not move it: it only writes
   * its deadline, and a timer that fires before that deadline sleeps again for the rest.
   * refresh() per keep-alive call was ~3 % of its CPU (docs/benchmarks.md, "Third pass"). Within
   * one call (connect, then send) the timer is moved as before, so a call's deadline is the same
   * instant it always was: a race with a sidecar's equal route timeout goes the same way.
   */
  #timer: NodeJS.Timeout | null = null;
  #timerArmed = false;
  /** The fetch() the timer was last armed in. */
  #armedCall = 0;
  #call = 0;
  /** performance.now() at which the call in flight times out. */
  #deadlineMs = 0;
  /** "ip:port" of the current connection, for logs. */
  protected dest = '';
  /** Calls sent on the current connection. */
  protected socketCalls = 0;
  /** This call already replaced a kept socket that turned out dead. */
  protected retried = false;
  protected closed = false;
  #reuseLimit: number;
  #resolve: ((outcome: CallOutcome) => void) | null = null;

  constructor(o: HttpOptions, ctx: ClientContext) {
    this.o = o;
    this.ctx = ctx;
    this.tpl = buildRequest(o);
    this.host = connectHostOf(o, this.tpl.target.hostname);
    this.port = connectPortOf(o, this.tpl.target.port);
    this.#reuseLimit = drawReuseLimit(o.connectionReuse);
  }

  /** Starts the deadline of the call (or of its connect) from now. */
  protected armDeadline(): void {
    this.#deadlineMs = performance.now() + this.o.timeoutMs;
    if (this.#timerArmed && this.#armedCall !== this.#call) return; // an earlier call's timer: it sleeps again when it fires
    this.#timerArmed = true;
    this.#armedCall = this.#call;
    if (this.#timer === null) {
      this.#timer = setTimeout(this.#onTimerFired, this.o.timeoutMs);
      this.#timer.unref();
    } else {
      this.#timer.refresh();
    }
  }

  /** No deadline any more: the client closes, or hands its calls to another. */
  protected disarmDeadline(): void {
    this.#timerArmed = false;
    if (this.#timer !== null) clearTimeout(this.#timer);
    // refresh() cannot revive a cleared timer: a later armDeadline makes a new one
    this.#timer = null;
  }

  readonly #onTimerFired = (): void => {
    this.#timerArmed = false;
    const rest = this.#deadlineMs - performance.now();
    if (this.#armedCall !== this.#call && rest >= 1) {
      // armed by an earlier call: sleep until this call's deadline
      this.#timerArmed = true;
      this.#armedCall = this.#call;
      this.#timer = setTimeout(this.#onTimerFired, Math.ceil(rest));
      this.#timer.unref();
      return;
    }
    this.onTimer();
  };

  fetch(): Promise<CallOutcome> {
    this.#call++;
    this.size = 0;
    this.headerSize = 0;
    this.errorKind = null;
    this.errorText = '';
    this.retried = false;
    if (this.closed) return Promise.resolve({ code: -1, size: 0, headerSize: 0, errorKind: 'other', errorText: 'client closed' });
    const p = new Promise<CallOutcome>((resolve) => {
      this.#resolve = resolve;
    });
    this.start();
    return p;
  }

  abstract abort(): void;
  abstract close(): Promise<void>;

  /** Sends the call that fetch() just opened; ends, maybe synchronously, with settleFetch(). */
  protected abstract start(): void;

  /** The deadline of the call in flight (connect or request) expired. */
  protected abstract onTimer(): void;

  /** `keep`, unless the connection has served its -connection-reuse limit (the next one draws anew). */
  protected withinReuseLimit(keep: boolean): boolean {
    if (keep && this.#reuseLimit > 0 && this.socketCalls >= this.#reuseLimit) {
      this.#reuseLimit = drawReuseLimit(this.o.connectionReuse);
      return false;
    }
    return keep;
  }

  /** Resolves the pending fetch() with `code` and the call's sizes and error. */
  protected settleFetch(code: number): void {
    const r = this.#resolve;
    this.#resolve = null;
    if (r !== null) {
      r({ code, size: this.size, headerSize: this.headerSize, errorKind: this.errorKind, errorText: this.errorText });
    }
  }

  /** fortio records connect times in seconds, at nanosecond precision. */
  protected recordConnectTime(startMs: number): void {
    recordValue(this.ctx.stats.connectionTime, Math.round((performance.now() - startMs) * 1e6) / 1e9);
  }
}
