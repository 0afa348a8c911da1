/**
 * The only thing the pacing engine knows about a protocol (fortio's periodic.Runnable).
 * One ThreadRunnable per logical connection ("thread" in fortio's words); it is created,
 * called and closed inside one worker thread and never shared.
 */
export interface CallResult {
  /** fortio's success flag: false puts the call's latency in the error histogram too. */
  ok: boolean;
  /** fortio's details: the status code, -1 for a transport failure. Drives -abort-on and progress. */
  code: number;
  /** Human detail for a failed warmup message, e.g. "132 bytes" or the socket error. */
  detail?: string | undefined;
}

export interface ThreadRunnable {
  /** One call. Warmup calls must not be counted in the protocol's own statistics. */
  run(warmup: boolean): Promise<CallResult>;
  /** Forced stop: make an in-flight run() settle promptly (its result is discarded). */
  abort(): void;
  /** Release sockets; called once, after the last call. */
  close(): Promise<void>;
  /** This thread's protocol statistics, structured-clone-safe; read once after close(). */
  snapshot(): unknown;
}

/**
 * Shape of a module a worker loads by URL to build its runnables. Options travel to the worker
 * by structured clone, so they are plain data.
 */
export interface RunnableModule {
  createRunnable(threadId: number, options: unknown): ThreadRunnable | Promise<ThreadRunnable>;
}
