/**
 * The HTTP/2 rows of `npm run bench` (issue 20): `tripbench load -h2` beside h2load (nghttp2's
 * strict HTTP/2 benchmark) and the real fortio, in the same rounds, against nginx speaking h2
 * (bench/lib/targets.mjs startNginxH2). run.mjs calls `benchH2`; `--rows h2` runs these rows only.
 *
 * fortio v1.33 has no -h2 flag; its HTTP/2 path would be `-stdclient` over TLS through Go's
 * net/http. That transport sets its own DialContext and TLSClientConfig without
 * ForceAttemptHTTP2, and Go then does not offer h2 in ALPN: fortio v1.33 speaks HTTP/1.1 over
 * TLS there. The bench does not take that on trust: nginx logs `$server_protocol` for the TLS
 * port and every row says what each client really spoke. A fortio with `-h2` (current releases)
 * is run with it, on both rows.
 */
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { median, runMeasured } from './lib/procs.mjs';
import { startNginxH2 } from './lib/targets.mjs';
import { parseFortioJson, versionOf } from './lib/tools.mjs';

export const H2LOAD = '/usr/bin/h2load';

export const H2_ROWS = [
  { id: 'h2tls16', label: 'h2 over TLS c=16', c: 16, tls: true },
  { id: 'h2c16', label: 'h2c (prior knowledge) c=16', c: 16, tls: false },
];

/** Does this fortio build have -h2 (fortio >= 1.34)? Its usage lists the flags. */
function fortioHasH2(bin) {
  const r = spawnSync(bin, ['help'], { encoding: 'utf8' });
  return /^\s+-h2\b/m.test(`${r.stdout ?? ''}${r.stderr ?? ''}`);
}

function parseH2load(stdout) {
  const rps = Number(/finished in [^,]+, ([\d.]+) req\/s/.exec(stdout)?.[1]);
  const m = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded/.exec(stdout);
  const calls = Number(m?.[3] ?? Number.NaN);
  const done = Number(m?.[2] ?? Number.NaN);
  const c5xx = Number(/status codes: \d+ 2xx, \d+ 3xx, \d+ 4xx, (\d+) 5xx/.exec(stdout)?.[1] ?? 0);
  return { rps, p50: Number.NaN, p99: Number.NaN, calls, errors: done - calls, code503: c5xx, sockets: Number.NaN };
}

/**
 * The h2 clients: [bin, args] for a row, or `skip` (a one-line reason) when the tool cannot run
 * it (tripbench writes fortio's JSON, so one parser reads both).
 */
function h2Tools({ tools, names }) {
  const common = (r, seconds) => ['-c', String(r.c), '-qps', '0', '-t', `${seconds}s`, '-json', '-'];
  const out = [];
  for (const n of names.filter((x) => x === 'tripbench' || x === 'baseline')) {
    const { bin, extra } = tools[n];
    out.push({
      name: n,
      label: `${n} -h2`,
      cmd: (r, s, url) => [process.execPath, [bin, 'load', ...extra, '-h2', ...(r.tls ? ['-k'] : []), ...common(r, s), url]],
      parse: parseFortioJson,
    });
  }
  out.push({
    name: 'h2load',
    label: 'h2load',
    skip: existsSync(H2LOAD) ? null : `skipped: h2load not installed (apt-get install nghttp2-client)`,
    // one stream per connection: the same concurrency as -c connections of one call each
    cmd: (r, s, url) => [H2LOAD, ['-c', String(r.c), '-m', '1', '-t', '1', '-D', String(s), url]],
    parse: parseH2load,
  });
  if (names.includes('fortio')) {
    const h2 = fortioHasH2(tools.fortio.bin);
    out.push({
      name: 'fortio',
      label: h2 ? 'fortio -h2' : 'fortio -stdclient',
      skipRow: (r) => (h2 || r.tls ? null : 'skipped: this fortio (v1.33) has no -h2 flag, so no h2c'),
      cmd: (r, s, url) => [tools.fortio.bin, ['load', ...(h2 ? ['-h2'] : ['-stdclient']), ...(r.tls ? ['-k'] : []), ...common(r, s), url]],
      parse: parseFortioJson,
    });
  } else out.push({ name: 'fortio', label: 'fortio', skip: 'skipped: fortio not installed (set FORTIO_BIN or put it on PATH)' });
  return out;
}

/**
 * Runs the h2 rows `rounds` times, tool order rotated, and prints per run, then one line per row:
 * tripbench's req/s beside each peer's and the median of the per-round ratios. Returns the figures
 * for run.mjs's JSON.
 */
export async function benchH2({ rows, rounds, seconds, names, tools, out, pinned, pinServer, root }) {
  const h2 = h2Tools({ tools, names });
  const nginx = await startNginxH2({ pinCpu: pinServer });
  const raw = [];
  const skipped = [];
  const fmt = (x) => (Number.isFinite(x) ? (x >= 1e4 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0)) : 'n/a');
  out('');
  out(`HTTP/2 rows: nginx ${versionOf('/usr/sbin/nginx', ['-v'], /nginx\/(\S+)/)} (1 worker) as the h2 target, h2load ${existsSync(H2LOAD) ? versionOf(H2LOAD, ['--version'], /nghttp2\/(\S+)/) : 'absent'}`);
  for (const t of h2) if (t.skip) (skipped.push({ tool: t.name, why: t.skip }), out(`  ${t.label}: ${t.skip}`));
  try {
    for (let round = 1; round <= rounds; round++) {
      out(`h2 round ${round}/${rounds}`);
      for (const [ri, row] of rows.entries()) {
        const url = row.tls ? nginx.tlsUrl : nginx.h2cUrl;
        const live = h2.filter((t) => !t.skip);
        const k = (round + ri) % live.length;
        for (const t of [...live.slice(k), ...live.slice(0, k)]) {
          const why = t.skipRow?.(row) ?? null;
          if (why !== null) {
            if (round === 1) skipped.push({ tool: t.name, row: row.id, why });
            continue;
          }
          await nginx.protocolsSeen(); // drop what earlier runs left in the log
          const r = await runMeasured(...pinned(...t.cmd(row, seconds, url)), { cwd: root });
          if (r.code !== 0) throw new Error(`${t.label} (${row.label}) exited ${r.code}: ${r.stderr.slice(-600)}`);
          const p = t.parse(r.stdout);
          const protocols = row.tls ? await nginx.protocolsSeen() : { 'HTTP/2.0 (h2c port)': p.calls };
          const m = { row: row.id, tool: t.name, label: t.label, round, ...p, cpuS: r.cpuS, rssMb: r.rssMb, cpuPerCallUs: (r.cpuS / p.calls) * 1e6, protocols };
          raw.push(m);
          const spoke = Object.entries(protocols).map(([k2, v]) => `${k2} ${v}`).join(', ');
          out(`  ${row.id.padEnd(8)} ${t.label.padEnd(18)} ${fmt(m.rps).padStart(7)} req/s  ${m.cpuPerCallUs.toFixed(1).padStart(7)} us CPU/call  RSS ${m.rssMb.toFixed(1)} MB  errors ${m.errors}  spoke: ${spoke}`);
        }
      }
    }
  } finally {
    nginx.stop();
  }
  const ratio = (row, a, b) => {
    const per = [];
    for (let r = 1; r <= rounds; r++) {
      const x = raw.find((m) => m.row === row && m.tool === a && m.round === r)?.rps;
      const y = raw.find((m) => m.row === row && m.tool === b && m.round === r)?.rps;
      if (Number.isFinite(x) && Number.isFinite(y) && y > 0) per.push(x / y);
    }
    return { value: per.length > 0 ? median(per) : null, perRound: per };
  };
  const summary = [];
  out('');
  out('HTTP/2 req/s medians (ratio = median of per-round tripbench / peer):');
  for (const row of rows) {
    const med = (tool) => median(raw.filter((m) => m.row === row.id && m.tool === tool).map((m) => m.rps));
    const parts = [];
    const line = { row: row.id, label: row.label, tools: {} };
    for (const t of h2) {
      const why = t.skip ?? t.skipRow?.(row) ?? null;
      const ms = raw.filter((m) => m.row === row.id && m.tool === t.name);
      const spoke = [...new Set(ms.flatMap((m) => Object.keys(m.protocols)))].map((p) => p.split(' ')[0]).join('+');
      if (why !== null) {
        parts.push(`${t.label} ${why}`);
        line.tools[t.name] = { skipped: why };
        continue;
      }
      const v = med(t.name);
      const r = t.name === 'tripbench' ? null : ratio(row.id, 'tripbench', t.name);
      line.tools[t.name] = { label: t.label, rps: v, rpsAll: ms.map((m) => m.rps), cpuPerCallUs: median(ms.map((m) => m.cpuPerCallUs)), rssMb: median(ms.map((m) => m.rssMb)), spoke, ratio: r };
      parts.push(`${t.label} ${fmt(v)}${spoke ? ` [${spoke}]` : ''}${r?.value != null ? ` (x${r.value.toFixed(2)})` : ''}`);
    }
    summary.push(line);
    out(`  ${row.label} req/s: ${parts.join(' vs ')}`);
  }
  return { target: 'nginx h2 (1 worker)', raw, summary, skipped };
}
