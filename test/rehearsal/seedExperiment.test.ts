/**
 * The seed experiment of Istio's circuit-breaking task (envoy-circuit-breaking.md §5.1):
 * maxConnections 1 / http1MaxPendingRequests 1 / maxRequestsPerConnection 1 with the
 * emulator's default knobs, driven like `fortio load -qps 0` (the fortio-like helper client
 * until `tripbench load` replaces it). One sidecar serves all runs, counters reset between
 * runs, as in the task.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fortioLikeLoad } from '../helpers/rehearsalClient.js';
import type { FortioLikeResult } from '../helpers/rehearsalClient.js';
import { destinationRule, startRig } from '../helpers/rehearsalServers.js';
import type { Rig } from '../helpers/rehearsalServers.js';

const SEED_DR = destinationRule(
  `connectionPool:
  tcp:
    maxConnections: 1
  http:
    http1MaxPendingRequests: 1
    maxRequestsPerConnection: 1
outlierDetection:
  consecutiveErrors: 1
  interval: 1s
  baseEjectionTime: 3m
  maxEjectionPercent: 100`,
  'networking.istio.io/v1alpha3',
);

interface Run {
  r: FortioLikeResult;
  trips: number;
  overflow: number;
}

describe('seed experiment (Istio circuit-breaking task)', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig({ dr: SEED_DR, seed: 0 });
    await fortioLikeLoad({ url: `${rig.sidecar.url}/get`, c: 1, n: 1 }); // the task's single `fortio curl`
  });
  afterAll(async () => {
    await rig.close();
  });

  async function run(c: number, n: number): Promise<Run> {
    rig.sidecar.resetCounters();
    const r = await fortioLikeLoad({ url: `${rig.sidecar.url}/get`, c, n, keepResponses: false });
    const trips = r.codes.get(503) ?? 0;
    expect((r.codes.get(200) ?? 0) + trips).toBe(n);
    return { r, trips, overflow: rig.sidecar.stat('upstream_rq_pending_overflow') };
  }

  function checkAccounting(runs: Run[], c: number): void {
    for (const { r, trips, overflow } of runs) {
      // Every 503 is a breaker overflow, and the stat says so.
      expect(overflow).toBe(trips);
      // fortio-style clients reconnect after each 503 unless it was their thread's last call.
      expect(r.sockets).toBeGreaterThanOrEqual(c + trips - c);
      expect(r.sockets).toBeLessThanOrEqual(c + trips);
    }
  }

  it('-c 1 -n 20: no 503', async () => {
    const runs = [await run(1, 20), await run(1, 20), await run(1, 20)];
    for (const x of runs) {
      expect(x.trips).toBe(0);
      expect(x.r.sockets).toBe(1);
    }
    checkAccounting(runs, 1);
  });

  it('-c 2 -n 20: some 503s, but a minority', async () => {
    const runs: Run[] = [];
    for (let i = 0; i < 5; i++) runs.push(await run(2, 20));
    const total = runs.reduce((s, x) => s + x.trips, 0);
    expect(total).toBeGreaterThan(0);
    for (const x of runs) expect(x.trips).toBeLessThan(10);
    checkAccounting(runs, 2);
  });

  it('-c 3 -n 30: a large share of 503s, and "Sockets used" rises with them', async () => {
    const runs: Run[] = [];
    for (let i = 0; i < 5; i++) runs.push(await run(3, 30));
    const mean = runs.reduce((s, x) => s + x.trips, 0) / runs.length / 30;
    expect(mean).toBeGreaterThanOrEqual(0.3);
    for (const x of runs) {
      expect(x.trips).toBeGreaterThanOrEqual(8);
      expect(x.r.sockets).toBeGreaterThan(3);
    }
    checkAccounting(runs, 3);
  });
});
