/**
 * The admin endpoint (Envoy's /stats formats, /clusters, /ready, reset) and the two CLI
 * commands: where they listen, loopback-only binds, one-line errors for bad resources.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runServer } from '../../src/cli/server.js';
import { runSidecar } from '../../src/cli/sidecar.js';
import type { SidecarHandle, TargetHandle } from '../../src/rehearsal/index.js';
import { TASK_POOL_DR, destinationRule } from '../helpers/meshFixtures.js';
import { get, rawStatusLine, startRig } from '../helpers/rehearsalServers.js';
import { code, tripbenchLoad } from '../helpers/tripbenchLoad.js';

const CN = 'outbound|8000||httpbin.default.svc.cluster.local';

describe('admin endpoint', () => {
  it('serves /stats in Envoy text, ?filter=, json, prometheus; /clusters; /ready; POST /reset_counters', async () => {
    // Istio 1.22: remaining_* for DEFAULT (track_remaining), no ";" stat suffix yet, 2^32−1 defaults.
    const rig = await startRig({ dr: TASK_POOL_DR, admin: '127.0.0.1:0', istioVersion: '1.22' });
    try {
      const r = await tripbenchLoad(`${rig.sidecar.url}/get`, 3, 30);
      const trips = code(r.codes, 503);
      const admin = rig.sidecar.adminUrl as string;
      const text = (await get(`${admin}/stats`)).body;
      expect(text).toContain(`cluster.${CN}.upstream_rq_pending_overflow: ${trips}\n`);
      expect(text).toContain(`cluster.${CN}.circuit_breakers.default.remaining_pending: 1\n`);
      expect(text).not.toContain('http.outbound_0.0.0.0_8000.'); // trimmed like Istio's fortio sample
      const lines = text.trim().split('\n');
      expect([...lines].sort()).toEqual(lines);
      const filtered = (await get(`${admin}/stats?filter=${encodeURIComponent('pending_overflow$')}`)).body;
      expect(filtered).toBe(`cluster.${CN}.upstream_rq_pending_overflow: ${trips}\n`);
      // ?usedonly keeps what Envoy has set: the gauges the run moved and remaining_* (set at
      // creation), not the high-priority open gauges nor counters never incremented.
      const used = (await get(`${admin}/stats?usedonly&filter=${encodeURIComponent('(pending|cx_active|_open)')}`)).body;
      expect(used).toContain(`cluster.${CN}.upstream_rq_pending_active: 0\n`);
      expect(used).toContain(`cluster.${CN}.upstream_cx_active: `);
      expect(used).toContain(`cluster.${CN}.circuit_breakers.default.rq_pending_open: 0\n`);
      expect(used).toContain(`cluster.${CN}.circuit_breakers.default.remaining_pending: 1\n`);
      expect(used).toContain(`cluster.${CN}.upstream_rq_pending_total: `);
      expect(used).not.toContain('circuit_breakers.high.rq_pending_open');
      expect(used).not.toContain('upstream_rq_pending_failure_eject');
      const json = JSON.parse((await get(`${admin}/stats?format=json&filter=upstream_rq_pending`)).body) as { stats: Array<{ name: string; value: number }> };
      expect(json.stats.find((s) => s.name.endsWith('upstream_rq_pending_overflow'))?.value).toBe(trips);
      const prom = (await get(`${admin}/stats/prometheus`)).body;
      expect(prom).toContain(`envoy_cluster_upstream_rq_pending_overflow{cluster_name="${CN}"} ${trips}\n`);
      expect(prom).toContain('# TYPE envoy_cluster_upstream_rq_pending_overflow counter\n');
      const clusters = (await get(`${admin}/clusters`)).body;
      expect(clusters).toContain(`${CN}::default_priority::max_connections::1\n`);
      expect(clusters).toContain(`${CN}::default_priority::max_requests::4294967295\n`);
      expect(clusters).toMatch(/::127\.0\.0\.1:\d+::health_flags::healthy\n/);
      expect((await get(`${admin}/ready`)).body).toBe('LIVE\n');
      expect(await rawStatusLine(rig.sidecar.adminAddress?.port as number, 'GET http://[zz/stats HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('HTTP/1.1 400 Bad Request');
      expect((await get(`${admin}/stats?filter=(`)).status).toBe(400);
      expect((await get(`${admin}/reset_counters`)).status).toBe(405);
      expect((await get(`${admin}/reset_counters`, {}, 'POST')).body).toBe('OK\n');
      expect((await get(`${admin}/stats?filter=pending_overflow$`)).body).toBe(`cluster.${CN}.upstream_rq_pending_overflow: 0\n`);
    } finally {
      await rig.close();
    }
  });

  it("stats inclusion none: Istio's default trimming keeps server and manager stats, drops the cluster's", async () => {
    const rig = await startRig({ admin: '127.0.0.1:0', statsInclusionPrefixes: [] });
    try {
      const text = (await get(`${rig.sidecar.adminUrl as string}/stats`)).body;
      expect(text).toContain('server.live: 1\n');
      expect(text).toContain('cluster_manager.active_clusters: 1\n');
      expect(text).not.toContain('cluster.outbound|');
    } finally {
      await rig.close();
    }
  });

  it('refuses a non-loopback admin or listener unless allowed', async () => {
    await expect(startRig({ admin: '0.0.0.0:0' })).rejects.toThrow(/admin: refusing to listen on non-loopback address/);
    await expect(startRig({ listen: '10.1.2.3:0' })).rejects.toThrow(/listen: refusing to listen on non-loopback address 10\.1\.2\.3:0/);
  });
});

function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tripbench-rehearsal-'));
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

describe('CLI', () => {
  it('sidecar: prints where it listens, serves, stops on the signal', async () => {
    const out: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    let handle: SidecarHandle | undefined;
    let target: TargetHandle | undefined;
    const server = runServer(['-listen', '127.0.0.1:0', '-seed', '1'], { stderr: (s) => out.push(s), stopped }, (t) => (target = t));
    while (!target) await new Promise((r) => setTimeout(r, 5));
    const dr = tempFile('dr.yaml', TASK_POOL_DR);
    const sidecar = runSidecar(
      ['-f', dr, '-upstream', `127.0.0.1:${target.address.port}`, '-listen', '127.0.0.1:0', '-admin', '127.0.0.1:0', '-mtls-handshake', '1ms', '-istio-version', '1.22'],
      { stderr: (s) => out.push(s), stopped },
      (s) => (handle = s),
    );
    while (!handle) await new Promise((r) => setTimeout(r, 5));
    expect((await get(`${handle.url}/status/418`)).status).toBe(418);
    expect(handle.cluster.config.thresholds.maxRequests).toBe(4294967295);
    stop();
    expect(await sidecar).toBe(0);
    expect(await server).toBe(0);
    const text = out.join('');
    expect(text).toMatch(/tripbench server \(httpbin \+ fortio echo\) listening on http:\/\/127\.0\.0\.1:\d+\n/);
    expect(text).toMatch(/tripbench sidecar \(Envoy emulator, Istio 1\.22 \(Envoy 1\.30\), 2 workers\) listening on http:\/\/127\.0\.0\.1:\d+, cluster outbound\|8000\|\|httpbin\.default\.svc\.cluster\.local → 127\.0\.0\.1:\d+\n/);
    expect(text).toMatch(/tripbench sidecar admin on http:\/\/127\.0\.0\.1:\d+ /);
  });

  it("sidecar -f takes Istio's multi-document egress YAML, as `run` takes it in a scenario mesh", async () => {
    const egress = parse(readFileSync(new URL('../../scenarios/egress-timeout.yaml', import.meta.url), 'utf8')) as { mesh: unknown[] };
    // The scenario's mesh list as the Istio docs show it: one YAML document per resource.
    const file = tempFile('egress.yaml', egress.mesh.map((r) => stringify(r)).join('---\n'));
    expect(egress.mesh.map((r) => (r as { kind: string }).kind)).toContain('ServiceEntry');
    const out: string[] = [];
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    let handle: SidecarHandle | undefined;
    const sidecar = runSidecar(['-f', file, '-listen', '127.0.0.1:0', '-admin', 'off', '-service-port', '80'], { stderr: (s) => out.push(s), stopped }, (s) => (handle = s));
    while (!handle) await new Promise((r) => setTimeout(r, 5));
    stop();
    expect(await sidecar).toBe(0);
    expect(out.join('')).toContain('cluster outbound|80||httpbin.org');
    expect(handle.clusterName).toBe('outbound|80||httpbin.org');
  });

  it('sidecar: invalid resources are one line per problem and nothing starts', async () => {
    const bad = tempFile('bad.yaml', destinationRule('connectionPool:\n  tcp:\n    maxConnections: -1\n    maxConections: 2'));
    const io = { stderr: () => undefined, stopped: Promise.resolve() };
    await expect(runSidecar(['-f', bad, '-listen', '127.0.0.1:0', '-admin', 'off'], io)).rejects.toThrow(
      `${bad}:10:25: spec.trafficPolicy.connectionPool.tcp.maxConnections: must not be negative (got -1)\n${bad}:11:9: spec.trafficPolicy.connectionPool.tcp.maxConections: unknown field`,
    );
    await expect(runSidecar(['-f', '/nonexistent/dr.yaml'], io)).rejects.toThrow(/^\/nonexistent\/dr\.yaml: ENOENT/);
    await expect(runSidecar(['-istio-version', '2.1'], io)).rejects.toThrow(/-istio-version/);
    await expect(runServer(['-max-delay', '-1s'], io)).rejects.toThrow('-max-delay must not be negative');
    await expect(runServer(['-listen', '0.0.0.0:0'], io)).rejects.toThrow(/refusing to listen on non-loopback address 0\.0\.0\.0:0; pass -allow-remote/);
  });
});
