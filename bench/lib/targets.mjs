/**
 * Targets for the benchmarks, each on a free 127.0.0.1 port in a temp dir: nginx (a keep-alive
 * server and a breaker-like one), haproxy as a one-connection limiter, and the start-up probe.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { descendants, liveCpuS, sleep } from './procs.mjs';

export const NGINX = '/usr/sbin/nginx';
export const HAPROXY = '/usr/sbin/haproxy';

export function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

function canConnect(port) {
  return new Promise((res) => {
    const s = connect({ port, host: '127.0.0.1' }, () => {
      s.destroy();
      res(true);
    });
    s.on('error', () => res(false));
  });
}

export async function startDaemon(name, cmd, args, ports) {
  const proc = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`${name} exited: ${err.trim()}`);
    const up = await Promise.all(ports.map(canConnect));
    if (up.every(Boolean)) break;
    if (i > 200) throw new Error(`${name} did not listen on ${ports.join(', ')} within 10 s`);
    await sleep(50);
  }
  return proc;
}

/** An nginx.conf for one worker in `dir`: `http` is the body of its http block after the shared settings. */
function nginxConf(dir, http) {
  const tmp = join(dir, 'tmp');
  return `daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${tmp}; proxy_temp_path ${tmp}; fastcgi_temp_path ${tmp};
  uwsgi_temp_path ${tmp}; scgi_temp_path ${tmp};
  keepalive_timeout 75s;
${http}}
`;
}

/**
 * nginx, one worker: `url` answers 200 "ok\n" on keep-alive connections that never expire (the
 * default of 1000 requests per connection would benchmark reconnects at these rates);
 * `breakerUrl` answers every second call of a connection 503 with `Connection: close`
 * (keepalive_requests 2), so every other call costs a new connection, as behind a tripped breaker.
 */
export async function startNginx({ pinCpu } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tripbench-bench-nginx-'));
  const [port, breakerPort] = [await freePort(), await freePort()];
  writeFileSync(
    join(dir, 'nginx.conf'),
    nginxConf(
      dir,
      `  server {
    listen 127.0.0.1:${port};
    keepalive_requests 1000000000;
    location / { return 200 "ok\\n"; }
  }
  server {
    listen 127.0.0.1:${breakerPort};
    keepalive_requests 2;
    location / {
      if ($connection_requests = 2) { return 503; }
      return 200 "ok\\n";
    }
  }
`,
    ),
  );
  const args = ['-p', dir, '-c', join(dir, 'nginx.conf')];
  const proc = await startDaemon('nginx', ...(pinCpu === undefined ? [NGINX, args] : ['taskset', ['-c', pinCpu, NGINX, ...args]]), [port, breakerPort]);
  const stop = () => {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  return { url: `http://127.0.0.1:${port}/`, breakerUrl: `http://127.0.0.1:${breakerPort}/`, port, stop, pid: proc.pid };
}

/**
 * nginx, one worker, HTTP/2 only: `tlsUrl` is h2 over TLS (ALPN h2 and http/1.1, a self-signed
 * certificate made here with openssl), `h2cUrl` h2 with prior knowledge on a plain port. nginx is
 * the h2 target because it is C and answers a static 200 from one core far faster than any of the
 * measured clients calls it, so the clients, not the server, set the rates (tripbench's own h2
 * server shares a Node event loop with nothing faster). `protocolsSeen()` reads the TLS server's
 * access log (`$server_protocol` per request, buffered): what each client really negotiated.
 */
export async function startNginxH2({ pinCpu } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tripbench-bench-nginx-h2-'));
  const [tlsPort, h2cPort] = [await freePort(), await freePort()];
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const ssl = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { encoding: 'utf8' });
  if (ssl.status !== 0) throw new Error(`openssl could not make the h2 target's certificate: ${(ssl.stderr ?? ssl.error?.message ?? '').trim()}`);
  const log = join(dir, 'protocols.log');
  writeFileSync(
    join(dir, 'nginx.conf'),
    nginxConf(
      dir,
      `  log_format proto '$server_protocol';
  keepalive_requests 1000000000;
  http2_max_requests 1000000000;
  server {
    listen 127.0.0.1:${tlsPort} ssl http2;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    access_log ${log} proto buffer=64k flush=1s;
    location / { return 200 "ok\\n"; }
  }
  server {
    listen 127.0.0.1:${h2cPort} http2;
    location / { return 200 "ok\\n"; }
  }
`,
    ),
  );
  const args = ['-p', dir, '-c', join(dir, 'nginx.conf')];
  const proc = await startDaemon('nginx (h2)', ...(pinCpu === undefined ? [NGINX, args] : ['taskset', ['-c', pinCpu, NGINX, ...args]]), [tlsPort, h2cPort]);
  const stop = () => {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  /** Protocol counts since the last call (nginx flushes its buffer within 1 s, or on SIGUSR1). */
  let consumed = 0;
  const protocolsSeen = async () => {
    proc.kill('SIGUSR1'); // reopen logs: flushes the buffer now
    await sleep(300);
    let text = '';
    try {
      text = readFileSync(log, 'utf8');
    } catch {
      /* nothing logged yet */
    }
    const lines = text.split('\n').filter((l) => l !== '');
    const counts = {};
    for (const l of lines.slice(consumed)) counts[l] = (counts[l] ?? 0) + 1;
    consumed = lines.length;
    return counts;
  };
  return { tlsUrl: `https://127.0.0.1:${tlsPort}/`, h2cUrl: `http://127.0.0.1:${h2cPort}/`, stop, protocolsSeen, pid: proc.pid };
}

/**
 * haproxy in front of `upstreamPort`: one connection to the server (`maxconn 1`), a request that
 * waits longer than `queueMs` for it gets haproxy's 503 and its connection closed: the
 * breaker-like limiter of the fidelity check.
 */
export async function startHaproxy(upstreamPort, { queueMs = 1 } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tripbench-bench-haproxy-'));
  const port = await freePort();
  writeFileSync(
    join(dir, 'haproxy.cfg'),
    `global
  maxconn 4096
defaults
  mode http
  timeout connect 1s
  timeout client 10s
  timeout server 10s
  timeout queue ${queueMs}ms
frontend fe
  bind 127.0.0.1:${port}
  default_backend be
backend be
  server s1 127.0.0.1:${upstreamPort} maxconn 1
`,
  );
  const proc = await startDaemon('haproxy', HAPROXY, ['-db', '-f', join(dir, 'haproxy.cfg')], [port]);
  const stop = () => {
    if (proc.exitCode === null) proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  };
  return { url: `http://127.0.0.1:${port}/`, port, stop };
}

/**
 * Start-up probe: an HTTP server in this process that, when the first call of a run arrives,
 * notes the wall time since `arm()` and the CPU the measured process has used until then (it is
 * blocked on that call, so its CPU is not moving), then answers like nginx.
 */
export async function startProbe() {
  let armed = null;
  const server = createHttpServer((req, res) => {
    if (armed && !armed.first) {
      const wallS = Number(process.hrtime.bigint() - armed.t0) / 1e9;
      const pids = armed.timePid ? descendants(armed.timePid).filter((p) => p !== armed.timePid) : [];
      const cpuS = pids.reduce((a, p) => a + (liveCpuS(p) || 0), 0);
      armed.first = { wallS, cpuS: pids.length > 0 ? cpuS : Number.NaN };
    }
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '3' });
    res.end('ok\n');
  });
  server.keepAliveTimeout = 75_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    /** Call right before spawning; pass GNU time's pid from onSpawn to `spawned`. */
    arm() {
      armed = { t0: process.hrtime.bigint(), timePid: 0, first: null };
      return { spawned: (pid) => (armed.timePid = pid), result: () => armed.first };
    },
    stop: () => new Promise((r) => server.close(r)),
  };
}

export const haveNginx = () => existsSync(NGINX);
export const haveHaproxy = () => existsSync(HAPROXY);
