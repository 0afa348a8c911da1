/**
 * fortio's `grpcping` client (fgrpc/pingsrv.go PingClientCall and GrpcHealthCheck): one
 * connection, a warmup ping, then per iteration two pings whose client and server timestamps
 * give three round trips and the clock skew; or n health checks. Returns the histograms and the
 * per-ping lines as data: the CLI prints them.
 */
import { performance } from 'node:perf_hooks';
import { exportHistogram, newFortioHistogram, recordValue, type HistogramData } from '../stats/fortioHistogram.js';
import { GrpcConnection, type GrpcConnectionOptions } from './client.js';
import type { PingMessageValue } from './messages.js';

/** Wall-clock Unix ns with sub-ms digits: the server stamps `ts` from its wall clock too. */
function nowNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
}

export interface PingRound {
  avgRttNs: bigint;
  rt1: bigint;
  rtR: bigint;
  rt2: bigint;
  skewNs: bigint;
}

export interface PingClientResult {
  /** Clock skew histogram, µs (fortio's NewHistogram(-10, 2)). */
  skew: HistogramData;
  /** RTT histogram, µs (NewHistogram(0, 10)). */
  rtt: HistogramData;
}

/** A failed call: fortio's log text and stop. */
export class GrpcPingError extends Error {}

export async function pingClientCall(
  conn: GrpcConnectionOptions,
  n: number,
  payload: string,
  delayNs: number,
  onRound: (r: PingRound) => void,
): Promise<PingClientResult> {
  const c = new GrpcConnection(conn);
  try {
    let msg: Partial<PingMessageValue> = { payload, delayNanos: BigInt(delayNs) };
    const warm = await c.ping(msg);
    if (!warm.ok) throw new GrpcPingError(`grpc error from Ping0 ${warm.error}`);
    const skew = newFortioHistogram(-10, 2);
    const rtt = newFortioHistogram(0, 10);
    for (let i = 1; i <= n; i++) {
      const t1a = nowNs();
      msg = { ...msg, seq: BigInt(i), ts: t1a };
      const res1 = await c.ping(msg);
      const t2a = nowNs();
      if (!res1.ok) throw new GrpcPingError(`grpc error from Ping1 iter ${i}: ${res1.error}`);
      const t1b = res1.reply.ts;
      const res2 = await c.ping(msg);
      const t3a = nowNs();
      if (!res2.ok) throw new GrpcPingError(`grpc error from Ping2 iter ${i}: ${res2.error}`);
      const t2b = res2.reply.ts;
      const rt1 = t2a - t1a;
      const rt2 = t3a - t2a;
      const rtR = t2b - t1b;
      recordValue(rtt, Number(rt1) / 1000);
      recordValue(rtt, Number(rt2) / 1000);
      recordValue(rtt, Number(rtR) / 1000);
      const midR = t1b + rtR / 2n;
      const x = midR - t2a;
      onRound({ avgRttNs: (rt1 + rt2 + rtR) / 3n, rt1, rtR, rt2, skewNs: x });
      recordValue(skew, Number(x) / 1000);
      msg = res2.reply;
    }
    return { skew: exportHistogram(skew, [50]), rtt: exportHistogram(rtt, [50]) };
  } finally {
    c.close();
  }
}

export interface HealthCheckResult {
  rtt: HistogramData;
  /** Status name → count, in the order first seen. */
  statuses: Record<string, number>;
}

export async function grpcHealthCheck(conn: GrpcConnectionOptions, service: string, n: number): Promise<HealthCheckResult> {
  const c = new GrpcConnection(conn);
  try {
    const rtt = newFortioHistogram(0, 10);
    const statuses: Record<string, number> = {};
    for (let i = 1; i <= n; i++) {
      const start = performance.now();
      const r = await c.health(service);
      const durUs = Math.round((performance.now() - start) * 1e6) / 1000; // whole ns, as Go measures them
      if (!r.ok) throw new GrpcPingError(`grpc error from Check ${r.error}`);
      statuses[r.reply] = (statuses[r.reply] ?? 0) + 1;
      recordValue(rtt, durUs);
    }
    return { rtt: exportHistogram(rtt, [50]), statuses };
  } finally {
    c.close();
  }
}
