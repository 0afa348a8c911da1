#!/usr/bin/env node
/**
 * `npm run bench:seed` (GitHub issue 3): the seed experiment of Istio's circuit-breaking task,
 * repeated. The mesh of scenarios/istio-circuit-breaking.yaml (DestinationRule maxConnections 1
 * / http1MaxPendingRequests 1 / maxRequestsPerConnection 1) in front of the rehearsal target,
 * driven by the real `tripbench load` with fortio's `-qps 0 -c C -n N` for c = 1, 2, 3, RUNS
 * times each; prints the distribution of trip ratios (503 share) next to Istio's published
 * figures.
 *
 *   node bench/seed-trip-ratios.mjs [-runs 20] [-mode run|cli|both] [-json FILE]
 *        [-mtls-handshake MS] [-hop-latency MS] [-mesh-jitter J] [-assign random|round-robin|least-connections]
 *        [-concurrency 2]
 *
 * Modes: `run` = the `tripbench run` configuration: target and sidecar in this process (main
 * thread), load through the library `runLoad` (worker_threads). `cli` = the same in-process
 * sidecar, each run a `node bin/tripbench.js load … -json -` child process, the overflow read
 * from the admin `/stats` text, as a user following the task by hand would do.
 *
 * Imports the compiled dist/ (npm run build first; `npm run bench:seed` does).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TRIPBENCH = join(ROOT, 'bin', 'tripbench.js');
const { DEFAULT_RUN_OPTIONS } = await import(join(ROOT, 'dist/engine/options.js'));
const { runLoad } = await import(join(ROOT, 'dist/load/runLoad.js'));
const rehearsal = await import(join(ROOT, 'dist/rehearsal/index.js'));
const { loadScenario } = await import(join(ROOT, 'dist/scenario/schema.js'));
const { rehearsalConfig } = await import(join(ROOT, 'dist/scenario/rehearsalRig.js'));

const SEED_SCENARIO = join(ROOT, 'scenarios', 'istio-circuit-breaking.yaml');

const CASES = [
  [1, 20],
  [2, 20],
  [3, 30],
];

/** envoy-circuit-breaking.md §5.1 */
const PUBLISHED = {
  1: '0 % (third-party runs: 20/0)',
  2: '5 % (2018 docs), 15 % (2020+ docs); third-party 5–40 %',
  3: '36.7 % (2018 docs), 63.3 % (2020+ docs); third-party 27–100 %',
};

const QUIET = { write: () => undefined };

function parse() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '20' },
      mode: { type: 'string', default: 'both' },
      json: { type: 'string' },
      'mtls-handshake': { type: 'string' },
      'hop-latency': { type: 'string' },
      'mesh-jitter': { type: 'string' },
      assign: { type: 'string' },
      concurrency: { type: 'string' },
    },
    // Go-style single-dash long flags, as the rest of tripbench takes them.
    args: process.argv.slice(2).map((a) => a.replace(/^-(?=[a-z])/, '--')),
  });
  const num = (v) => (v === undefined ? undefined : Number(v));
  const modes = values.mode === 'both' ? ['run', 'cli'] : [values.mode];
  for (const m of modes) if (m !== 'run' && m !== 'cli') throw new Error(`-mode: want run, cli or both (got ${m})`);
  return {
    runs: Number(values.runs),
    modes,
    json: values.json,
    knobs: {
      mtlsHandshakeMs: num(values['mtls-handshake']),
      hopLatencyMs: num(values['hop-latency']),
      meshJitter: num(values['mesh-jitter']),
      workerAssignment: values.assign,
      concurrency: num(values.concurrency),
    },
  };
}

/** Target + sidecar in this process, admin on: one pair for all runs, as the task's runs share one fortio pod. */
async function startRig(knobs) {
  const target = await rehearsal.startTarget();
  // The sidecar config `tripbench run` makes of the scenario's mesh.
  const config = rehearsalConfig(loadScenario(readFileSync(SEED_SCENARIO, 'utf8'), SEED_SCENARIO));
  const defined = Object.fromEntries(Object.entries(knobs).filter(([, v]) => v !== undefined));
  const sidecar = await rehearsal.startSidecar({ config, upstreams: [`127.0.0.1:${target.address.port}`], ...defined });
  return {
    sidecar,
    close: async () => {
      await sidecar.close();
      await target.close();
    },
  };
}

async function libraryRun(url, c, n) {
  const out = await runLoad({ run: { ...DEFAULT_RUN_OPTIONS, threads: c, qps: 0, exactly: n }, http: { url }, log: QUIET });
  return out.result;
}

function cliRun(url, c, n) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [TRIPBENCH, 'load', '-c', String(c), '-qps', '0', '-n', String(n), '-json', '-', url], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`tripbench load exited ${code}:\n${stderr.slice(-2000)}`));
      else resolvePromise(JSON.parse(stdout));
    });
  });
}

async function adminOverflow(adminUrl) {
  const text = await (await fetch(`${adminUrl}/stats?filter=upstream_rq_pending_overflow$`)).text();
  const m = /upstream_rq_pending_overflow: (\d+)/.exec(text);
  if (!m) throw new Error(`no upstream_rq_pending_overflow in /stats:\n${text}`);
  return Number(m[1]);
}

async function seedRun(rig, mode, c, n) {
  rig.sidecar.resetCounters();
  const url = `${rig.sidecar.url}/get`;
  const r = mode === 'cli' ? await cliRun(url, c, n) : await libraryRun(url, c, n);
  const overflow = mode === 'cli' ? await adminOverflow(rig.sidecar.adminUrl) : rig.sidecar.stat('upstream_rq_pending_overflow');
  const codes = r.RetCodes ?? {};
  const ok = codes['200'] ?? 0;
  const trips = codes['503'] ?? 0;
  return { mode, c, n, ok, trips, other: r.DurationHistogram.Count - ok - trips, sockets: r.SocketCount, perThread: r.Sockets, overflow, avgMs: r.DurationHistogram.Avg * 1000 };
}

/** Linear interpolation between order statistics (R's type 7), so a 20-run median is the mean of the 10th and 11th. */
function quantile(sorted, q) {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo];
  const b = sorted[Math.min(sorted.length - 1, lo + 1)];
  return a + (b - a) * (h - lo);
}

const pct = (x) => `${x.toFixed(1)} %`;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

function summarize(mode, runs) {
  const lines = [];
  for (const [c, n] of CASES) {
    const outs = runs.filter((o) => o.c === c);
    if (outs.length === 0) continue;
    const ratios = outs.map((o) => (100 * o.trips) / n).sort((x, y) => x - y);
    const sockets = outs.map((o) => o.sockets).sort((x, y) => x - y);
    const mean = ratios.reduce((s, x) => s + x, 0) / ratios.length;
    const agree = outs.filter((o) => o.overflow === o.trips).length;
    // fortio reopens after every non-OK answer except a thread's last: c + trips - c <= sockets <= c + trips.
    const socketsFit = outs.filter((o) => o.sockets >= Math.max(c, o.trips) && o.sockets <= c + o.trips).length;
    const avg = outs.reduce((s, o) => s + o.avgMs, 0) / outs.length;
    lines.push(
      `| ${mode} -c ${c} -n ${n} | ${pct(ratios[0])} | ${pct(quantile(ratios, 0.25))} | ${pct(quantile(ratios, 0.5))} | ${pct(quantile(ratios, 0.75))} | ${pct(ratios[ratios.length - 1])} | ${pct(mean)} | ${quantile(sockets, 0.5)} | ${avg.toFixed(2)} ms | ${agree}/${outs.length} | ${socketsFit}/${outs.length} | ${PUBLISHED[c]} |`,
    );
  }
  for (const [c] of CASES) {
    const outs = runs.filter((o) => o.c === c);
    if (outs.length > 0) lines.push(`<!-- ${mode} c=${c} per-run 503s: ${outs.map((o) => o.trips).join(' ')}; sockets: ${outs.map((o) => o.sockets).join(' ')} -->`);
  }
  return lines;
}

async function main() {
  const a = parse();
  const k = a.knobs;
  const knobText = `concurrency ${k.concurrency ?? rehearsal.DEFAULT_CONCURRENCY}, mtls ${k.mtlsHandshakeMs ?? rehearsal.DEFAULT_MTLS_HANDSHAKE_MS} ms, hop ${k.hopLatencyMs ?? rehearsal.DEFAULT_HOP_LATENCY_MS} ms, jitter ${k.meshJitter ?? rehearsal.DEFAULT_MESH_JITTER}, assign ${k.workerAssignment ?? rehearsal.DEFAULT_WORKER_ASSIGNMENT}`;
  const out = [`seed experiment, ${a.runs} runs each, ${knobText}`, `load average at start: ${load()}`, ''];
  out.push('| run | 503 % min | p25 | median | p75 | max | mean | sockets (median) | avg call | overflow == 503s | sockets in [c+503s−c, c+503s] | Istio published |');
  out.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  const all = [];
  for (const mode of a.modes) {
    const rig = await startRig(a.knobs);
    try {
      await libraryRun(`${rig.sidecar.url}/get`, 1, 1); // the task's single `fortio curl` first
      const runs = [];
      for (const [c, n] of CASES) {
        for (let i = 0; i < a.runs; i++) runs.push(await seedRun(rig, mode, c, n));
        process.stderr.write(`${mode} c=${c}: ${runs.filter((o) => o.c === c).map((o) => o.trips).join(' ')}  (load ${load()})\n`);
      }
      all.push(...runs);
      out.push(...summarize(mode, runs));
    } finally {
      await rig.close();
    }
  }
  out.push('', `load average at end: ${load()}`);
  process.stdout.write(out.join('\n') + '\n');
  if (a.json) writeFileSync(a.json, JSON.stringify({ knobs: knobText, runs: all }, null, 1) + '\n');
  const bad = all.filter((o) => o.overflow !== o.trips || o.other !== 0);
  if (bad.length > 0) {
    process.stderr.write(`${bad.length} run(s) where upstream_rq_pending_overflow != 503s or other codes appeared\n`);
    process.exitCode = 1;
  }
}

await main();
