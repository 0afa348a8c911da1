/**
 * Name resolution for new connections, like fortio's default `cached-rr`: a host is looked up
 * once per worker, IPv4 answers preferred, and each new connection takes the next answer in turn.
 */
import * as dns from 'node:dns';
import * as net from 'node:net';
import { StartError, errorMessage } from '../shared/errors.js';
import { isLoopback } from '../shared/loopback.js';
import type { HttpOptions } from './options.js';
import { requestTarget } from './request.js';
import { withScheme } from './urlScheme.js';

interface CacheEntry {
  addresses: string[];
  next: number;
}

const cache = new Map<string, CacheEntry>();

/** The host a client connects to: -connect-to's, else -resolve when given, else the URL host. */
export function connectHostOf(o: HttpOptions, urlHostname: string): string {
  if (o.connectTo !== '') return o.connectTo.slice(0, o.connectTo.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1');
  return o.resolve !== '' ? o.resolve : urlHostname;
}

/** The port a client connects to: -connect-to's, else the URL's. */
export function connectPortOf(o: HttpOptions, urlPort: number): number {
  return o.connectTo !== '' ? Number(o.connectTo.slice(o.connectTo.lastIndexOf(':') + 1)) : urlPort;
}

/** IP for a new connection without waiting: an IP literal or the next cached answer; null = look it up. */
export function cachedAddress(host: string): string | null {
  if (net.isIP(host) !== 0) return host;
  const e = cache.get(host);
  if (e === undefined) return null;
  const a = e.addresses[e.next % e.addresses.length] as string;
  e.next++;
  return a;
}

export function lookupAddress(host: string, cb: (err: Error | null, address: string) => void): void {
  dns.lookup(host, { all: true }, (err, answers) => {
    if (err) {
      cb(err, '');
      return;
    }
    const v4 = answers.filter((a) => a.family === 4).map((a) => a.address);
    const list = v4.length > 0 ? v4 : answers.map((a) => a.address);
    if (list.length === 0) {
      cb(Object.assign(new Error(`lookup ${host}: no address`), { code: 'ENODATA' }), '');
      return;
    }
    if (!cache.has(host)) cache.set(host, { addresses: list, next: 0 });
    cb(null, cachedAddress(host) as string);
  });
}

/** Test hook: forget cached answers. */
export function clearResolveCache(): void {
  cache.clear();
}

export interface ResolvedTarget {
  /** Host looked up (the -resolve value when given). */
  host: string;
  port: number;
  /** First address connections will use. */
  address: string;
}

/**
 * Start-up check (fortio aborts a run, exit 1, when the target does not resolve): rejects with a
 * StartError such as `lookup nosuch.invalid: getaddrinfo ENOTFOUND nosuch.invalid`.
 */
export async function resolveTarget(o: HttpOptions): Promise<ResolvedTarget> {
  const t = requestTarget(o);
  const host = connectHostOf(o, t.hostname);
  const port = connectPortOf(o, t.port);
  if (net.isIP(host) !== 0) return { host, port, address: host };
  try {
    const answers = await dns.promises.lookup(host, { all: true });
    const v4 = answers.find((a) => a.family === 4);
    const first = v4 ?? answers[0];
    if (first === undefined) throw new Error('no address');
    return { host, port, address: first.address };
  } catch (e) {
    throw new StartError(`lookup ${host}: ${errorMessage(e)}`, { cause: e });
  }
}

/**
 * Whether the target runs on this machine (loopback name or address, also through -resolve):
 * then the load generator leaves it a core (RunOptions.reserveCores).
 */
export function targetSharesHost(url: string, resolve = ''): boolean {
  let host = resolve;
  if (host === '') {
    try {
      host = new URL(withScheme(url).url).hostname;
    } catch {
      return false;
    }
  }
  return isLoopback(host);
}
