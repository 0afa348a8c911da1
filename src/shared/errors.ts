/**
 * Errors with stable codes. A UsageError is bad input from a person (flag, file, line):
 * the CLI prints its one-line message and exits with the code its command documents.
 */
export class TripbenchError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'TripbenchError';
  }
}

/** Bad flag, bad value, bad file: the message names the flag or file:line:field. */
export class UsageError extends TripbenchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('USAGE', message, options);
    this.name = 'UsageError';
  }
}

/** A run could not start (DNS failure, failed warmup, unreachable target). */
export class StartError extends TripbenchError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('START', message, options);
    this.name = 'StartError';
  }
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** One line, whatever the error quotes: V8's JSON.parse messages echo the offending text, newlines and all. */
export function oneLineMessage(e: unknown): string {
  return errorMessage(e).replace(/\r?\n/g, '\\n');
}
