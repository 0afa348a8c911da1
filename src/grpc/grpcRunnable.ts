/**
 * fortio's GRPCRunnerResults.Run for one logical thread (fgrpc/grpcrunner.go): a ping or a
 * health check per call, counted under the health status name (SERVING for a ping answered) or
 * ERROR. Threads i*s … i*s+s-1 share connection i (fortio's `newConn := i%o.Streams == 0`): the
 * engine keeps such a group on one worker (EngineSpec.threadGroup) and the connection is kept
 * here, per worker. The warmup is fortio's first call, made by a connection's first thread only.
 * Loaded by URL inside the engine's workers, like the HTTP runnable.
 */
import type { CallResult, ThreadRunnable } from '../engine/runnable.js';
import { error as logError, warn } from '../shared/log.js';
import { GrpcConnection, HEALTH_PATH, healthStatusName, PING_PATH, pingServing } from './client.js';
import { encodeHealthRequest, encodePing } from './messages.js';
import type { GrpcLoadOptions } from './options.js';
import { newGrpcThreadStats, type GrpcThreadStats } from './stats.js';

/** fgrpc.Error: the RetCodes key of a failed call. */
export const GRPC_ERROR = 'ERROR';
export const SERVING = 'SERVING';
/** The result of every call answered SERVING: shared, the engine only reads it. */
const OK: CallResult = Object.freeze({ ok: true, code: 0 });

/** This worker's connections, by connection index, with the threads still using each. */
const connections = new Map<number, { conn: GrpcConnection; users: number }>();

function acquire(index: number, o: GrpcLoadOptions): GrpcConnection {
  let c = connections.get(index);
  if (!c) {
    c = { conn: new GrpcConnection(o), users: 0 };
    connections.set(index, c);
  }
  c.users++;
  return c.conn;
}

function release(index: number): void {
  const c = connections.get(index);
  if (!c) return;
  if (--c.users <= 0) {
    c.conn.close();
    connections.delete(index);
  }
}

export class GrpcRunnable implements ThreadRunnable {
  readonly stats: GrpcThreadStats = newGrpcThreadStats();
  #aborted = false;
  /** The request, serialised once: fortio sends the same reqP/reqH every call. */
  readonly #req: Buffer;
  readonly #path: string;
  /** The reply's RetCodes key: SERVING for a ping answered, else the health status name. */
  readonly #key: (b: Buffer) => string;

  constructor(
    readonly threadId: number,
    readonly o: GrpcLoadOptions,
    readonly conn: GrpcConnection | null,
  ) {
    this.#req = o.ping
      ? encodePing({ seq: BigInt(threadId), ts: BigInt(o.setupTsNs), payload: o.payload, delayNanos: BigInt(o.delayNs) })
      : encodeHealthRequest(o.healthService);
    this.#path = o.ping ? PING_PATH : HEALTH_PATH;
    this.#key = o.ping ? pingServing : healthStatusName;
  }

  async run(warmup: boolean): Promise<CallResult> {
    const conn = this.conn;
    if (warmup) {
      // fortio's first call: one per new connection, before the run, only without -n
      if (conn === null || !this.o.firstCall || this.threadId % this.o.streams !== 0) return { ok: true, code: 0 };
      const out = await conn.unary(this.#path, this.#req, this.#key);
      if (out.ok) return { ok: true, code: 0 };
      if (!this.o.allowInitialErrors) logError(`Error in first grpc call (ping = ${this.o.ping}) for ${this.o.destination}: ${out.error}`);
      return { ok: false, code: out.code, detail: out.error };
    }
    if (conn === null) return { ok: false, code: -1, detail: 'no connection' };
    const out = await conn.unary(this.#path, this.#req, this.#key);
    if (this.#aborted) return { ok: false, code: -1, detail: 'aborted' };
    const key = out.ok ? out.reply : GRPC_ERROR;
    this.stats.retCodes[key] = (this.stats.retCodes[key] ?? 0) + 1;
    if (!out.ok) {
      warn(`Error making grpc call: ${out.error}`);
      return { ok: false, code: out.code, detail: out.error };
    }
    return key === SERVING ? OK : { ok: false, code: 0 };
  }

  abort(): void {
    this.#aborted = true;
    this.conn?.cancelAll();
  }

  close(): Promise<void> {
    if (this.conn) release(Math.floor(this.threadId / this.o.streams));
    return Promise.resolve();
  }

  snapshot(): GrpcThreadStats {
    return this.stats;
  }
}

/** RunnableModule entry point: threads past the lowered count never connect, as fortio dials for those it keeps. */
export function createRunnable(threadId: number, o: GrpcLoadOptions): GrpcRunnable {
  const conn = threadId < o.activeThreads ? acquire(Math.floor(threadId / o.streams), o) : null;
  return new GrpcRunnable(threadId, o, conn);
}
