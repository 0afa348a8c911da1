/**
 * The seed experiment of Istio's circuit-breaking task (envoy-circuit-breaking.md §5.1, GitHub
 * issue 3): maxConnections 1 / http1MaxPendingRequests 1 / maxRequestsPerConnection 1 with the
 * emulator's default knobs, driven by the real `tripbench load -qps 0`: through the library in
 * worker threads against an in-process sidecar (what `tripbench run` does), and through the CLI
 * as a child process reading the text report and the admin `/stats` text, as the task does.
 * One sidecar serves all runs of a block, counters reset between runs, as in the task.
 *
 * One run is 20 or 30 calls, so the trip ratio itself is noisy: per run only facts that hold
 * with a wide margin over the 20-run distributions in docs/rehearsal.md are asserted, plus the
 * exact identities (overflow stat == 503s, fortio's "Sockets used" rule).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccessLogEntry } from '../../src/rehearsal/index.js';
import { runCli, reportLines } from '../helpers/cli.js';
import { TASK_DR } from '../helpers/meshFixtures.js';
import { get, startRig } from '../helpers/rehearsalServers.js';
import type { Rig } from '../helpers/rehearsalServers.js';
import { code, tripbenchLoad } from '../helpers/tripbenchLoad.js';
import type { ThreadOutcome } from '../helpers/tripbenchLoad.js';

/** One run as the client reported it and the sidecar saw it. */
interface SeedRun {
  c: number;
  n: number;
  ok: number;
  trips: number;
  /** fortio's "Sockets used" */
  sockets: number;
  overflow: number;
  /** per logical thread, when the client's per-thread codes are at hand (library runs) */
  threads: ThreadOutcome[] | undefined;
  /** per-thread sockets from the JSON `Sockets` */
  socketsPerThread: number[];
  /** downstream connection → statuses of its requests, in order (sidecar access log) */
  connections: Map<number, number[]>;
}

/** A sidecar for the seed DR whose access log is collected per run. */
async function seedRig(admin: boolean): Promise<{ rig: Rig; takeLog: () => AccessLogEntry[] }> {
  let log: AccessLogEntry[] = [];
  const rig = await startRig({ dr: TASK_DR, admin: admin ? '127.0.0.1:0' : false, onAccessLog: (e) => log.push(e) });
  return {
    rig,
    takeLog: () => {
      const l = log;
      log = [];
      return l;
    },
  };
}

function byConnection(log: AccessLogEntry[]): Map<number, number[]> {
  const m = new Map<number, number[]>();
  // Requests of one connection are sequential, so log order is their order.
  for (const e of log) {
    const l = m.get(e.connection) ?? [];
    l.push(e.status);
    m.set(e.connection, l);
  }
  return m;
}

/** The identities that hold on every run, whatever the timing. */
function checkIdentities(r: SeedRun): void {
  expect(r.ok + r.trips).toBe(r.n);
  // Every 503 is a breaker overflow, and the stat counts exactly those.
  expect(r.overflow).toBe(r.trips);
  // The client keeps its socket after a 200 and closes it after a 503 (fortio's rule), so on the
  // sidecar's side a connection carries at most one 503, as its last request…
  for (const statuses of r.connections.values()) expect(statuses.slice(0, -1)).not.toContain(503);
  expect(r.connections.size).toBe(r.sockets);
  expect(r.socketsPerThread.reduce((s, x) => s + x, 0)).toBe(r.sockets);
  for (const s of r.socketsPerThread) expect(s).toBeGreaterThanOrEqual(1);
  // …and "Sockets used" = c + the 503s that were not a thread's last call: only a thread's final
  // connection may end in a 200, the others all end in the 503 that made the client reconnect.
  const endedOk = [...r.connections.values()].filter((s) => s[s.length - 1] === 200).length;
  const lastCallTrips = r.c - endedOk;
  expect(lastCallTrips).toBeGreaterThanOrEqual(0);
  expect(lastCallTrips).toBeLessThanOrEqual(Math.min(r.c, r.trips));
  expect(r.sockets).toBe(r.c + r.trips - lastCallTrips);
  if (r.threads) {
    // Per thread: one socket, plus one per 503 except possibly its last call.
    expect(r.threads.map((t) => t.sockets)).toEqual(r.socketsPerThread);
    let lastTrips = 0;
    for (const t of r.threads) {
      const tt = code(t.codes, 503);
      expect([tt, tt + 1]).toContain(t.sockets);
      if (tt === 0) expect(t.sockets).toBe(1);
      lastTrips += tt + 1 - t.sockets;
    }
    expect(lastTrips).toBe(lastCallTrips);
  }
}

const share = (runs: SeedRun[]): number => runs.reduce((s, x) => s + x.trips, 0) / runs.reduce((s, x) => s + x.n, 0);

describe('seed experiment through runLoad, sidecar in-process (the `tripbench run` configuration)', () => {
  let rig: Rig;
  let takeLog: () => AccessLogEntry[];
  const c2: SeedRun[] = [];
  beforeAll(async () => {
    ({ rig, takeLog } = await seedRig(false));
    await tripbenchLoad(`${rig.sidecar.url}/get`, 1, 1); // the task's single `fortio curl` first
  });
  afterAll(async () => {
    await rig.close();
  });

  async function run(c: number, n: number): Promise<SeedRun> {
    rig.sidecar.resetCounters();
    takeLog();
    const r = await tripbenchLoad(`${rig.sidecar.url}/get`, c, n);
    await new Promise((resolve) => setImmediate(resolve)); // the last access-log lines are written on 'close'
    const out: SeedRun = {
      c,
      n,
      ok: code(r.codes, 200),
      trips: code(r.codes, 503),
      sockets: r.sockets,
      overflow: rig.sidecar.stat('upstream_rq_pending_overflow'),
      threads: r.threads,
      socketsPerThread: r.result.Sockets,
      connections: byConnection(takeLog()),
    };
    checkIdentities(out);
    return out;
  }

  it('-c 1 -n 20: no 503, one socket', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await run(1, 20);
      expect(r.trips).toBe(0);
      expect(r.sockets).toBe(1);
    }
  });

  it('-c 2 -n 20: some 503s, always a minority', async () => {
    for (let i = 0; i < 5; i++) c2.push(await run(2, 20));
    for (const r of c2) expect(r.trips).toBeLessThan(r.n / 2);
    expect(c2.reduce((s, x) => s + x.trips, 0)).toBeGreaterThan(0);
  });

  it('-c 3 -n 30: a large share of 503s, and "Sockets used" rises with them', async () => {
    const c3: SeedRun[] = [];
    for (let i = 0; i < 5; i++) c3.push(await run(3, 30));
    for (const r of c3) {
      expect(r.trips).toBeGreaterThanOrEqual(0.2 * r.n);
      expect(r.sockets).toBeGreaterThanOrEqual(Math.max(r.trips, r.c + 1));
    }
    expect(share(c3)).toBeGreaterThanOrEqual(0.3);
    if (c2.length > 0) expect(share(c3)).toBeGreaterThan(share(c2));
  });
});

describe('seed experiment through the CLI (`tripbench load` child process, admin /stats)', () => {
  let rig: Rig;
  let takeLog: () => AccessLogEntry[];
  beforeAll(async () => {
    ({ rig, takeLog } = await seedRig(true));
    await tripbenchLoad(`${rig.sidecar.url}/get`, 1, 1);
  });
  afterAll(async () => {
    await rig.close();
  });

  async function overflowFromAdmin(): Promise<number> {
    const text = (await get(`${rig.sidecar.adminUrl as string}/stats`)).body;
    // The stat prefix is the cluster's stat name (Istio >= 1.23: name + ";").
    const m = new RegExp(`^${rig.sidecar.cluster.stats.prefix.replace(/[|.]/g, '\\$&')}upstream_rq_pending_overflow: (\\d+)$`, 'm').exec(text);
    expect(m, text).not.toBeNull();
    return Number(m?.[1]);
  }

  async function cliRun(c: number, n: number): Promise<SeedRun> {
    await get(`${rig.sidecar.adminUrl as string}/reset_counters`, {}, 'POST');
    takeLog();
    const p = await runCli(['load', '-c', String(c), '-qps', '0', '-n', String(n), '-json', '-', `${rig.sidecar.url}/get`]);
    expect(p.code, p.stderr).toBe(0);
    const report = reportLines(p.stderr);
    const num = (re: RegExp): number => Number(report.map((l) => re.exec(l)?.[1]).find((x) => x !== undefined) ?? 0);
    const json = JSON.parse(p.stdout) as { RetCodes: Record<string, number>; Sockets: number[]; SocketCount: number };
    const out: SeedRun = {
      c,
      n,
      ok: num(/^Code 200 : (\d+) /),
      trips: num(/^Code 503 : (\d+) /),
      sockets: num(/^Sockets used: (\d+) /),
      overflow: await overflowFromAdmin(),
      threads: undefined,
      socketsPerThread: json.Sockets,
      connections: byConnection(takeLog()),
    };
    // The text report and the JSON are two views of one result.
    expect(json.RetCodes['503'] ?? 0).toBe(out.trips);
    expect(json.SocketCount).toBe(out.sockets);
    expect(json.Sockets).toHaveLength(c);
    checkIdentities(out);
    return out;
  }

  it('-c 1 -n 20: "Code 200 : 20", no 503, one socket', async () => {
    const r = await cliRun(1, 20);
    expect(r.ok).toBe(20);
    expect(r.sockets).toBe(1);
  });

  it('-c 3 -qps 0 -n 30: "Code 503" is a large share, equals upstream_rq_pending_overflow, and "Sockets used" rises with it', async () => {
    const runs = [await cliRun(3, 30), await cliRun(3, 30)];
    for (const r of runs) {
      expect(r.trips).toBeGreaterThanOrEqual(0.2 * r.n);
      expect(r.sockets).toBeGreaterThanOrEqual(Math.max(r.trips, r.c + 1));
      expect(r.sockets).toBeLessThanOrEqual(r.c + r.trips);
    }
  });
});
