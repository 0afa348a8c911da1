/**
 * The seed experiment of Istio's circuit-breaking task, repeated: DestinationRule
 * maxConnections 1 / http1MaxPendingRequests 1 / maxRequestsPerConnection 1 in front of the
 * target, driven with fortio's `-qps 0 -c C -n N` for c = 1, 2, 3, RUNS times each, printing
 * the distribution of trip ratios (503 share) next to Istio's published figures.
 *
 * The client is still the fortio-like helper of the tests; switch it to `tripbench load`
 * once that exists.
 *
 * Build and run:  npx tsc -p tsconfig.json --outDir dist-check && node dist-check/bench/seed-trip-ratios.js [flags]
 * Flags: -runs 20  -mtls-handshake 2  -hop-latency 3  -mesh-jitter 0.5  -assign random|round-robin|least-connections  -concurrency 2  -json
 */
import { startSidecar, startTarget, sidecarConfigFromYaml, parseIstioVersion, DEFAULT_ISTIO_VERSION } from '../src/rehearsal/index.js';
import type { WorkerAssignment } from '../src/rehearsal/index.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { fortioLikeLoad } from '../test/helpers/rehearsalClient.js';

export const SEED_DR = `apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata:
  name: httpbin
spec:
  host: httpbin
  trafficPolicy:
    connectionPool:
      tcp:
        maxConnections: 1
      http:
        http1MaxPendingRequests: 1
        maxRequestsPerConnection: 1
    outlierDetection:
      consecutiveErrors: 1
      interval: 1s
      baseEjectionTime: 3m
      maxEjectionPercent: 100
`;

const PUBLISHED: Record<number, string> = {
  1: '0 % (third-party runs: 20/0)',
  2: '5 % (2018 docs), 15 % (2020+ docs); third-party 5-40 %',
  3: '36.7 % (2018 docs), 63.3 % (2020+ docs); third-party 27-100 %',
};

interface Args {
  runs: number;
  mtls: number | undefined;
  jitter: number | undefined;
  hop: number | undefined;
  assign: WorkerAssignment | undefined;
  concurrency: number;
  json: boolean;
  child: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { runs: 20, mtls: undefined, jitter: undefined, hop: undefined, assign: undefined, concurrency: 2, json: false, child: false };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]?.replace(/^--?/, '');
    const v = argv[i + 1];
    if (k === 'json') a.json = true;
    else if (k === 'mode') (a.child = v === 'child'), i++;
    else if (k === 'runs') (a.runs = Number(v)), i++;
    else if (k === 'mtls-handshake') (a.mtls = Number(v)), i++;
    else if (k === 'mesh-jitter') (a.jitter = Number(v)), i++;
    else if (k === 'hop-latency') (a.hop = Number(v)), i++;
    else if (k === 'assign') (a.assign = v as WorkerAssignment), i++;
    else if (k === 'concurrency') (a.concurrency = Number(v)), i++;
    else throw new Error(`unknown flag ${argv[i]}`);
  }
  return a;
}

export interface RunOutcome {
  c: number;
  n: number;
  ok: number;
  trips: number;
  other: number;
  sockets: number;
  overflow: number;
}

type Knobs = Pick<Args, 'mtls' | 'jitter' | 'hop' | 'assign' | 'concurrency'>;

/** Target + sidecar for the seed DR; admin only when asked (child mode reads stats over HTTP). */
async function startPair(a: Knobs, admin: boolean): Promise<{ url: string; adminUrl: string | undefined; stat: (n: string) => number; resetCounters: () => void; close: () => Promise<void> }> {
  const target = await startTarget();
  const version = parseIstioVersion(DEFAULT_ISTIO_VERSION);
  if (!version) throw new Error('bad default version');
  const config = sidecarConfigFromYaml([{ text: SEED_DR, file: 'seed-dr.yaml' }], { istioVersion: version });
  const sidecar = await startSidecar({
    config,
    upstreams: [`${target.address.host}:${target.address.port}`],
    admin: admin ? '127.0.0.1:0' : false,
    concurrency: a.concurrency,
    ...(a.mtls !== undefined ? { mtlsHandshakeMs: a.mtls } : {}),
    ...(a.jitter !== undefined ? { meshJitter: a.jitter } : {}),
    ...(a.hop !== undefined ? { hopLatencyMs: a.hop } : {}),
    ...(a.assign !== undefined ? { workerAssignment: a.assign } : {}),
  });
  return {
    url: sidecar.url,
    adminUrl: sidecar.adminUrl,
    stat: (name) => sidecar.stat(name),
    resetCounters: () => sidecar.resetCounters(),
    close: async () => {
      await sidecar.close();
      await target.close();
    },
  };
}

function outcome(c: number, n: number, r: { codes: Map<number, number>; calls: number; sockets: number }, overflow: number): RunOutcome {
  const ok = r.codes.get(200) ?? 0;
  const trips = r.codes.get(503) ?? 0;
  return { c, n, ok, trips, other: r.calls - ok - trips, sockets: r.sockets, overflow };
}

/** A target + sidecar pair that several runs share, like the task's runs share one fortio pod. */
export interface Rig {
  url: string;
  overflow(): Promise<number>;
  resetCounters(): Promise<void>;
  close(): Promise<void>;
}

/** Target and sidecar in this process (one event loop, as in the tests). */
export async function inProcessRig(a: Knobs): Promise<Rig> {
  const pair = await startPair(a, false);
  return {
    url: pair.url,
    overflow: () => Promise.resolve(pair.stat('upstream_rq_pending_overflow')),
    resetCounters: () => Promise.resolve(pair.resetCounters()),
    close: () => pair.close(),
  };
}

/** Target and sidecar in a child process: their own event loop and core, as a real sidecar has. */
export async function childRig(a: Knobs): Promise<Rig> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '-child', JSON.stringify(a)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(buf.slice(0, i));
    });
    child.once('exit', () => reject(new Error('child exited')));
  });
  const { url, adminUrl } = JSON.parse(first) as { url: string; adminUrl: string };
  return {
    url,
    overflow: async () => {
      const stats = await (await fetch(`${adminUrl}/stats?filter=upstream_rq_pending_overflow$`)).text();
      return Number(/: (\d+)/.exec(stats)?.[1] ?? NaN);
    },
    resetCounters: async () => {
      await (await fetch(`${adminUrl}/reset_counters`, { method: 'POST' })).text();
    },
    close: async () => {
      child.stdin.end();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** The task's first step (one `fortio curl`), so the sidecar is warm as in the task. */
export async function warmUp(rig: Rig): Promise<void> {
  await fortioLikeLoad({ url: `${rig.url}/get`, c: 1, n: 1, keepResponses: false });
}

export async function seedRun(rig: Rig, c: number, n: number): Promise<RunOutcome> {
  await rig.resetCounters();
  const r = await fortioLikeLoad({ url: `${rig.url}/get`, c, n, keepResponses: false });
  return outcome(c, n, r, await rig.overflow());
}

async function childMain(knobs: Knobs): Promise<void> {
  const pair = await startPair(knobs, true);
  process.stdout.write(JSON.stringify({ url: pair.url, adminUrl: pair.adminUrl }) + '\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    void pair.close().then(() => process.exit(0));
  });
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))));
  return sorted[i] as number;
}

const pct = (x: number): string => `${x.toFixed(1)} %`;

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const cases: Array<[number, number]> = [
    [1, 20],
    [2, 20],
    [3, 30],
  ];
  const all: RunOutcome[] = [];
  const lines: string[] = [];
  lines.push(`seed experiment (${a.child ? 'sidecar in a child process' : 'one process'}), ${a.runs} runs each, concurrency ${a.concurrency}, mtls ${a.mtls ?? 'default'} ms, hop ${a.hop ?? 'default'} ms, jitter ${a.jitter ?? 'default'}, assign ${a.assign ?? 'default'}`);
  lines.push('| fortio | 503 % min | p25 | median | p75 | max | mean | sockets (median) | overflow == 503s | Istio published |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|');
  const rig = a.child ? await childRig(a) : await inProcessRig(a);
  await warmUp(rig);
  for (const [c, n] of cases) {
    const outs: RunOutcome[] = [];
    for (let i = 0; i < a.runs; i++) outs.push(await seedRun(rig, c, n));
    all.push(...outs);
    const ratios = outs.map((o) => (100 * o.trips) / n).sort((x, y) => x - y);
    const sockets = outs.map((o) => o.sockets).sort((x, y) => x - y);
    const mean = ratios.reduce((s, x) => s + x, 0) / ratios.length;
    const agree = outs.filter((o) => o.overflow === o.trips).length;
    lines.push(
      `| -c ${c} -n ${n} | ${pct(quantile(ratios, 0))} | ${pct(quantile(ratios, 0.25))} | ${pct(quantile(ratios, 0.5))} | ${pct(quantile(ratios, 0.75))} | ${pct(quantile(ratios, 1))} | ${pct(mean)} | ${quantile(sockets, 0.5)} | ${agree}/${outs.length} | ${PUBLISHED[c] ?? ''} |`,
    );
    lines.push(`<!-- c=${c} per-run 503 counts: ${outs.map((o) => o.trips).join(' ')} -->`);
  }
  await rig.close();
  process.stdout.write(a.json ? JSON.stringify(all, null, 1) + '\n' : lines.join('\n') + '\n');
}

if (process.argv[1]?.endsWith('seed-trip-ratios.js') && process.argv[2] === '-child') {
  void childMain(JSON.parse(process.argv[3] ?? '{}') as Knobs);
} else if (process.argv[1]?.endsWith('seed-trip-ratios.js')) {
  main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
