#!/usr/bin/env node
/**
 * `npm run bench` (issues 2, 18): tripbench beside fortio, wrk and autocannon in the same run, on
 * loopback against a private nginx. Every client is a child process run under GNU time (CPU and
 * peak RSS from the kernel's rusage). Rounds repeat every row with the tool order rotated; ratios
 * are taken inside a round (tools back to back under the same noise) and their median is judged
 * against issue 18's targets. docs/benchmarks.md has the method and the figures.
 *
 *   node bench/run.mjs [--quick] [--rounds N] [--seconds S] [--rows ka1,close4,...,h2 (or h2tls16,h2c16),grpc (or grpc-ping1,...)]
 *                      [--tools tripbench,fortio,wrk,autocannon,nodefloor] [--json FILE] [--no-rss-check]
 *                      [--tripbench-bin PATH] [--tripbench-args "-workers 2"] [--pin none|same|split]
 *                      [--baseline PATH (another build's bin/tripbench.js, as tool "baseline")]
 *   env: BENCH_SECONDS, BENCH_ROUNDS, BENCH_ROWS, FORTIO_BIN (else fortio on PATH)
 */
import { cpus, release, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { haveGnuTime, loadavg, median, runMeasured } from './lib/procs.mjs';
import { haveNginx, startNginx, startProbe } from './lib/targets.mjs';
import { GRPC_ROWS, runGrpcBench } from './grpc.mjs';
import { H2_ROWS, benchH2 } from './h2.mjs';
import { WRK, fortioVersion, makeTools, versionOf } from './lib/tools.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const TARGETS = { vsFortio: 1.0, vsWrk: 0.9, cpuPerCallVsFortio: 1.0, emptyCpuS: 0.15, rssMb: 64 };
/** "a long run uses no more than a short one": allowance for GC timing between two runs. */
const RSS_TOLERANCE = { ratio: 1.05, mb: 3 };

const { values: opt } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    rows: { type: 'string' },
    tools: { type: 'string', default: 'tripbench,fortio,wrk,autocannon,nodefloor' },
    json: { type: 'string' },
    'no-rss-check': { type: 'boolean', default: false },
    'tripbench-bin': { type: 'string' },
    baseline: { type: 'string' },
    'tripbench-args': { type: 'string', default: '' },
    pin: { type: 'string', default: 'none' },
  },
});
const env = process.env;
const quick = opt.quick;
const rounds = Number(opt.rounds ?? env['BENCH_ROUNDS'] ?? (quick ? 1 : 3));
const seconds = Number(opt.seconds ?? env['BENCH_SECONDS'] ?? (quick ? 2 : 5));
if (!(rounds >= 1) || !(seconds > 0)) throw new Error('rounds must be >= 1 and seconds > 0');
const PIN = { none: {}, same: { server: '0', client: '0' }, split: { server: '1', client: '0' } }[opt.pin];
if (PIN === undefined) throw new Error(`--pin ${opt.pin}: expected none, same or split`);

const ROWS = [
  { id: 'ka1', label: 'keep-alive c=1', c: 1, keepAlive: true },
  { id: 'ka16', label: 'keep-alive c=16', c: 16, keepAlive: true },
  { id: 'ka64', label: 'keep-alive c=64', c: 64, keepAlive: true },
  { id: 'close1', label: '-keepalive=false c=1', c: 1, keepAlive: false },
  { id: 'close4', label: '-keepalive=false c=4', c: 4, keepAlive: false },
  { id: 'close16', label: '-keepalive=false c=16', c: 16, keepAlive: false },
  { id: 'breaker', label: 'every 2nd call 503 + close, c=16', c: 16, keepAlive: true, breaker: true },
  // a fixed rate both can hold: CPU per call compares the same work
  { id: 'rate', label: '-qps 10000 -c 16: CPU per call', c: 16, keepAlive: true, qps: 10000, seconds: Math.max(seconds, quick ? 2 : 10) },
  { id: 'empty', label: 'near-empty run -n 16 -c 1', c: 1, keepAlive: true, n: 16, probe: true },
];
const wantRows = new Set((opt.rows ?? env['BENCH_ROWS'] ?? [...ROWS, ...H2_ROWS, ...GRPC_ROWS].map((r) => r.id).join(',')).split(','));
const rows = ROWS.filter((r) => wantRows.has(r.id));
// `h2` selects every HTTP/2 row (bench/h2.mjs)
const h2Rows = H2_ROWS.filter((r) => wantRows.has(r.id) || wantRows.has('h2'));
// `grpc` selects every gRPC row (bench/grpc.mjs)
const grpcRows = GRPC_ROWS.filter((r) => wantRows.has(r.id) || wantRows.has('grpc'));
for (const id of wantRows) if (![...ROWS, ...H2_ROWS, ...GRPC_ROWS].some((r) => r.id === id) && id !== 'h2' && id !== 'grpc') throw new Error(`--rows: unknown row ${id}`);
const RPS_ROWS = new Set(['ka1', 'ka16', 'ka64', 'close1', 'close4', 'close16', 'breaker']);

const out = (s = '') => process.stdout.write(`${s}\n`);
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const fmtRps = (x) => (Number.isFinite(x) ? (x >= 1e4 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0)) : 'n/a');
const fmtUs = (x) => (Number.isFinite(x) ? `${x.toFixed(1)}` : 'n/a');
const fx = (v, d = 2) => (v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(d));

const tools = makeTools({
  root: ROOT,
  tripbenchBin: resolve(opt['tripbench-bin'] ?? join(ROOT, 'bin', 'tripbench.js')),
  tripbenchExtra: opt['tripbench-args'].split(/\s+/).filter((s) => s !== ''),
  baselineBin: opt.baseline ? resolve(opt.baseline) : null,
});
const pinned = (cmd, args) => (PIN.client === undefined ? [cmd, args] : ['taskset', ['-c', PIN.client, cmd, ...args]]);

async function measure(name, row, url, probe) {
  const t = tools[name];
  const spec = { ...row, seconds: row.seconds ?? seconds, url };
  const c = t.cmd(spec);
  if (c === null) return null;
  const arm = probe?.arm();
  const r = await runMeasured(...pinned(...c), { cwd: ROOT, onSpawn: arm?.spawned });
  if (r.code !== 0) throw new Error(`${name} (${row.label}) exited ${r.code}: ${r.stderr.slice(-600)}`);
  const p = t.parse(r.stdout);
  const first = arm?.result() ?? null;
  return {
    ...p,
    cpuS: r.cpuS,
    wallS: r.wallS,
    rssMb: r.rssMb,
    cpuPerCallUs: (r.cpuS / p.calls) * 1e6,
    firstWallS: first?.wallS ?? Number.NaN,
    firstCpuS: first?.cpuS ?? Number.NaN,
  };
}

function ratioOf(raw, row, a, b, key) {
  const perRound = [];
  for (let r = 1; r <= rounds; r++) {
    const x = raw.find((m) => m.row === row && m.tool === a && m.round === r)?.[key];
    const y = raw.find((m) => m.row === row && m.tool === b && m.round === r)?.[key];
    if (Number.isFinite(x) && Number.isFinite(y) && y > 0) perRound.push(x / y);
  }
  return { value: perRound.length > 0 ? median(perRound) : null, perRound };
}

async function rssIndependence(nginx, checks) {
  out('');
  out('Peak RSS flat in -t and -n (tripbench -c 16 -qps 0, medians):');
  const pairs = quick
    ? [['-t 2s', { seconds: 2 }, '-t 6s', { seconds: 6 }], ['-n 10000', { n: 10000 }, '-n 100000', { n: 100000 }]]
    : [['-t 5s', { seconds: 5 }, '-t 20s', { seconds: 20 }], ['-n 10000', { n: 10000 }, '-n 300000', { n: 300000 }]];
  const res = [];
  for (const [aName, aRow, bName, bRow] of pairs) {
    const a = [];
    const b = [];
    for (let r = 0; r < rounds; r++) {
      // alternate which run goes first so slow drift in the machine's state cancels out
      const order = r % 2 === 0 ? [[aRow, a], [bRow, b]] : [[bRow, b], [aRow, a]];
      for (const [row, into] of order) into.push(await measure('tripbench', { c: 16, keepAlive: true, label: 'rss', ...row }, nginx.url));
    }
    const ma = median(a.map((x) => x.rssMb));
    const mb = median(b.map((x) => x.rssMb));
    const ok = mb <= Math.max(ma * RSS_TOLERANCE.ratio, ma + RSS_TOLERANCE.mb);
    out(`  ${pad(aName, 10)} ${lpad(ma.toFixed(1), 6)} MB   ${pad(bName, 12)} ${lpad(mb.toFixed(1), 6)} MB   ${ok ? 'PASS' : 'MISS'}`);
    res.push({ a: aName, aMb: ma, aAll: a.map((x) => x.rssMb), b: bName, bMb: mb, bAll: b.map((x) => x.rssMb), pass: ok });
    checks.push({ name: `peak RSS ${bName} vs ${aName}`, value: mb / ma, perRound: [], target: `<= 1x (+${Math.round((RSS_TOLERANCE.ratio - 1) * 100)}% or ${RSS_TOLERANCE.mb} MB)`, result: ok ? 'PASS' : 'MISS' });
  }
  return res;
}

async function main() {
  if (!haveGnuTime()) {
    out('SKIP all: /usr/bin/time not found (apt-get install time): CPU and peak RSS come from it');
    process.exitCode = 1;
    return;
  }
  if (!haveNginx()) {
    out('SKIP all: /usr/sbin/nginx not found (apt-get install nginx): it is the target');
    process.exitCode = 1;
    return;
  }
  const wanted = [...opt.tools.split(','), ...(opt.baseline ? ['baseline'] : [])];
  const names = [];
  const skipped = [];
  for (const n of wanted) {
    if (!tools[n]) throw new Error(`--tools: unknown tool ${n}`);
    if (tools[n].missing) {
      skipped.push({ tool: n, why: tools[n].missing });
      out(`SKIP ${n}: ${tools[n].missing}`);
    } else names.push(n);
  }
  if (!names.includes('fortio')) out('NOTE: fortio is not measured in this run: every ratio to fortio is n/a and no fortio target is judged.');
  if (!names.includes('tripbench')) throw new Error('tripbench itself is missing');

  const nginx = await startNginx({ pinCpu: PIN.server });
  const probe = await startProbe();
  const stopAll = () => {
    nginx.stop();
    void probe.stop();
  };
  process.on('SIGINT', () => {
    stopAll();
    process.exit(130);
  });
  const machine = {
    cpus: cpus().length,
    model: cpus()[0]?.model ?? '?',
    memGb: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    node: process.version,
    nginx: versionOf('/usr/sbin/nginx', ['-v'], /nginx\/(\S+)/),
    fortio: names.includes('fortio') ? fortioVersion(tools.fortio.bin) : null,
    wrk: names.includes('wrk') ? versionOf(WRK, ['-v'], /wrk (\S+)/) : null,
    loadavgStart: loadavg(),
  };
  out(`machine: ${machine.cpus} CPUs (${machine.model}), ${machine.memGb} GB, Linux ${machine.kernel}, node ${machine.node}, nginx ${machine.nginx}, fortio ${machine.fortio ?? 'absent'}, wrk ${machine.wrk ?? 'absent'}`);
  out(`${rounds} round(s), ${seconds} s per timed run, tools ${names.join(', ')}; load average ${machine.loadavgStart}`);

  const raw = [];
  const loads = [];
  try {
    for (let round = 1; rows.length > 0 && round <= rounds; round++) {
      loads.push(loadavg());
      out('');
      out(`round ${round}/${rounds} (load average ${loads.at(-1)})`);
      for (const [ri, row] of rows.entries()) {
        const url = row.probe ? probe.url : row.breaker ? nginx.breakerUrl : nginx.url;
        const k = (round + ri) % names.length;
        const order = [...names.slice(k), ...names.slice(0, k)];
        for (const tool of order) {
          const m = await measure(tool, row, url, row.probe ? probe : null);
          if (m === null) continue;
          raw.push({ row: row.id, tool, round, ...m });
          const first = Number.isFinite(m.firstWallS) ? `  first call after ${m.firstWallS.toFixed(3)} s wall, ${m.firstCpuS.toFixed(3)} s CPU` : '';
          out(
            `  ${pad(row.id, 8)} ${pad(tool, 10)} ${lpad(fmtRps(m.rps), 7)} req/s  ${lpad(fmtUs(m.cpuPerCallUs), 7)} us CPU/call  ` +
              `CPU ${m.cpuS.toFixed(2)} s  RSS ${m.rssMb.toFixed(1)} MB  503 ${m.code503}  sockets ${Number.isFinite(m.sockets) ? m.sockets : '-'}${first}`,
          );
        }
      }
    }

    const med = (row, tool, key) => median(raw.filter((m) => m.row === row && m.tool === tool).map((m) => m[key]));
    if (rows.length > 0) out('\nMedians:');
    if (rows.length > 0) out(`${pad('row', 34)}${pad('tool', 11)}${lpad('req/s', 8)} ${pad(' (min-max)', 17)}${lpad('p50', 9)}${lpad('p99', 9)}${lpad('CPU/call', 10)}${lpad('CPU s', 7)}${lpad('RSS MB', 8)}`);
    const summary = [];
    for (const row of rows) {
      for (const tool of names) {
        const ms = raw.filter((m) => m.row === row.id && m.tool === tool);
        if (ms.length === 0) continue;
        const s = {
          row: row.id,
          label: row.label,
          tool,
          rps: med(row.id, tool, 'rps'),
          rpsAll: ms.map((m) => m.rps),
          p50: med(row.id, tool, 'p50'),
          p99: med(row.id, tool, 'p99'),
          cpuPerCallUs: med(row.id, tool, 'cpuPerCallUs'),
          cpuS: med(row.id, tool, 'cpuS'),
          wallS: med(row.id, tool, 'wallS'),
          rssMb: med(row.id, tool, 'rssMb'),
          rssMax: Math.max(...ms.map((m) => m.rssMb)),
          firstWallS: med(row.id, tool, 'firstWallS'),
          firstCpuS: med(row.id, tool, 'firstCpuS'),
          code503: med(row.id, tool, 'code503'),
          sockets: med(row.id, tool, 'sockets'),
        };
        summary.push(s);
        const range = s.rpsAll.length > 1 ? ` (${fmtRps(Math.min(...s.rpsAll))}-${fmtRps(Math.max(...s.rpsAll))})` : '';
        const us = (x) => (Number.isFinite(x) ? `${(x * 1e6).toFixed(0)}us` : 'n/a');
        out(
          `${pad(row.label, 34)}${pad(tool, 11)}${lpad(fmtRps(s.rps), 8)} ${pad(range, 17)}${lpad(us(s.p50), 9)}${lpad(us(s.p99), 9)}` +
            `${lpad(fmtUs(s.cpuPerCallUs), 10)}${lpad(s.cpuS.toFixed(2), 7)}${lpad(s.rssMb.toFixed(1), 8)}`,
        );
        if (row.probe) out(`${pad('', 45)}start to first call: ${fx(s.firstWallS, 3)} s wall, ${fx(s.firstCpuS, 3)} s CPU; whole run ${fx(s.wallS, 3)} s wall, ${fx(s.cpuS, 3)} s CPU`);
      }
    }

    const checks = [];
    const verdict = (ok) => (ok === null ? 'n/a ' : ok ? 'PASS' : 'MISS');
    const add = (name, r, ok, target) => checks.push({ name, value: r.value, perRound: r.perRound ?? [], target, result: verdict(r.value === null ? null : ok) });
    const ratios = [];
    for (const row of rows) {
      if (RPS_ROWS.has(row.id)) {
        const f = ratioOf(raw, row.id, 'tripbench', 'fortio', 'rps');
        add(`${row.label}: req/s / fortio`, f, f.value >= TARGETS.vsFortio, `>= ${TARGETS.vsFortio}x`);
        const w = ratioOf(raw, row.id, 'tripbench', 'wrk', 'rps');
        if (row.id === 'ka16' || row.id === 'ka64') add(`${row.label}: req/s / wrk`, w, w.value >= TARGETS.vsWrk, `>= ${TARGETS.vsWrk}x`);
        else ratios.push([`${row.label}: req/s / wrk`, w]);
        ratios.push([`${row.label}: CPU per call / fortio`, ratioOf(raw, row.id, 'tripbench', 'fortio', 'cpuPerCallUs')]);
        if (row.keepAlive && !row.breaker) {
          ratios.push([`${row.label}: req/s / node floor`, ratioOf(raw, row.id, 'tripbench', 'nodefloor', 'rps')]);
          ratios.push([`${row.label}: node floor req/s / wrk`, ratioOf(raw, row.id, 'nodefloor', 'wrk', 'rps')]);
        }
        if (opt.baseline) ratios.push([`${row.label}: req/s / baseline`, ratioOf(raw, row.id, 'tripbench', 'baseline', 'rps')]);
      } else if (row.id === 'rate') {
        const r = ratioOf(raw, 'rate', 'tripbench', 'fortio', 'cpuPerCallUs');
        add(`${row.label} / fortio`, r, r.value <= TARGETS.cpuPerCallVsFortio, `<= ${TARGETS.cpuPerCallVsFortio}x`);
        if (opt.baseline) ratios.push([`${row.label} / baseline`, ratioOf(raw, 'rate', 'tripbench', 'baseline', 'cpuPerCallUs')]);
      } else if (row.id === 'empty') {
        const v = med('empty', 'tripbench', 'cpuS');
        add(`${row.label}: CPU s (whole run)`, { value: Number.isFinite(v) ? v : null, perRound: raw.filter((m) => m.row === 'empty' && m.tool === 'tripbench').map((m) => m.cpuS) }, v <= TARGETS.emptyCpuS, `<= ${TARGETS.emptyCpuS} s`);
        ratios.push([`${row.label}: CPU / fortio`, ratioOf(raw, 'empty', 'tripbench', 'fortio', 'cpuS')]);
        if (opt.baseline) ratios.push([`${row.label}: CPU / baseline`, ratioOf(raw, 'empty', 'tripbench', 'baseline', 'cpuS')]);
        ratios.push([`${row.label}: CPU to first call / fortio`, ratioOf(raw, 'empty', 'tripbench', 'fortio', 'firstCpuS')]);
        ratios.push([`${row.label}: wall to first call / fortio`, ratioOf(raw, 'empty', 'tripbench', 'fortio', 'firstWallS')]);
      }
    }
    // the worst run, not the median: a limit holds for every run
    const tbRuns = raw.filter((m) => m.tool === 'tripbench');
    const worst = Math.max(...tbRuns.map((m) => m.rssMb));
    const worstAt = tbRuns.find((m) => m.rssMb === worst);
    add(`tripbench peak RSS MB (worst run: ${worstAt?.row ?? '-'})`, { value: Number.isFinite(worst) ? worst : null }, worst <= TARGETS.rssMb, `<= ${TARGETS.rssMb}`);
    const rssCheck = opt['no-rss-check'] || rows.length === 0 ? null : await rssIndependence(nginx, checks);

    if (rows.length > 0) {
    out('');
    out('Targets (issue 18), judged on the median of the per-round ratios:');
    const detail = (r) => (r.perRound.length > 1 ? `   rounds ${r.perRound.map((x) => fx(x)).join(' ')}` : '');
    for (const ch of checks) out(`  ${ch.result}  ${pad(ch.name, 58)} ${lpad(fx(ch.value, 3), 8)}   target ${ch.target}${detail(ch)}`);
    for (const [name, r] of ratios) if (r.value !== null) out(`  info  ${pad(name, 58)} ${lpad(fx(r.value, 3), 8)}${detail(r)}`);
    const met = checks.filter((c) => c.result === 'PASS').length;
    const judged = checks.filter((c) => c.result !== 'n/a ').length;
    out(`${met} of ${judged} judged targets met${names.includes('fortio') ? '' : ' (fortio absent: its targets not judged)'}; load average at the end: ${loadavg()}`);
    }
    const h2 = h2Rows.length === 0 ? null : await benchH2({ rows: h2Rows, rounds, seconds, names, tools, out, pinned, pinServer: PIN.server, root: ROOT });
    if (h2 !== null) out(`load average at the end of the h2 rows: ${loadavg()}`);
    let grpc = null;
    if (grpcRows.length > 0) {
      out('');
      grpc = names.includes('fortio')
        ? await runGrpcBench({ rows: grpcRows, rounds, seconds, out, tripbenchBin: resolve(opt['tripbench-bin'] ?? join(ROOT, 'bin', 'tripbench.js')), baselineBin: opt.baseline ? resolve(opt.baseline) : null })
        : (out('SKIP gRPC rows: fortio is both their target server and their peer, and it is not measured in this run'), null);
      out(`load average at the end of the gRPC rows: ${loadavg()}`);
    }

    if (opt.json) {
      const doc = { date: new Date().toISOString(), machine, rounds, seconds, quick, pin: opt.pin, tools: names, skipped, loads, raw, summary, checks, ratios: Object.fromEntries(ratios), rssCheck, h2, grpc };
      writeFileSync(opt.json, `${JSON.stringify(doc, null, 2)}\n`);
      out(`figures saved to ${opt.json}`);
    }
  } finally {
    stopAll();
  }
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e.message ?? e}\n`);
  process.exit(1);
});
