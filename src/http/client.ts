/**
 * What both HTTP clients offer the runnable and curl: one call at a time on at most one
 * connection (fortio's "one socket per thread"), with fortio's (code, size, headerSize) result.
 */
import * as log from '../shared/log.js';
import type { ErrorKind } from './errorKinds.js';
import { type HttpOptions, usesLeanClient } from './options.js';
import type { ConnectionStats } from './stats.js';

export interface HttpClient {
  /** One call. Resolves with the status code, -1 for a transport failure; never rejects. */
  fetch(): Promise<number>;
  /** Bytes read by the last call (headers + body, what was read before a failure). */
  readonly size: number;
  /** Header bytes of the last call; 0 for non-OK answers and when the head was incomplete. */
  readonly headerSize: number;
  /** Why the last call returned -1; null otherwise. */
  readonly errorKind: ErrorKind | null;
  readonly errorText: string;
  /** Settles an in-flight fetch promptly with -1 (its result is to be discarded). */
  abort(): void;
  close(): Promise<void>;
}

export interface ClientContext {
  threadId: number;
  /** Where sockets, connect times and addresses are counted. */
  stats: ConnectionStats;
  /**
   * curl only: receives the response bytes of each call in order. The lean client passes what it
   * read (copied); undici passes the reconstructed head, then the body.
   */
  capture?: (chunk: Buffer) => void;
}

/** Lean client for plain http://, undici for https://, -stdclient and -h2 (loaded only when used). */
export async function createClient(o: HttpOptions, ctx: ClientContext): Promise<HttpClient> {
  if (usesLeanClient(o)) {
    const { LeanClient } = await import('./leanClient.js');
    return new LeanClient(o, ctx);
  }
  const { UndiciClient } = await import('./undiciClient.js');
  return new UndiciClient(o, ctx);
}

// Log lines shared by both clients, shaped like current fortio's (fortio-compat.md §3.5, §7.1).

export function logNonOk(thread: number, code: number, status: string): void {
  if (log.logEnabled(log.Level.Warning)) log.warn('Non ok http code', { code, status, thread });
}

export function logConnectError(thread: number, dest: string, text: string): void {
  log.error(`Unable to connect to ${dest} : ${text}`, { thread });
}

export function logReadError(thread: number, dest: string, size: number, text: string): void {
  log.error(`Read error for ${dest} ${size} : ${text}`, { thread });
}

export function logDeadSocket(thread: number, dest: string, reason: string): void {
  if (log.logEnabled(log.Level.Info)) log.info(`Closing dead socket ${dest} (${reason})`, { thread });
}
