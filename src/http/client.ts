/**
 * What both HTTP clients offer the runnable and curl: one call at a time on at most one
 * connection (fortio's "one socket per thread"), with fortio's (code, size, headerSize) result.
 * The contract only: the clients import it, the factory (createClient.ts) imports the clients.
 */
import type { ErrorKind } from './errorKinds.js';
import type { ConnectionStats } from './stats.js';

/** One call's result, a value of its own: nothing is read back from the client afterwards. */
export interface CallOutcome {
  /** The status code, -1 for a transport failure. */
  readonly code: number;
  /** Bytes read (headers + body, what was read before a failure). */
  readonly size: number;
  /** Header bytes; 0 for non-OK answers and when the head was incomplete. */
  readonly headerSize: number;
  /** Why the call returned -1; null otherwise. */
  readonly errorKind: ErrorKind | null;
  /** The failure's text for a -1, '' otherwise. */
  readonly errorText: string;
}

export interface HttpClient {
  /** One call; never rejects. */
  fetch(): Promise<CallOutcome>;
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
