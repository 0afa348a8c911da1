/**
 * A small fortio-like load client for the rehearsal tests and the seed benchmark, standing in
 * for `tripbench load` until that lands: `-qps 0 -n N -c C` semantics (fortio-compat §2.1:
 * N/C calls per thread, the remainder on thread 0, no warmup), one keep-alive socket per
 * thread, closed after any non-OK answer (§7.2), "Sockets used" = connection attempts (§7.3).
 */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { UpstreamConnection } from '../../src/rehearsal/upstreamConn.js';
import type { RawHeaders } from '../../src/rehearsal/upstreamConn.js';

export interface FortioLikeResult {
  calls: number;
  /** status code (or -1 for a transport failure) → count */
  codes: Map<number, number>;
  sockets: number;
  durationMs: number;
  /** per call: status, headers and body, in completion order */
  responses: Array<{ status: number; headers: RawHeaders; body: string }>;
}

export interface FortioLikeOptions {
  url: string;
  c: number;
  n: number;
  /** keep bodies/headers of every response (for assertions); default true */
  keepResponses?: boolean;
}

const isOk = (code: number): boolean => (code >= 200 && code < 300) || code === 418;

function open(host: string, port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host, port });
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(undefined));
  });
}

function call(conn: UpstreamConnection, head: string): Promise<{ status: number; headers: RawHeaders; body: string }> {
  return new Promise((resolve) => {
    let status = -1;
    let headers: RawHeaders = [];
    const chunks: Buffer[] = [];
    conn.send(head, undefined, false, {
      onHeaders: (s, h) => {
        status = s;
        headers = h;
      },
      onData: (d) => chunks.push(d),
      onEnd: () => resolve({ status, headers, body: Buffer.concat(chunks).toString('utf8') }),
      onReset: () => resolve({ status: -1, headers: [], body: '' }),
    });
  });
}

export async function fortioLikeLoad(o: FortioLikeOptions): Promise<FortioLikeResult> {
  const u = new URL(o.url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  const port = Number(u.port || 80);
  const head = `GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nUser-Agent: fortio.org/fortio-1.3.1\r\n\r\n`;
  const perThread = Math.floor(o.n / o.c);
  const leftover = o.n % o.c;
  const result: FortioLikeResult = { calls: 0, codes: new Map(), sockets: 0, durationMs: 0, responses: [] };
  const keep = o.keepResponses ?? true;
  const start = performance.now();
  const thread = async (t: number): Promise<void> => {
    const calls = Math.max(1, perThread + (t === 0 ? leftover : 0));
    let conn: UpstreamConnection | undefined;
    for (let i = 0; i < calls; i++) {
      if (!conn || conn.closed) {
        result.sockets++;
        const s = await open(host, port);
        conn = s ? new UpstreamConnection(s) : undefined;
      }
      const r = conn ? await call(conn, head) : { status: -1, headers: [], body: '' };
      result.calls++;
      result.codes.set(r.status, (result.codes.get(r.status) ?? 0) + 1);
      if (keep) result.responses.push(r);
      if (!isOk(r.status) || conn?.mustClose) {
        conn?.destroy();
        conn = undefined;
      }
    }
    conn?.destroy();
  };
  await Promise.all(Array.from({ length: o.c }, (_, t) => thread(t)));
  result.durationMs = performance.now() - start;
  return result;
}

export function count(r: FortioLikeResult, code: number): number {
  return r.codes.get(code) ?? 0;
}
