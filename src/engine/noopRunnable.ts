/**
 * A fake protocol for engine tests and engine-overhead benchmarks (fortio's Noop runnable):
 * configurable delay, cycled status codes, periodic failures, a call that hangs until abort(),
 * and a crash switch. Its snapshot counts calls and warmups per thread.
 */
import { performance } from 'node:perf_hooks';
import type { CallResult, ThreadRunnable } from './runnable.js';

export interface NoopOptions {
  /** Delay of each call in ms (setTimeout); 0/absent = resolves at once. */
  delayMs?: number;
  /** Codes returned in turn by this thread's calls (default [200]); ok = 2xx or 418. */
  codes?: number[];
  /** Every failEvery-th call (1-based, per thread) fails with failCode. */
  failEvery?: number;
  failCode?: number;
  /** Threads failEvery applies to (all when absent). */
  failThreads?: number[];
  /** This 1-based call of each listed thread (all threads when absent) never settles until abort(). */
  hangOnCall?: number;
  hangThreads?: number[];
  /** Warmup result per thread id; default 200. */
  warmupCodes?: Record<string, number>;
  /** Delay of warmup calls in ms. */
  warmupDelayMs?: number;
  /** Throw an uncaught error from a timer on this 1-based call of thread 0 (worker crash). */
  crashOnCall?: number;
  /** Record each call's start (epoch ms) in the snapshot, up to this many per thread. */
  recordTimes?: number;
}

export interface NoopSnapshot {
  threadId: number;
  calls: number;
  warmups: number;
  /** Epoch ms (performance.timeOrigin + now()) of each call's start, when recordTimes is set. */
  callTimes: number[];
  /** Epoch ms start/end of each warmup call. */
  warmupTimes: Array<[number, number]>;
  closed: boolean;
  aborted: number;
}

function codeOk(code: number): boolean {
  return (code >= 200 && code < 300) || code === 418;
}

const epochNow = (): number => performance.timeOrigin + performance.now();

class NoopRunnable implements ThreadRunnable {
  private readonly codes: number[];
  /** One settled promise per code, reused: an immediate call allocates nothing. */
  private readonly ready: Array<Promise<CallResult>>;
  private readonly failed: Promise<CallResult>;
  private readonly delayMs: number;
  private readonly hangOn: number;
  private readonly failEvery: number;
  private readonly snap: NoopSnapshot;
  private pending: ((r: CallResult) => void) | undefined;
  private pendingTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly threadId: number,
    private readonly o: NoopOptions,
  ) {
    this.codes = o.codes && o.codes.length > 0 ? o.codes : [200];
    this.ready = this.codes.map((code) => Promise.resolve({ ok: codeOk(code), code }));
    this.failed = Promise.resolve({ ok: false, code: o.failCode ?? 503 });
    this.delayMs = o.delayMs ?? 0;
    const hangHere = o.hangOnCall !== undefined && (!o.hangThreads || o.hangThreads.includes(threadId));
    this.hangOn = hangHere ? (o.hangOnCall as number) : 0;
    const failHere = o.failEvery !== undefined && o.failEvery > 0 && (!o.failThreads || o.failThreads.includes(threadId));
    this.failEvery = failHere ? (o.failEvery as number) : 0;
    this.snap = { threadId, calls: 0, warmups: 0, callTimes: [], warmupTimes: [], closed: false, aborted: 0 };
  }

  run(warmup: boolean): Promise<CallResult> {
    if (warmup) return this.warmup();
    const n = ++this.snap.calls;
    if (this.o.recordTimes !== undefined && this.snap.callTimes.length < this.o.recordTimes) this.snap.callTimes.push(epochNow());
    if (this.o.crashOnCall === n && this.threadId === 0) {
      setTimeout(() => {
        throw new Error(`noop runnable crash on call ${n}`);
      }, 0);
    }
    if (n === this.hangOn) return new Promise((resolve) => (this.pending = resolve));
    const res = this.failEvery > 0 && n % this.failEvery === 0 ? this.failed : (this.ready[(n - 1) % this.ready.length] as Promise<CallResult>);
    if (this.delayMs <= 0) return res;
    return new Promise((resolve) => {
      this.pending = resolve;
      this.pendingTimer = setTimeout(() => {
        this.pending = undefined;
        this.pendingTimer = undefined;
        void res.then(resolve);
      }, this.delayMs);
    });
  }

  private async warmup(): Promise<CallResult> {
    const start = epochNow();
    this.snap.warmups++;
    if (this.o.warmupDelayMs) await new Promise((r) => setTimeout(r, this.o.warmupDelayMs));
    const code = this.o.warmupCodes?.[String(this.threadId)] ?? 200;
    this.snap.warmupTimes.push([start, epochNow()]);
    return { ok: codeOk(code), code, detail: codeOk(code) ? undefined : '0 bytes' };
  }

  abort(): void {
    this.snap.aborted++;
    if (this.pendingTimer !== undefined) clearTimeout(this.pendingTimer);
    this.pendingTimer = undefined;
    const p = this.pending;
    this.pending = undefined;
    p?.({ ok: false, code: -1, detail: 'aborted' });
  }

  async close(): Promise<void> {
    this.snap.closed = true;
  }

  snapshot(): NoopSnapshot {
    return { ...this.snap, callTimes: this.snap.callTimes.slice(), warmupTimes: this.snap.warmupTimes.slice() };
  }
}

export function createRunnable(threadId: number, options: unknown): ThreadRunnable {
  return new NoopRunnable(threadId, (options ?? {}) as NoopOptions);
}
