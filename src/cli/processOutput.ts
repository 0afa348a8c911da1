/**
 * stdout and stderr may close under us: `tripbench run … | head -2`, a CI step that stops
 * reading, a terminal gone away. Node then emits EPIPE as an 'error' event on the stream, and
 * with no listener that kills the process with a stack trace before the reports, the JSON or the
 * JUnit file are written. A closed reader is the reader's choice, not a failure of the run: the
 * rest of what goes to that stream is dropped, and files and the exit code stay what they would
 * have been. Installed once, by the process entry, before anything is written.
 */
export function guardProcessOutput(): void {
  for (const stream of [process.stdout, process.stderr]) {
    // EPIPE, ECONNRESET on a socket, EIO on a vanished terminal: the reader is gone either way,
    // and later writes to the destroyed stream are dropped without another event.
    stream.on('error', () => undefined);
  }
}
