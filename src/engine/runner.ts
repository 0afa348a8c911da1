/**
 * Logical threads on one event loop (fortio's runOne goroutines, one worker's share). Each
 * thread awaits its runnable back to back or on fortio's paced schedule, measures every call
 * and records it. Hot path: no per-call closures, timers or allocations at max qps.
 */
import { performance } from 'node:perf_hooks';
import { setImmediate as yieldToLoop } from 'node:timers/promises';
import { type FortioHistogramState, newFortioHistogram, recordValue } from '../stats/fortioHistogram.js';
import { type HdrHistogram, newHdr, recordNs } from '../stats/hdr.js';
import { SLEEP_SHAPE } from '../stats/fortioShapes.js';
import { info, warn } from '../shared/log.js';
import type { ThreadRunnable } from './runnable.js';
import {
  type RunPlan,
  goSeconds,
  jitterNs,
  nextCallIndex,
  stopForDuration,
  targetOffsetNs,
  uniformDelayNs,
} from './schedule.js';
import { keepHot } from './hotLoop.js';
import { formatDuration as formatGoDuration, formatG } from '../shared/goFormat.js';

/** A microtask-only loop (a runnable that resolves at once) must still let messages and timers in. */
const YIELD_EVERY_MS = 10;
/** Wake-ups this close to the target are on time (Node timers have 1 ms granularity). */
const SLEEP_SLACK_MS = 0.25;
/** After a forced stop, stop waiting for a thread whose run() ignores abort(). */
const FORCED_GRACE_MS = 1000;

export interface RunnerSettings {
  plan: RunPlan;
  /** -abort-on: 0 never, else the code that stops every thread (-1 = socket error). */
  abortOn: number;
  /** Shared start instant on this thread's performance.now() time base. */
  startMs: number;
  /** Called once when a call returns the -abort-on code (to stop the other workers). */
  onAbortOn?: (code: number) => void;
  random?: () => number;
  /** false: no HDR histograms (nobody reads them); default true */
  hdr?: boolean;
}

export interface RunnerThreadResult {
  id: number;
  calls: number;
  elapsedNs: number;
}

class ThreadLoop {
  calls = 0;
  startMs = 0;
  endMs = Number.NaN;
  inFlight = false;
  timer: NodeJS.Timeout | undefined = undefined;
  wake: (() => void) | undefined = undefined;
  constructor(
    readonly id: number,
    readonly runnable: ThreadRunnable,
    readonly count: number,
  ) {}
}

function fireTimer(t: ThreadLoop): void {
  t.timer = undefined;
  const w = t.wake;
  t.wake = undefined;
  if (w) w();
}

function wakeThread(t: ThreadLoop): void {
  if (t.timer !== undefined) clearTimeout(t.timer);
  fireTimer(t);
}

export class ThreadGroup {
  readonly duration: FortioHistogramState;
  readonly errors: FortioHistogramState;
  readonly sleep: FortioHistogramState = newFortioHistogram(SLEEP_SHAPE.offset, SLEEP_SHAPE.divider);
  /** undefined when the run records no HDR histograms (RunnerSettings.hdr) */
  readonly durationHdr: HdrHistogram | undefined;
  readonly errorsHdr: HdrHistogram | undefined;
  /** code → counter cell: one map lookup per call. */
  private readonly codeCells = new Map<number, { n: number }>();
  /** Timed calls recorded so far in this group. */
  calls = 0;
  stopped = false;
  forced = false;
  abortedOn: number | null = null;
  /** performance.now() when the last thread ended. */
  endMs = Number.NaN;
  private readonly loops: ThreadLoop[];
  private lastYieldMs = 0;
  private releaseForced: (() => void) | undefined;
  private readonly forcedGate: Promise<void>;

  constructor(
    private readonly settings: RunnerSettings,
    threads: ReadonlyArray<{ id: number; runnable: ThreadRunnable }>,
  ) {
    const { plan } = settings;
    this.duration = newFortioHistogram(plan.offset, plan.resolution);
    this.errors = newFortioHistogram(plan.offset, plan.resolution);
    const hdr = settings.hdr !== false;
    this.durationHdr = hdr ? newHdr() : undefined;
    this.errorsHdr = hdr ? newHdr() : undefined;
    this.loops = threads.map((t) => new ThreadLoop(t.id, t.runnable, plan.callsPerThread[t.id] ?? 0));
    this.forcedGate = new Promise((resolve) => {
      this.releaseForced = resolve;
    });
  }

  /** Runs every thread to its end; resolves early (after a grace period) only on a forced stop. */
  async run(): Promise<void> {
    this.lastYieldMs = performance.now();
    const all = Promise.all(this.loops.map((t) => this.runThread(t)));
    await Promise.race([all, this.forcedGate]);
    if (this.forced) all.catch(() => undefined);
    let end = Number.NaN;
    const now = performance.now();
    for (const t of this.loops) {
      if (Number.isNaN(t.endMs)) t.endMs = now; // stuck after a forced stop
      if (!(t.endMs <= end)) end = t.endMs;
    }
    this.endMs = this.loops.length > 0 ? end : now;
  }

  /** Graceful stop: every thread ends after its current call; sleeping threads wake at once. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.loops) wakeThread(t);
  }

  /** Forced stop: in-flight calls are aborted and discarded. */
  abort(): void {
    this.stop();
    if (this.forced) return;
    this.forced = true;
    for (const t of this.loops) if (t.inFlight) t.runnable.abort();
    setTimeout(() => this.releaseForced?.(), FORCED_GRACE_MS).unref();
  }

  codeCounts(): Array<[number, number]> {
    return [...this.codeCells].map(([c, cell]) => [c, cell.n]);
  }

  threadResults(): RunnerThreadResult[] {
    return this.loops.map((t) => ({
      id: t.id,
      calls: t.calls,
      elapsedNs: Number.isNaN(t.endMs) ? 0 : Math.max(0, Math.round((t.endMs - t.startMs) * 1e6)),
    }));
  }

  private triggerAbortOn(code: number): void {
    if (this.abortedOn !== null) return;
    this.abortedOn = code;
    this.stop();
    this.settings.onAbortOn?.(code);
  }

  private sleepOnce(t: ThreadLoop, ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      t.wake = resolve;
      t.timer = setTimeout(fireTimer, ms, t);
    });
  }

  /** Sleeps until an absolute performance.now() instant; Node's cached loop clock can fire early. */
  private async sleepUntil(t: ThreadLoop, targetMs: number): Promise<void> {
    for (;;) {
      const rem = targetMs - performance.now();
      if (rem <= SLEEP_SLACK_MS || this.stopped) return;
      await this.sleepOnce(t, Math.ceil(rem));
    }
  }

  private async runThread(t: ThreadLoop): Promise<void> {
    try {
      await this.loop(t);
    } catch (e) {
      if (!this.forced) throw e;
    }
    t.inFlight = false;
    if (Number.isNaN(t.endMs)) t.endMs = performance.now();
  }

  private async loop(t: ThreadLoop): Promise<void> {
    const { plan, abortOn } = this.settings;
    const random = this.settings.random ?? Math.random;
    const idStr = 'T' + String(t.id).padStart(3, '0');
    const count = t.count;
    const pq = plan.perThreadQps;
    const paced = !plan.maxQps;
    const counted = plan.exactly > 0 || plan.hasDuration;
    const durationBound = plan.exactly === 0 && plan.hasDuration;
    // start + D is not shifted by -uniform (fortio computes endTime first)
    const endMs = this.settings.startMs + plan.durationNs / 1e6;
    let start = this.settings.startMs;
    if (plan.uniform) start += uniformDelayNs(t.id, plan.threads, plan.qps) / 1e6;
    t.startMs = start;
    if (start - performance.now() > SLEEP_SLACK_MS) {
      await this.sleepUntil(t, start);
      // fortio returns from a stop during the uniform delay without its "ended after" line
      if (this.stopped) return;
    }
    const durationHist = this.duration;
    const errorsHist = this.errors;
    const durationHdr = this.durationHdr;
    const errorsHdr = this.errorsHdr;
    const cells = this.codeCells;
    let i = 0;
    for (;;) {
      const f0 = performance.now();
      if (durationBound && f0 > endMs && stopForDuration(plan, i, count)) {
        if (paced) warn(`${idStr} warning only did ${i} out of ${count} calls before reaching ${formatGoDuration(plan.durationNs)}`);
        break;
      }
      t.inFlight = true;
      if (!paced) keepHot(f0); // hotLoop.ts: max rate only
      const r = await t.runnable.run(false);
      const f1 = performance.now();
      t.inFlight = false;
      if (!paced) keepHot(f1);
      if (this.forced) break;
      const ns = Math.round((f1 - f0) * 1e6);
      const sec = ns / 1e9;
      recordValue(durationHist, sec);
      if (durationHdr !== undefined) recordNs(durationHdr, ns);
      if (!r.ok) {
        recordValue(errorsHist, sec);
        if (errorsHdr !== undefined) recordNs(errorsHdr, ns);
      }
      const cell = cells.get(r.code);
      if (cell === undefined) cells.set(r.code, { n: 1 });
      else cell.n++;
      t.calls++;
      this.calls++;
      if (abortOn !== 0 && r.code === abortOn) this.triggerAbortOn(r.code);
      if (paced) {
        const elapsedNs = Math.round((performance.now() - start) * 1e6);
        i = nextCallIndex(i, count, counted, pq, plan.hasDuration, elapsedNs, plan.noCatchUp);
        if (counted && i >= count) break;
        const targetNs = targetOffsetNs(i, count, pq, plan.hasDuration);
        let sleepNs = targetNs - elapsedNs;
        if (plan.jitter) sleepNs += jitterNs(sleepNs, random);
        recordValue(this.sleep, sleepNs / 1e9);
        if (this.stopped) break;
        if (sleepNs > 0) {
          // absolute slot (start + target + jitter), never an accumulated relative sleep
          await this.sleepUntil(t, start + (elapsedNs + sleepNs) / 1e6);
          if (this.stopped) break;
          this.lastYieldMs = performance.now();
          continue;
        }
      } else {
        i++;
        if (plan.exactly > 0 && i >= count) break;
        if (this.stopped) break;
      }
      if (f1 - this.lastYieldMs > YIELD_EVERY_MS) {
        await yieldToLoop();
        this.lastYieldMs = performance.now();
        if (this.stopped) break;
      }
    }
    t.endMs = performance.now();
    const elapsedNs = Math.max(0, Math.round((t.endMs - start) * 1e6));
    // fortio prints its slot index: with -nocatchup skipped slots are included
    info(`${idStr} ended after ${formatGoDuration(elapsedNs)} : ${i} calls. qps=${formatG(i / goSeconds(elapsedNs))}`);
  }
}
