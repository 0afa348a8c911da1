/**
 * One upstream endpoint (an `-upstream host:port`): its outlier state, shared by every lane,
 * and the per-host counters Envoy shows in `/clusters`.
 */
import type { OutlierHost } from './outlier.js';

export class UpstreamHost implements OutlierHost {
  readonly key: string;
  ejected = false;
  ejectedAt = 0;
  unejectedAt = 0;
  multiplier = 0;
  consecutive5xx = 0;
  consecutiveGateway = 0;
  consecutiveLocalOrigin = 0;
  cxTotal = 0;
  cxActive = 0;
  cxConnectFail = 0;
  rqTotal = 0;
  rqActive = 0;
  rqError = 0;
  rqSuccess = 0;
  rqTimeout = 0;

  constructor(
    readonly address: string,
    readonly port: number,
  ) {
    this.key = `${address.includes(':') ? `[${address}]` : address}:${port}`;
  }
}

/** "127.0.0.1:8080", "[::1]:8080", "localhost:8080" → address and port; undefined when malformed. */
export function parseHostPort(s: string): { address: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 0 || port > 65535) return undefined;
  return { address: (m[1] ?? m[2]) as string, port };
}
