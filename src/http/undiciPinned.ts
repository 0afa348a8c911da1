/**
 * The two things the undici client needs that undici's documented API does not give, kept here
 * and tied to one undici version: package.json pins it exactly, and test/http/undiciPinned.test.ts
 * fails when an upgrade changes either. Everything else in undiciClient.ts is public API
 * (Client, buildConnector, dispatch() with a DispatchHandler).
 *
 * 1. The bytes of an HTTP/1 response as they came off the wire. undici's HTTP/1 parser pulls
 *    every byte with socket.read() (lib/dispatcher/client-h1.js), so a wrapper around read() on
 *    the socket our connector made sees exactly the bytes it parses; what the wrapper returns is
 *    what read() returned. Header sizes need them (rawHeaders lose the wire's whitespace and the
 *    reason phrase is wrong when the status line arrives split), and so does curl's raw output.
 * 2. Idle connections kept until the server closes them, as the lean client does. undici caps
 *    the idle time at the server's `Keep-Alive: timeout` hint minus keepAliveTimeoutThreshold
 *    (checked only to be finite); a negative threshold is the only setting where the hint never
 *    wins.
 */
import type { Socket } from 'node:net';

export const UNDICI_VERSION = '7.30.2';

/** Calls `onChunk` with each Buffer undici's HTTP/1 parser reads from `socket`. */
export function tapParserReads(socket: Socket, onChunk: (chunk: Buffer) => void): void {
  const s = socket as unknown as { read: (n?: number) => unknown };
  const read = s.read;
  s.read = (n?: number): unknown => {
    const chunk = read.call(socket, n);
    if (Buffer.isBuffer(chunk)) onChunk(chunk);
    return chunk;
  };
}

/** Client options that keep an idle connection for `idleMs` whatever the server's hint says. */
export function keepIdleOptions(idleMs: number): {
  keepAliveTimeout: number;
  keepAliveMaxTimeout: number;
  keepAliveTimeoutThreshold: number;
} {
  return { keepAliveTimeout: idleMs, keepAliveMaxTimeout: idleMs, keepAliveTimeoutThreshold: -idleMs };
}
