/**
 * Rehearsal fixtures: target + sidecar started in-process on ephemeral ports from Istio YAML,
 * misbehaving upstreams (refusing, resetting, always-500), and a tiny HTTP client that keeps
 * headers and body for assertions.
 */
import { request } from 'node:http';
import { connect, createServer as createNetServer } from 'node:net';
import type { Server as NetServer } from 'node:net';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { DEFAULT_ISTIO_VERSION, parseIstioVersion, sidecarConfigFromYaml, startSidecar, startTarget } from '../../src/rehearsal/index.js';
import type { SidecarHandle, SidecarOptions, TargetHandle } from '../../src/rehearsal/index.js';

export interface Rig {
  target: TargetHandle;
  sidecar: SidecarHandle;
  close(): Promise<void>;
}

export interface RigOptions extends Partial<Omit<SidecarOptions, 'config' | 'upstreams'>> {
  dr?: string;
  vs?: string;
  /** ServiceEntry YAML */
  se?: string;
  istioVersion?: string;
  /** Envoy cluster name instead of Istio's default for the DR host */
  clusterNameOverride?: string;
  /** extra endpoints after the target */
  upstreams?: string[];
  /** replace the target as the only endpoint(s) */
  onlyUpstreams?: string[];
}

export async function startRig(o: RigOptions = {}): Promise<Rig> {
  const target = await startTarget({ seed: 7, maxDelayMs: 10_000 });
  const sources = [];
  if (o.dr) sources.push({ text: o.dr, file: 'dr.yaml' });
  if (o.vs) sources.push({ text: o.vs, file: 'vs.yaml' });
  if (o.se) sources.push({ text: o.se, file: 'se.yaml' });
  const version = parseIstioVersion(o.istioVersion ?? DEFAULT_ISTIO_VERSION);
  if (!version) throw new Error('bad istio version');
  const config = sidecarConfigFromYaml(sources, { istioVersion: version, ...(o.clusterNameOverride ? { clusterName: o.clusterNameOverride } : {}), ...(o.servicePort ? { servicePort: o.servicePort } : {}) });
  const { dr: _dr, vs: _vs, se: _se, istioVersion: _v, clusterNameOverride: _c, upstreams, onlyUpstreams, ...rest } = o;
  const sidecar = await startSidecar({
    admin: false,
    seed: 11,
    ...rest,
    config,
    upstreams: onlyUpstreams ?? [`127.0.0.1:${target.address.port}`, ...(upstreams ?? [])],
  });
  return {
    target,
    sidecar,
    close: async () => {
      await sidecar.close();
      await target.close();
    },
  };
}

export interface SimpleResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  ms: number;
}

/** One request on a fresh connection (agent: false). */
export function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<SimpleResponse> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A port nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface RawServer {
  port: number;
  accepted(): number;
  close(): Promise<void>;
}

/** Accepts, reads the request, then closes without answering (upstream reset before headers). */
export async function startResettingServer(): Promise<RawServer> {
  let accepted = 0;
  const s: NetServer = createNetServer((sock) => {
    accepted++;
    sock.once('data', () => sock.destroy());
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return {
    port: (s.address() as { port: number }).port,
    accepted: () => accepted,
    close: () => new Promise((r) => s.close(() => r())),
  };
}

/** An HTTP upstream answering with statuses from a script (cycled), keep-alive. */
export async function startScriptedServer(statuses: number[]): Promise<RawServer & { requests(): number }> {
  let accepted = 0;
  let i = 0;
  const s: Server = createServer((req, res) => {
    const status = statuses[i++ % statuses.length] as number;
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': 3 });
      res.end(`${status}`);
    });
  });
  s.keepAliveTimeout = 60_000;
  s.on('connection', () => accepted++);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return {
    port: (s.address() as { port: number }).port,
    accepted: () => accepted,
    requests: () => i,
    close: () =>
      new Promise((r) => {
        s.close(() => r());
        s.closeAllConnections();
      }),
  };
}

/** Sends `head` as is on a fresh socket and resolves with the status line (what node's client would refuse to send). */
export function rawStatusLine(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(head));
    let got = '';
    sock.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      const i = got.indexOf('\r\n');
      if (i >= 0) {
        sock.destroy();
        resolve(got.slice(0, i));
      }
    });
    sock.on('error', reject);
    sock.on('close', () => resolve(got));
  });
}
