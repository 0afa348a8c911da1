/**
 * The admin endpoint's `?filter=REGEX`, run off the data path. Envoy matches stat names with
 * RE2; so do we (re2js, a pure-JS port: linear time, no backtracking, so `^(([^a]+)+)+$a` is
 * cheap). Linear is not free, though: a 1 KB pattern such as `(\pL{1000})` repeated compiles
 * into a 90 000-instruction program and takes seconds. Compiling and matching therefore run
 * on one worker thread, one request at a time, each within FILTER_BUDGET_MS; the sidecar's
 * event loop only copies the names there and back, so no pattern can stall its listener.
 */
import { Worker } from 'node:worker_threads';
import { compiledUrl } from '../shared/modulePath.js';

/** A filter that has not finished by then is abandoned (the worker is replaced). */
export const FILTER_BUDGET_MS = 5_000;
/** Filters waiting for the worker beyond this get 503 at once, so a flood queues nothing. */
export const FILTER_QUEUE_MAX = 16;

export interface FilterRequest {
  id: number;
  pattern: string;
  names: string[];
}
export type FilterReply = { id: number; keep: boolean[] } | { id: number; invalid: true };

export type FilterOutcome = { ok: true; keep: boolean[] } | { ok: false; status: number; body: string };

export const INVALID_RE2 = 'Invalid re2 regex';

interface Pending {
  resolve(o: FilterOutcome): void;
  timer: NodeJS.Timeout;
}

export class StatFilter {
  private worker: Worker | undefined;
  /** Resolves once the current worker runs: its start-up (seconds on a busy machine) is not the pattern's cost. */
  private online: Promise<void> = Promise.resolve();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private chain: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private closed = false;

  /** Which of `names` the RE2 pattern partially matches; or the admin answer for a bad pattern. */
  filter(pattern: string, names: string[]): Promise<FilterOutcome> {
    if (this.closed) return Promise.resolve({ ok: false, status: 503, body: 'admin is shutting down\n' });
    if (this.queued >= FILTER_QUEUE_MAX) return Promise.resolve({ ok: false, status: 503, body: `too many /stats?filter= requests at once (at most ${FILTER_QUEUE_MAX})\n` });
    this.queued++;
    const run = this.chain.then(() => this.run(pattern, names));
    this.chain = run.finally(() => this.queued--);
    return run;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(compiledUrl('./statFilterWorker.js', import.meta.url));
    // The admin never keeps a process alive that would otherwise exit.
    w.unref();
    w.on('message', (m: FilterReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      clearTimeout(p.timer);
      p.resolve('keep' in m ? { ok: true, keep: m.keep } : { ok: false, status: 400, body: `${INVALID_RE2}\n` });
    });
    const fail = (why: string): void => {
      if (this.worker === w) this.worker = undefined;
      for (const [id, p] of this.pending) {
        clearTimeout(p.timer);
        p.resolve({ ok: false, status: 503, body: `stats filter failed: ${why}\n` });
        this.pending.delete(id);
      }
    };
    this.online = new Promise<void>((resolve) => {
      w.once('online', () => resolve());
      w.once('error', () => resolve());
      w.once('exit', () => resolve());
    });
    w.on('error', (e) => fail(e.message));
    w.on('exit', () => fail('its worker exited'));
    this.worker = w;
    return w;
  }

  private async run(pattern: string, names: string[]): Promise<FilterOutcome> {
    if (this.closed) return { ok: false, status: 503, body: 'admin is shutting down\n' };
    const w = this.ensureWorker();
    await this.online;
    if (this.closed || this.worker !== w) return { ok: false, status: 503, body: this.closed ? 'admin is shutting down\n' : 'stats filter failed: its worker exited\n' };
    const id = this.nextId++;
    return new Promise<FilterOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        // The worker is busy with this pattern for who knows how long: replace it.
        if (this.worker === w) this.worker = undefined;
        void w.terminate();
        resolve({ ok: false, status: 503, body: `stats filter took longer than ${FILTER_BUDGET_MS / 1000}s; use a simpler pattern\n` });
      }, FILTER_BUDGET_MS);
      timer.unref();
      this.pending.set(id, { resolve, timer });
      const req: FilterRequest = { id, pattern, names };
      w.postMessage(req);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = undefined;
    if (w) await w.terminate();
  }
}
