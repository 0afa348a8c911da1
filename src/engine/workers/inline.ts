/**
 * A run's only worker share served on this thread instead of a worker thread: the same messages
 * over a MessageChannel, so pool.ts drives it like a Worker. It saves what a worker costs before
 * its first call and for the whole run: a V8 isolate and Node's bootstrap (~70 ms of CPU and
 * ~15 MB of RSS on the 2-core bench machine, docs/benchmarks.md). For callers whose thread has
 * nothing else to do during the run (`tripbench load`); the rehearsal's Envoy emulator, which
 * shares main's thread, keeps its worker.
 */
import { EventEmitter } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import type { ResourceLimits } from 'node:worker_threads';
import type { MainToWorker, WorkerInit } from './protocol.js';

/** V8's default semi-space growth factor (flag --semi-space-growth-factor). */
const V8_SEMI_SPACE_GROWTH = 2;

export class InlineWorker extends EventEmitter {
  // the global MessageChannel is worker_threads' own class, without loading that module
  readonly #channel = new MessageChannel();
  readonly #capYoung: boolean;
  #ended = false;
  readonly #onUncaught = (e: Error): void => void this.emit('error', e);

  constructor(init: WorkerInit, resourceLimits: ResourceLimits | undefined) {
    super();
    // A young-generation cap cannot be set on a running isolate, but V8 reads the growth factor
    // at each resize: 1 keeps this thread's young generation at its start size (1 MB semi-spaces),
    // below the 6 MB a worker of the lean client gets, for the run's duration. Such a scavenge
    // takes ~0.2 ms on one thread; done in parallel it wakes V8's helper threads each time (~20
    // futex calls), which then compete with a loopback target for the other core. V8 reads this
    // flag at each scavenge too (docs/benchmarks.md, "Third pass").
    this.#capYoung = resourceLimits?.maxYoungGenerationSizeMb !== undefined;
    if (this.#capYoung) setFlagsFromString('--semi-space-growth-factor=1 --no-parallel-scavenge');
    // A throw from a runnable's callback would crash a worker thread, reported as 'error': here it
    // is reported the same way instead of ending the process.
    process.on('uncaughtException', this.#onUncaught);
    const { port1, port2 } = this.#channel;
    port1.on('message', (m: unknown) => this.emit('message', m));
    import('./serve.js').then(
      (m) => m.serveWorker(port2, init, false),
      (e: unknown) => this.emit('error', e instanceof Error ? e : new Error(String(e))),
    );
  }

  postMessage(m: MainToWorker): void {
    if (!this.#ended) this.#channel.port1.postMessage(m);
  }

  terminate(): Promise<number> {
    if (!this.#ended) {
      this.#ended = true;
      process.off('uncaughtException', this.#onUncaught);
      if (this.#capYoung) setFlagsFromString(`--semi-space-growth-factor=${V8_SEMI_SPACE_GROWTH} --parallel-scavenge`);
      this.#channel.port1.close();
      this.#channel.port2.close();
    }
    return Promise.resolve(0);
  }
}
