/**
 * Ctrl-C / SIGTERM: the first signal stops the run gracefully (threads finish their current
 * call, the report and JSON are still written); a second one aborts in-flight calls.
 */
export interface StopSignals {
  graceful: AbortSignal;
  forced: AbortSignal;
  dispose(): void;
}

/** notify: where the "Received SIGINT" notice goes (through a progress line while one is shown). */
export function installStopSignals(notify: (line: string) => void = (l) => void process.stderr.write(l)): StopSignals {
  const graceful = new AbortController();
  const forced = new AbortController();
  const onSignal = (sig: NodeJS.Signals): void => {
    if (!graceful.signal.aborted) {
      notify(`\nReceived ${sig}, stopping after the current calls (again to abort them)\n`);
      graceful.abort();
    } else if (!forced.signal.aborted) {
      forced.abort();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    graceful: graceful.signal,
    forced: forced.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
