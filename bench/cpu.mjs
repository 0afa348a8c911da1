#!/usr/bin/env node
/**
 * CPU and memory of tripbench beside fortio, in the same minutes: a fixed number of calls per run
 * (-n), so CPU per call does not depend on how fast a loaded machine lets either client go. The
 * figures least bent by a busy machine, for tuning; throughput is `npm run bench`'s job.
 *
 *   npm run bench:cpu [-- --rounds 3 --n 4000 --rows close1,close4,close16,rate16,empty --baseline PATH]
 *
 * CPU = user + sys of the whole process from GNU time's rusage (every thread, start-up
 * included); CPU per call = that CPU / -n (the same method as `npm run bench`); RSS = ru_maxrss.
 * Tools alternate per round, the order rotated, and medians over the rounds are printed.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { haveGnuTime, loadavg, median, runMeasured } from './lib/procs.mjs';
import { haveNginx, startNginx } from './lib/targets.mjs';
import { findFortio } from './lib/tools.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: a } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    n: { type: 'string', default: '4000' },
    rows: { type: 'string', default: 'close1,close4,close16,rate16,empty' },
    baseline: { type: 'string' },
  },
});
const rounds = Number(a.rounds);
const n = Number(a.n);

/** Every row: the flags tripbench and fortio share (fortio's syntax). */
const ROWS = {
  close1: { label: '-keepalive=false c=1', flags: ['-keepalive=false', '-qps', '0', '-c', '1', '-n', String(n)], calls: n },
  close4: { label: '-keepalive=false c=4', flags: ['-keepalive=false', '-qps', '0', '-c', '4', '-n', String(n)], calls: n },
  close16: { label: '-keepalive=false c=16', flags: ['-keepalive=false', '-qps', '0', '-c', '16', '-n', String(n)], calls: n },
  // A rate both clients hold on a loaded machine, so both do the same work per second; 5 s of
  // calls, so start-up is a small share of the CPU per call.
  rate16: { label: 'keep-alive -qps 2000 -c 16 -n 10000', flags: ['-qps', '2000', '-c', '16', '-n', '10000'], calls: 10000 },
  empty: { label: 'near-empty run -n 16 -c 1', flags: ['-qps', '0', '-c', '1', '-n', '16'], calls: 16 },
};

function fail(msg) {
  process.stderr.write(`bench/cpu: ${msg}\n`);
  process.exit(2);
}
if (!haveGnuTime()) fail('GNU time (/usr/bin/time) is missing: apt-get install time');
if (!haveNginx()) fail('nginx is missing: apt-get install nginx');
const rows = a.rows.split(',').map((r) => (ROWS[r] ? [r, ROWS[r]] : fail(`unknown row ${r} (known: ${Object.keys(ROWS).join(',')})`)));
const fortio = findFortio();
const tools = [['tripbench', process.execPath, [join(root, 'bin/tripbench.js'), 'load']]];
if (a.baseline !== undefined) {
  if (!existsSync(a.baseline)) fail(`--baseline ${a.baseline} does not exist`);
  tools.push(['baseline', process.execPath, [resolve(a.baseline), 'load']]);
}
if (fortio.bin) tools.push(['fortio', fortio.bin, ['load']]);
else process.stdout.write(`fortio: ${fortio.why}; tripbench only\n`);

const nginx = await startNginx();
// Each run writes its JSON, as a real `-json result.json` does, into a file of its own; not into
// /dev/null: a tripbench before 2026-12-07 (a --baseline) renamed its temp file onto it, which
// as root replaced the device with a regular file for every process on the machine.
const jsonDir = mkdtempSync(join(tmpdir(), 'tripbench-bench-json-'));
const figures = new Map(); // `${row}/${tool}` -> [{ cpuUs, userUs, sysUs, rssMb }]
try {
  for (let r = 0; r < rounds; r++) {
    process.stdout.write(`round ${r + 1}/${rounds}, load average ${loadavg()}\n`);
    for (const [ri, [key, row]] of rows.entries()) {
      const order = tools.map((_, i) => tools[(i + r + ri) % tools.length]);
      for (const [name, bin, pre] of order) {
        const json = join(jsonDir, `${name}.json`);
        const m = await runMeasured(bin, [...pre, ...row.flags, '-json', json, nginx.url], { cwd: root });
        rmSync(json, { force: true });
        if (m.code !== 0) fail(`${name} ${row.label} exited ${m.code}: ${m.stderr.trim().split('\n').pop()}`);
        const per = 1e6 / row.calls;
        const k = `${key}/${name}`;
        if (!figures.has(k)) figures.set(k, []);
        figures.get(k).push({ cpuUs: m.cpuS * per, userUs: m.userS * per, sysUs: m.sysS * per, cpuS: m.cpuS, rssMb: m.rssMb });
      }
    }
  }
} finally {
  nginx.stop();
  rmSync(jsonDir, { recursive: true, force: true });
}

const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
/** Median CPU seconds of a tool's near-empty runs, when that row ran. */
const emptyCpuS = (t) => median((figures.get(`empty/${t}`) ?? []).map((x) => x.cpuS));
const names = tools.map(([name]) => name);
process.stdout.write(
  `\nmedians of ${rounds} rounds, -n ${n}; CPU = user + sys (whole process, start-up included); ` +
    `"beyond start-up" = (CPU − the near-empty run's median CPU) / (calls − 16), n/a without the empty row\n`,
);
process.stdout.write(`| case | ${names.map((t) => `${t}: CPU µs/call (user+sys); beyond start-up / peak RSS MB`).join(' | ')} |${fortio.bin ? ' tripbench/fortio CPU (median of rounds) |' : ''}\n`);
process.stdout.write(`|---|${names.map(() => '---|').join('')}${fortio.bin ? '---|' : ''}\n`);
for (const [key, row] of rows) {
  const cell = (t) => {
    const xs = figures.get(`${key}/${t}`) ?? [];
    const md = (f) => median(xs.map(f));
    if (key === 'empty') return `${md((x) => x.cpuS).toFixed(3)} s CPU / ${f1(md((x) => x.rssMb))}`;
    // beyond start-up: (CPU − the near-empty run's median CPU) / (calls − its 16 calls)
    const beyond = (md((x) => x.cpuS) - emptyCpuS(t)) / (row.calls - 16) * 1e6;
    return `${f1(md((x) => x.cpuUs))} (${f1(md((x) => x.userUs))}+${f1(md((x) => x.sysUs))}); ${f1(beyond)} / ${f1(md((x) => x.rssMb))}`;
  };
  let ratio = '';
  if (fortio.bin) {
    const t = figures.get(`${key}/tripbench`) ?? [];
    const fo = figures.get(`${key}/fortio`) ?? [];
    ratio = ` ${median(t.map((x, i) => x.cpuS / (fo[i]?.cpuS ?? Number.NaN))).toFixed(2)} |`;
  }
  process.stdout.write(`| ${row.label} | ${names.map(cell).join(' | ')} |${ratio}\n`);
}
