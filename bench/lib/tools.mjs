/**
 * The clients the benchmark compares: their command line for a row and the figures read from
 * their own output. req/s is always timed calls / run time (tripbench and fortio `ActualQPS`,
 * wrk `Requests/sec`, autocannon `requests.total / duration`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';

export const WRK = '/usr/bin/wrk';

/** fortio: FORTIO_BIN, else `fortio` on PATH. */
export function findFortio() {
  const env = process.env['FORTIO_BIN'];
  if (env) return existsSync(env) ? { bin: env } : { why: `FORTIO_BIN=${env} does not exist` };
  for (const d of (process.env['PATH'] ?? '').split(delimiter)) {
    if (d !== '' && existsSync(join(d, 'fortio'))) return { bin: join(d, 'fortio') };
  }
  return { why: 'fortio not found (set FORTIO_BIN or put fortio on PATH)' };
}

/** A version from a tool's stdout and stderr (nginx -v writes to stderr). */
export function versionOf(bin, args, re) {
  const r = spawnSync(bin, args, { encoding: 'utf8' });
  const s = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  return re.exec(s)?.[1] ?? (s.split('\n')[0] || '?');
}

/** fortio's version line; a build without Go build info prints none. */
export function fortioVersion(bin) {
  const v = versionOf(bin, ['version', '-s'], /^(\d\S*)/m);
  return /^\d/.test(v) ? v : `${bin} (no version in its build info)`;
}

/** fortio's and tripbench's JSON (tripbench writes fortio's format). */
export function parseFortioJson(stdout) {
  const j = JSON.parse(stdout);
  const h = j.DurationHistogram;
  const pct = (p) => h.Percentiles?.find((x) => x.Percentile === p)?.Value ?? Number.NaN;
  const codes = j.RetCodes ?? {};
  const total = Object.values(codes).reduce((a, b) => a + b, 0);
  const sockets = j.SocketCount ?? (Array.isArray(j.Sockets) ? j.Sockets.reduce((a, b) => a + b, 0) : Number.NaN);
  return { rps: j.ActualQPS, p50: pct(50), p99: pct(99), calls: h.Count, errors: total - (codes['200'] ?? 0), code503: codes['503'] ?? 0, sockets };
}

function durationToS(s) {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(s.trim());
  return m ? Number(m[1]) * { us: 1e-6, ms: 1e-3, s: 1, m: 60 }[m[2]] : Number.NaN;
}

function parseWrk(stdout) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const p = (n) => durationToS(new RegExp(`^\\s+${n}%\\s+(\\S+)`, 'm').exec(stdout)?.[1] ?? '');
  const calls = Number(/(\d+) requests in/.exec(stdout)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const errors = non2xx + (sock ? sock.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  return { rps, p50: p(50), p99: p(99), calls, errors, code503: non2xx, sockets: Number.NaN };
}

function parseNodeFloor(stdout) {
  const j = JSON.parse(stdout);
  return { rps: j.calls / j.seconds, p50: Number.NaN, p99: Number.NaN, calls: j.calls, errors: 0, code503: 0, sockets: Number.NaN };
}

function parseAutocannon(stdout) {
  const j = JSON.parse(stdout);
  return {
    rps: j.requests.total / j.duration,
    p50: j.latency.p50 / 1e3,
    p99: j.latency.p99 / 1e3,
    calls: j.requests.total,
    errors: j.errors + j.non2xx,
    code503: j.non2xx,
    sockets: Number.NaN,
  };
}

/**
 * A row: { c, keepAlive, url, seconds | n, qps }. Each tool's cmd() returns [bin, args], or null
 * when it cannot run that row (wrk has no call count or fixed rate, autocannon is run on
 * keep-alive rows only).
 */
export function makeTools({ root, tripbenchBin, tripbenchExtra = [], baselineBin = null }) {
  const require = createRequire(join(root, 'package.json'));
  let autocannon = null;
  try {
    autocannon = require.resolve('autocannon/autocannon.js');
  } catch {
    /* reported as skipped */
  }
  const fortio = findFortio();
  const fortioArgs = (r) => [
    'load',
    '-c',
    String(r.c),
    '-qps',
    String(r.qps ?? 0),
    ...(r.keepAlive ? [] : ['-keepalive=false']),
    ...(r.n ? ['-n', String(r.n)] : ['-t', `${r.seconds}s`]),
    '-json',
    '-',
    r.url,
  ];
  const tripbenchTool = (bin) => ({
    bin,
    extra: tripbenchExtra,
    missing: existsSync(join(bin, '..', '..', 'dist', 'cli', 'main.js')) ? null : `${bin}: dist/ not built (run npm run build)`,
    cmd: (r) => [process.execPath, [bin, ...fortioArgs(r).slice(0, 1), ...tripbenchExtra, ...fortioArgs(r).slice(1)]],
    parse: parseFortioJson,
  });
  return {
    tripbench: tripbenchTool(tripbenchBin),
    // another build (--baseline), measured in the same rounds: before/after figures of a change
    ...(baselineBin ? { baseline: tripbenchTool(baselineBin) } : {}),
    fortio: {
      missing: fortio.why ?? null,
      bin: fortio.bin,
      cmd: (r) => [fortio.bin, fortioArgs(r)],
      parse: parseFortioJson,
    },
    wrk: {
      missing: existsSync(WRK) ? null : `${WRK} not found (apt-get install wrk)`,
      cmd: (r) =>
        r.n || r.qps
          ? null
          : [WRK, ['-c', String(r.c), '-t', '1', '-d', `${r.seconds}s`, '--latency', ...(r.keepAlive ? [] : ['-H', 'Connection: close']), r.url]],
      parse: parseWrk,
    },
    // what Node itself reaches per keep-alive call (bench/lib/nodeFloor.mjs): keep-alive rows only
    nodefloor: {
      missing: null,
      cmd: (r) => (r.qps || r.n || !r.keepAlive || r.breaker ? null : [process.execPath, [join(root, 'bench', 'lib', 'nodeFloor.mjs'), r.url, String(r.c), String(r.seconds)]]),
      parse: parseNodeFloor,
    },
    autocannon: {
      missing: autocannon ? null : 'autocannon not installed (npm ci)',
      cmd: (r) => {
        if (r.qps || !r.keepAlive || r.breaker) return null;
        const amount = r.n ? ['-a', String(r.n)] : ['-d', String(r.seconds)];
        return [process.execPath, [autocannon, '-c', String(r.c), ...amount, '--json', r.url]];
      },
      parse: parseAutocannon,
    },
  };
}
