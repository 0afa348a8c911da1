/**
 * Listening addresses for the rehearsal processes. They are test doubles with no
 * authentication, so they stay on loopback unless the caller explicitly allows more.
 */
import type { Server } from 'node:net';
import { UsageError } from '../shared/errors.js';
import { isLoopback } from '../shared/loopback.js';
import { parseHostPort } from './host.js';

export interface ListenAddress {
  host: string;
  port: number;
}

/** "127.0.0.1:8080", ":8080" (loopback), "8080"; what names the flag goes into errors. */
export function parseListen(s: string, what: string): ListenAddress {
  const t = s.trim();
  if (/^\d{1,5}$/.test(t)) return { host: '127.0.0.1', port: Number(t) };
  if (/^:\d{1,5}$/.test(t)) return { host: '127.0.0.1', port: Number(t.slice(1)) };
  const hp = parseHostPort(t);
  if (!hp || hp.port > 65535) throw new UsageError(`${what}: invalid listen address ${JSON.stringify(s)} (want host:port)`);
  return { host: hp.address, port: hp.port };
}

export function checkLoopback(a: ListenAddress, allowRemote: boolean, what: string): void {
  if (!allowRemote && !isLoopback(a.host)) {
    throw new UsageError(`${what}: refusing to listen on non-loopback address ${a.host}:${a.port}; pass -allow-remote to expose it`);
  }
}

/** Starts listening and resolves with the bound address (port 0 → the ephemeral port). */
export function listen(server: Server, a: ListenAddress): Promise<ListenAddress> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error): void => reject(e);
    server.once('error', onError);
    server.listen(a.port, a.host, () => {
      server.off('error', onError);
      const addr = server.address();
      if (addr && typeof addr === 'object') resolve({ host: addr.address, port: addr.port });
      else resolve(a);
    });
  });
}

export function urlOf(a: ListenAddress): string {
  return `http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`;
}
