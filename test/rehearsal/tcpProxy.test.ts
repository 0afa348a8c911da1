/**
 * A TCP service behind the sidecar, real sockets on loopback: the tcp_proxy passes the echo
 * through; at the DestinationRule's `tcp.maxConnections` a new downstream connection is closed
 * with no upstream connection attempted, `upstream_cx_overflow` +1 per refused connection, flag
 * UO in the access log; a refused upstream connect is UF,URX; the stats under Envoy's names in
 * /stats, /stats/prometheus and /clusters.
 */
import { connect, createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpEchoServer, type EchoServerHandle } from '../../src/netload/tcpEchoServer.js';
import { formatTcpAccessLog, parseIstioVersion, sidecarConfigFromYaml, startSidecar } from '../../src/rehearsal/index.js';
import type { SidecarHandle } from '../../src/rehearsal/index.js';
import type { TcpLogEntry } from '../../src/rehearsal/sniProxy.js';
import { tcpEchoDestinationRule } from '../helpers/meshFixtures.js';
import { waitFor } from '../helpers/waitFor.js';

const CLUSTER = 'outbound|9000||tcp-echo.default.svc.cluster.local';

const dr = tcpEchoDestinationRule;

async function sidecarFor(yaml: string, upstream: string, logs: TcpLogEntry[], version = '1.30'): Promise<SidecarHandle> {
  const config = sidecarConfigFromYaml([{ text: yaml, file: 'dr.yaml' }], { istioVersion: parseIstioVersion(version)!, servicePort: 9000, serviceProtocol: 'tcp' });
  return startSidecar({ config, upstreams: [upstream], statsInclusionPrefixes: ['*'], onTcpLog: (e) => logs.push(e) });
}

/** Connects to the sidecar, waits for the connection to be accepted. */
function open(sc: SidecarHandle): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: sc.address.host, port: sc.address.port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Writes `msg` and reads until as many bytes came back, or the connection ended: what came back, and how it ended. */
function echo(s: Socket, msg: string): Promise<{ got: string; ended: 'echoed' | 'closed' }> {
  return new Promise((resolve) => {
    let got = '';
    const done = (ended: 'echoed' | 'closed'): void => {
      s.off('data', onData);
      resolve({ got, ended });
    };
    const onData = (c: Buffer): void => {
      got += c.toString();
      if (got.length >= msg.length) done('echoed');
    };
    s.on('data', onData);
    s.once('close', () => done('closed'));
    s.on('error', () => undefined);
    s.write(msg);
  });
}

let echoServer: EchoServerHandle;
let upstream: string;
let upstreamAccepted = 0;

beforeAll(async () => {
  echoServer = await startTcpEchoServer('127.0.0.1', 0);
  upstream = `127.0.0.1:${echoServer.address.port}`;
});
afterAll(async () => {
  await echoServer.close();
});

describe('tcp_proxy to a TCP service', () => {
  it('echoes through, and at maxConnections closes each new connection with no upstream connection (UO, upstream_cx_overflow once per refused connection)', async () => {
    // Count the upstream's accepted connections: a refused downstream must not reach it.
    const counting = createServer((s) => {
      upstreamAccepted++;
      s.pipe(s);
      s.on('error', () => s.destroy());
    });
    await new Promise<void>((r) => counting.listen(0, '127.0.0.1', r));
    const port = (counting.address() as { port: number }).port;
    const logs: TcpLogEntry[] = [];
    const sc = await sidecarFor(dr(1), `127.0.0.1:${port}`, logs);
    try {
      const first = await open(sc);
      expect(await echo(first, 'hello tcp')).toEqual({ got: 'hello tcp', ended: 'echoed' });
      expect(upstreamAccepted).toBe(1);
      for (let i = 0; i < 3; i++) {
        const refused = await open(sc);
        const r = await echo(refused, 'refused?');
        expect(r).toEqual({ got: '', ended: 'closed' });
      }
      await waitFor(() => logs.length === 3, 'three access-log lines for the refused connections');
      expect(sc.stat('upstream_cx_overflow')).toBe(3);
      expect(sc.stat('upstream_cx_total')).toBe(1);
      expect(sc.stat('upstream_cx_active')).toBe(1);
      expect(upstreamAccepted).toBe(1);
      expect(sc.store.get(`tcp.${CLUSTER}.downstream_cx_total`)).toBe(4);
      for (const e of logs) {
        expect(e.flags).toBe('UO');
        expect(e.upstreamHost).toBeUndefined();
        expect(e.cluster).toBe(CLUSTER);
      }
      expect(formatTcpAccessLog(logs[0]!)).toMatch(/"- - -" 0 UO - - "-" 0 0 \d+ - "-" "-" "-" "-" "-" outbound\|9000\|\|tcp-echo\.default\.svc\.cluster\.local - 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+ - -$/);
      // The kept connection still echoes; once it is closed a new one is admitted.
      expect(await echo(first, 'still here')).toEqual({ got: 'still here', ended: 'echoed' });
      first.destroy();
      await waitFor(() => sc.stat('upstream_cx_active') === 0, 'the upstream connection released');
      const next = await open(sc);
      expect(await echo(next, 'again')).toEqual({ got: 'again', ended: 'echoed' });
      expect(sc.stat('upstream_cx_total')).toBe(2);
      expect(sc.stat('upstream_cx_overflow')).toBe(3);
      next.destroy();
      await waitFor(() => logs.length === 5, 'the two proxied connections logged');
      expect(logs.slice(3).map((e) => e.flags)).toEqual(['-', '-']);
      expect(logs[3]!.upstreamHost).toBe(`127.0.0.1:${port}`);
      expect(logs[3]!.bytesReceived).toBe('hello tcp'.length + 'still here'.length);
    } finally {
      await sc.close();
      await new Promise<void>((r) => counting.close(() => r()));
    }
  });

  it('shows the stats by Envoy names in /stats, /stats/prometheus and /clusters', async () => {
    const logs: TcpLogEntry[] = [];
    const sc = await sidecarFor(dr(2), upstream, logs, '1.22');
    try {
      const a = await open(sc);
      const b = await open(sc);
      await echo(a, 'a');
      await echo(b, 'b');
      const c = await open(sc);
      expect((await echo(c, 'c')).ended).toBe('closed');
      const stats = await (await fetch(`${sc.adminUrl}/stats`)).text();
      // Istio 1.22: no `;` in the cluster's stat names.
      expect(stats).toContain(`cluster.${CLUSTER}.upstream_cx_overflow: 1\n`);
      expect(stats).toContain(`cluster.${CLUSTER}.upstream_cx_total: 2\n`);
      expect(stats).toContain(`cluster.${CLUSTER}.upstream_cx_active: 2\n`);
      expect(stats).toContain(`cluster.${CLUSTER}.circuit_breakers.default.cx_open: 1\n`);
      expect(stats).toContain(`cluster.${CLUSTER}.circuit_breakers.default.remaining_cx: 0\n`);
      expect(stats).toContain(`tcp.${CLUSTER}.downstream_cx_total: 3\n`);
      expect(stats).toContain(`tcp.${CLUSTER}.downstream_cx_rx_bytes_total: 2\n`);
      // tcp_proxy is not the HTTP connection manager: no http.<stat_prefix>.* stats, none of its filters'
      expect(stats.split('\n').filter((l) => l.startsWith('http.'))).toEqual([]);
      const prom = await (await fetch(`${sc.adminUrl}/stats/prometheus`)).text();
      expect(prom).not.toContain('envoy_http_');
      expect(prom).toMatch(new RegExp(`envoy_cluster_upstream_cx_overflow\\{cluster_name="${CLUSTER.replace(/[|.]/g, '\\$&')}"\\} 1`));
      const clusters = await (await fetch(`${sc.adminUrl}/clusters`)).text();
      expect(clusters).toContain(`${CLUSTER}::default_priority::max_connections::2\n`);
      expect(clusters).toContain(`${CLUSTER}::${upstream}::cx_active::2\n`);
      expect(clusters).toContain(`${CLUSTER}::${upstream}::cx_total::2\n`);
      a.destroy();
      b.destroy();
    } finally {
      await sc.close();
    }
  });

  it('a refused upstream connect closes the downstream: UF,URX, upstream_cx_connect_fail', async () => {
    // A port that refuses: listen, note it, close.
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const port = (gone.address() as { port: number }).port;
    await new Promise<void>((r) => gone.close(() => r()));
    const logs: TcpLogEntry[] = [];
    const sc = await sidecarFor(dr(1, ', connectTimeout: 2s'), `127.0.0.1:${port}`, logs);
    try {
      const s = await open(sc);
      expect((await echo(s, 'x')).ended).toBe('closed');
      await waitFor(() => logs.length === 1, 'the access-log line');
      expect(logs[0]!.flags).toBe('UF,URX');
      expect(sc.stat('upstream_cx_connect_fail')).toBe(1);
      expect(sc.stat('upstream_cx_overflow')).toBe(0);
      await waitFor(() => sc.stat('upstream_cx_active') === 0, 'the failed connection released');
    } finally {
      await sc.close();
    }
  });

  it('a Service port named tcp-* is a tcp_proxy without being declared (Istio protocol selection), and the HTTP manager stats appear only on an HTTP port', async () => {
    const svc = (name: string): string => `---\napiVersion: v1\nkind: Service\nmetadata: { name: tcp-echo }\nspec:\n  ports:\n  - { name: ${name}, port: 9000 }\n`;
    for (const [portName, tcp] of [['tcp-echo', true], ['http-web', false]] as const) {
      const config = sidecarConfigFromYaml([{ text: dr(1) + svc(portName), file: 'dr.yaml' }], { istioVersion: parseIstioVersion('1.30')!, servicePort: 9000 });
      expect(config.servicePortProtocol).toBe(tcp ? 'tcp' : 'http');
      const sc = await startSidecar({ config, upstreams: [upstream], statsInclusionPrefixes: ['*'] });
      try {
        if (tcp) {
          const a = await open(sc);
          expect(await echo(a, 'hello')).toEqual({ got: 'hello', ended: 'echoed' });
          a.destroy();
        }
        const stats = await (await fetch(`${sc.adminUrl}/stats`)).text();
        expect(stats.includes('http.outbound_0.0.0.0_9000.downstream_cx_total')).toBe(!tcp);
        expect(stats.includes(`tcp.${CLUSTER}.downstream_cx_total`)).toBe(tcp);
      } finally {
        await sc.close();
      }
    }
  });
});
