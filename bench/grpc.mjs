#!/usr/bin/env node
/**
 * gRPC rows of `npm run bench` (issue 20): `tripbench load -grpc` beside `fortio load -grpc` in
 * the same run, both against fortio's own gRPC server (the Go implementation, so the target is
 * neither client). Each client is a child process under GNU time; rounds rotate the order and
 * ratios are taken inside a round, as bench/run.mjs does for HTTP.
 *
 *   node bench/grpc.mjs [--quick] [--rounds N] [--seconds S] [--json FILE]
 *                       [--baseline PATH (another build's bin/tripbench.js, as tool "baseline")]
 *   env: BENCH_SECONDS, BENCH_ROUNDS, FORTIO_BIN (else fortio on PATH)
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { haveGnuTime, median, runMeasured } from './lib/procs.mjs';
import { freePort, startDaemon } from './lib/targets.mjs';
import { findFortio } from './lib/tools.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const GRPC_ROWS = [
  { id: 'grpc-ping1', label: 'gRPC ping c=1', c: 1, s: 1, ping: true },
  { id: 'grpc-ping16', label: 'gRPC ping c=16', c: 16, s: 1, ping: true },
  { id: 'grpc-ping4s4', label: 'gRPC ping c=4 -s 4', c: 4, s: 4, ping: true },
  { id: 'grpc-health16', label: 'gRPC health c=16', c: 16, s: 1, ping: false },
];

const loadArgs = (row, seconds, target) => [
  'load', '-grpc', ...(row.ping ? ['-ping'] : []), '-s', String(row.s), '-c', String(row.c), '-qps', '0', '-t', `${seconds}s`, '-json', '-', target,
];

/** fortio's GRPCRunnerResults: calls are the histogram's count, good calls are RetCodes.SERVING. */
function parseGrpcJson(stdout) {
  const j = JSON.parse(stdout);
  const h = j.DurationHistogram;
  const pct = (p) => h.Percentiles?.find((x) => x.Percentile === p)?.Value ?? Number.NaN;
  const codes = j.RetCodes ?? {};
  return { rps: j.ActualQPS, p50: pct(50), p99: pct(99), calls: h.Count, good: codes.SERVING ?? 0 };
}

/**
 * Runs the gRPC rows and returns { raw, summary, ratios }; `out` prints a line. The caller (bench/run.mjs
 * or this file's main) owns the rounds and seconds so every row of a run uses the same settings.
 */
export async function runGrpcBench({ rounds, seconds, out, tripbenchBin = join(ROOT, 'bin', 'tripbench.js'), baselineBin = null, rows = GRPC_ROWS }) {
  const fortio = findFortio();
  if (fortio.why) {
    out(`SKIP gRPC rows: the target and peer are fortio's: ${fortio.why}`);
    return { skipped: fortio.why, raw: [], summary: [], ratios: {} };
  }
  const port = await freePort();
  const server = await startDaemon('fortio server', fortio.bin, ['server', '-http-port', 'disabled', '-redirect-port', 'disabled', '-tcp-port', 'disabled', '-udp-port', 'disabled', '-grpc-port', `127.0.0.1:${port}`], [port]);
  const target = `127.0.0.1:${port}`;
  const tools = {
    tripbench: [process.execPath, (row) => [tripbenchBin, ...loadArgs(row, seconds, target)]],
    fortio: [fortio.bin, (row) => loadArgs(row, seconds, target)],
    // another build (e.g. main's) in the same rounds: a before/after that the machine's load cannot skew
    ...(baselineBin ? { baseline: [process.execPath, (row) => [baselineBin, ...loadArgs(row, seconds, target)]] } : {}),
  };
  const names = Object.keys(tools);
  const raw = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      out(`gRPC round ${round}/${rounds}`);
      for (const [ri, row] of rows.entries()) {
        const k = (round + ri) % names.length;
        for (const tool of [...names.slice(k), ...names.slice(0, k)]) {
          const [cmd, args] = tools[tool];
          const r = await runMeasured(cmd, args(row), { cwd: ROOT });
          if (r.code !== 0) throw new Error(`${tool} (${row.label}) exited ${r.code}: ${r.stderr.slice(-600)}`);
          const p = parseGrpcJson(r.stdout);
          const m = { row: row.id, tool, round, ...p, cpuS: r.cpuS, rssMb: r.rssMb, cpuPerCallUs: (r.cpuS / p.calls) * 1e6 };
          raw.push(m);
          out(`  ${row.id.padEnd(14)} ${tool.padEnd(10)} ${m.rps.toFixed(0).padStart(7)} calls/s  ${m.cpuPerCallUs.toFixed(1).padStart(7)} us CPU/call  RSS ${m.rssMb.toFixed(1)} MB  SERVING ${m.good}/${m.calls}`);
        }
      }
    }
  } finally {
    server.kill();
  }
  const med = (row, tool, key) => median(raw.filter((m) => m.row === row && m.tool === tool).map((m) => m[key]));
  const summary = [];
  const ratios = {};
  /** The median over rounds of a's/b's `key`, each ratio taken inside one round. */
  const ratioIn = (row, a, b, key) => {
    const per = [];
    for (let r = 1; r <= rounds; r++) {
      const x = raw.find((m) => m.row === row && m.tool === a && m.round === r);
      const y = raw.find((m) => m.row === row && m.tool === b && m.round === r);
      if (x && y && y[key] > 0) per.push(x[key] / y[key]);
    }
    return { value: per.length > 0 ? median(per) : null, perRound: per };
  };
  const fr = (r) => (r.value === null ? 'n/a' : r.value.toFixed(3));
  out('gRPC medians (tripbench / fortio, median of per-round ratios):');
  for (const row of rows) {
    const ratio = ratioIn(row.id, 'tripbench', 'fortio', 'rps');
    ratios[`${row.label}: calls/s / fortio`] = ratio;
    for (const tool of names) summary.push({ row: row.id, label: row.label, tool, rps: med(row.id, tool, 'rps'), p50: med(row.id, tool, 'p50'), p99: med(row.id, tool, 'p99'), cpuPerCallUs: med(row.id, tool, 'cpuPerCallUs'), rssMb: med(row.id, tool, 'rssMb') });
    const us = (x) => `${(x * 1e6).toFixed(0)}us`;
    const t = summary.find((m) => m.row === row.id && m.tool === 'tripbench');
    const f = summary.find((m) => m.row === row.id && m.tool === 'fortio');
    out(`  ${row.label.padEnd(22)} tripbench ${t.rps.toFixed(0).padStart(7)}/s p50 ${us(t.p50)} p99 ${us(t.p99)} ${t.cpuPerCallUs.toFixed(0)}us CPU/call   fortio ${f.rps.toFixed(0).padStart(7)}/s p50 ${us(f.p50)} p99 ${us(f.p99)} ${f.cpuPerCallUs.toFixed(0)}us CPU/call   ratio ${fr(ratio)}`);
    if (baselineBin) {
      const b = summary.find((m) => m.row === row.id && m.tool === 'baseline');
      const rps = ratioIn(row.id, 'tripbench', 'baseline', 'rps');
      const cpu = ratioIn(row.id, 'tripbench', 'baseline', 'cpuPerCallUs');
      ratios[`${row.label}: calls/s / baseline`] = rps;
      ratios[`${row.label}: CPU/call / baseline`] = cpu;
      out(`  ${''.padEnd(22)} baseline  ${b.rps.toFixed(0).padStart(7)}/s p50 ${us(b.p50)} p99 ${us(b.p99)} ${b.cpuPerCallUs.toFixed(0)}us CPU/call RSS ${b.rssMb.toFixed(0)} MB (tripbench RSS ${t.rssMb.toFixed(0)} MB)   calls/s ratio ${fr(rps)}, CPU/call ratio ${fr(cpu)}`);
    }
  }
  return { raw, summary, ratios };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values: opt } = parseArgs({ options: { quick: { type: 'boolean', default: false }, rounds: { type: 'string' }, seconds: { type: 'string' }, json: { type: 'string' }, baseline: { type: 'string' } } });
  const rounds = Number(opt.rounds ?? process.env['BENCH_ROUNDS'] ?? (opt.quick ? 1 : 3));
  const seconds = Number(opt.seconds ?? process.env['BENCH_SECONDS'] ?? (opt.quick ? 2 : 5));
  const out = (s = '') => process.stdout.write(`${s}\n`);
  if (!haveGnuTime()) {
    out('SKIP gRPC rows: /usr/bin/time not found (apt-get install time)');
    process.exit(1);
  }
  runGrpcBench({ rounds, seconds, out, baselineBin: opt.baseline ? resolve(opt.baseline) : null })
    .then((res) => {
      if (opt.json) writeFileSync(opt.json, `${JSON.stringify({ date: new Date().toISOString(), rounds, seconds, ...res }, null, 2)}\n`);
    })
    .catch((e) => {
      process.stderr.write(`bench failed: ${e.message ?? e}\n`);
      process.exit(1);
    });
}
