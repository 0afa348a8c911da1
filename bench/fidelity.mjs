#!/usr/bin/env node
/**
 * `npm run bench:fidelity` (issue 18): behind a breaker-like limiter, does tripbench meet it as
 * often as fortio? haproxy (Debian's) allows one connection to the server (`maxconn 1`); a call
 * that waits more than `timeout queue 1ms` for it gets a 503 and its connection closed, so every
 * 503 costs the client a reconnect, and how fast the client reconnects decides how many calls
 * meet the limiter. For c = 1..8, tripbench and fortio run `-c C -n 40 -qps 0` in alternating
 * order; the medians of their 503 counts and of their sockets must agree within ±1 call.
 *
 *   node bench/fidelity.mjs [--runs N] [--conns 1,2,...,8] [--calls 40] [--echo nginx|tripbench]
 *                           [--queue-ms 1] [--json FILE] [--tripbench-bin PATH]
 *   env: FIDELITY_RUNS, FORTIO_BIN (else fortio on PATH)
 * Exit code: 0 every c agrees, 1 some c does not, 2 a tool is missing (nothing judged).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { haveGnuTime, loadavg, median, runMeasured, sleep } from './lib/procs.mjs';
import { freePort, haveHaproxy, haveNginx, startHaproxy, startNginx } from './lib/targets.mjs';
import { fortioVersion, makeTools, versionOf } from './lib/tools.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: opt } = parseArgs({
  options: {
    runs: { type: 'string' },
    conns: { type: 'string', default: '1,2,3,4,5,6,7,8' },
    calls: { type: 'string', default: '40' },
    echo: { type: 'string', default: 'nginx' },
    'queue-ms': { type: 'string', default: '1' },
    json: { type: 'string' },
    'tripbench-bin': { type: 'string' },
  },
});
const runs = Number(opt.runs ?? process.env['FIDELITY_RUNS'] ?? 5);
const conns = opt.conns.split(',').map(Number);
const calls = Number(opt.calls);
const TOLERANCE = 1;
const out = (s = '') => process.stdout.write(`${s}\n`);

async function startTripbenchServer(bin) {
  const port = await freePort();
  const proc = spawn(process.execPath, [bin, 'server', '-listen', `127.0.0.1:${port}`, '-tcp-port', 'disabled', '-udp-port', 'disabled'], { stdio: ['ignore', 'pipe', 'pipe'] });
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error('tripbench server exited');
    const ok = await fetch(`http://127.0.0.1:${port}/`).then(
      () => true,
      () => false,
    );
    if (ok) return { port, stop: () => proc.kill('SIGTERM') };
    await sleep(50);
  }
  throw new Error('tripbench server did not answer within 10 s');
}

async function main() {
  const tripbenchBin = resolve(opt['tripbench-bin'] ?? join(ROOT, 'bin', 'tripbench.js'));
  const tools = makeTools({ root: ROOT, tripbenchBin });
  const missing = [
    ['fortio', tools.fortio.missing],
    ['tripbench', tools.tripbench.missing],
    ['haproxy', haveHaproxy() ? null : '/usr/sbin/haproxy not found (apt-get install haproxy)'],
    ['nginx', opt.echo !== 'nginx' || haveNginx() ? null : '/usr/sbin/nginx not found (apt-get install nginx)'],
    ['time', haveGnuTime() ? null : '/usr/bin/time not found (apt-get install time)'],
  ].filter(([, why]) => why);
  if (missing.length > 0) {
    for (const [name, why] of missing) out(`MISSING ${name}: ${why}`);
    out('fidelity NOT checked: it compares tripbench with the real fortio behind a real haproxy.');
    process.exitCode = 2;
    return;
  }
  const echo = opt.echo === 'nginx' ? await startNginx() : await startTripbenchServer(tripbenchBin);
  const limiter = await startHaproxy(echo.port, { queueMs: Number(opt['queue-ms']) });
  const stop = () => {
    limiter.stop();
    echo.stop();
  };
  process.on('SIGINT', () => {
    stop();
    process.exit(130);
  });
  out(`fortio ${fortioVersion(tools.fortio.bin)}, ${versionOf('/usr/sbin/haproxy', ['-v'], /version (\S+)/)}, echo: ${opt.echo}`);
  out(`limiter: haproxy maxconn 1, timeout queue ${opt['queue-ms']}ms; each run -n ${calls} -qps 0 -allow-initial-errors; ${runs} runs per tool and c, alternating; load average ${loadavg()}`);
  out('');
  out(`${'c'.padStart(2)}  ${'503 tripbench'.padEnd(22)}${'503 fortio'.padEnd(22)}${'sockets tripbench'.padEnd(22)}${'sockets fortio'.padEnd(22)}verdict`);
  const results = [];
  let bad = 0;
  try {
    for (const c of conns) {
      const m = { tripbench: [], fortio: [] };
      for (let r = 0; r < runs; r++) {
        const order = r % 2 === 0 ? ['tripbench', 'fortio'] : ['fortio', 'tripbench'];
        for (const t of order) {
          const [cmd, args] = tools[t].cmd({ c, keepAlive: true, n: calls, qps: 0, url: limiter.url });
          // a 503 at warmup must not abort the run (fortio's default): both get the same flag
          const i = args.indexOf('-json');
          args.splice(i, 0, '-allow-initial-errors');
          const res = await runMeasured(cmd, args, { cwd: ROOT });
          if (res.code !== 0) throw new Error(`${t} -c ${c} exited ${res.code}: ${res.stderr.slice(-400)}`);
          m[t].push(tools[t].parse(res.stdout));
        }
      }
      const med = (t, k) => median(m[t].map((x) => x[k]));
      const all = (t, k) => m[t].map((x) => x[k]).join(' ');
      const d503 = Math.abs(med('tripbench', 'code503') - med('fortio', 'code503'));
      const dSock = Math.abs(med('tripbench', 'sockets') - med('fortio', 'sockets'));
      const ok = d503 <= TOLERANCE && dSock <= TOLERANCE;
      if (!ok) bad++;
      const cell = (t, k) => `${med(t, k)} (${all(t, k)})`.padEnd(22);
      out(`${String(c).padStart(2)}  ${cell('tripbench', 'code503')}${cell('fortio', 'code503')}${cell('tripbench', 'sockets')}${cell('fortio', 'sockets')}${ok ? 'PASS' : 'MISS'}`);
      results.push({ c, tripbench: m.tripbench, fortio: m.fortio, d503, dSock, pass: ok });
    }
  } finally {
    stop();
  }
  out('');
  out(`${bad === 0 ? 'PASS' : 'MISS'}: ${conns.length - bad} of ${conns.length} concurrencies agree with fortio within ±${TOLERANCE} call (503s and sockets, medians of ${runs}); load average ${loadavg()}`);
  if (opt.json) writeFileSync(opt.json, `${JSON.stringify({ date: new Date().toISOString(), runs, calls, echo: opt.echo, queueMs: Number(opt['queue-ms']), results }, null, 2)}\n`);
  process.exitCode = bad === 0 ? 0 : 1;
}

main().catch((e) => {
  process.stderr.write(`fidelity failed: ${e.message ?? e}\n`);
  process.exitCode = 1;
});
