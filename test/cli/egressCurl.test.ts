/**
 * The egress task's own commands, typed as in the pod apart from `-connect-to` (where the
 * sidecar listens): `tripbench curl` as a child process against an in-process sidecar and
 * targets on loopback. Blocked by default (REGISTRY_ONLY), httpbin.org/headers with the sidecar's
 * headers once the ServiceEntry exists, https://www.google.com through SNI routing (real TLS,
 * verified with -cacert; -k; lean and undici clients), and /delay/5 cut at 3 s with a 504.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRehearsalCerts, parseIstioVersion, sidecarConfigFromYaml, startSidecar, startTarget } from '../../src/rehearsal/index.js';
import type { SidecarHandle, TargetHandle } from '../../src/rehearsal/index.js';
import { runCli } from '../helpers/cli.js';
import { GOOGLE_SE, HTTPBIN_SE, HTTPBIN_TIMEOUT_VS, sidecarResource } from '../helpers/meshFixtures.js';

const REGISTRY_ONLY = sidecarResource('REGISTRY_ONLY');

let http: TargetHandle;
let https: TargetHandle;
let caFile: string;
const sidecars: SidecarHandle[] = [];
const durations: Array<{ path: string; status: number; ms: number }> = [];

beforeAll(async () => {
  const certs = makeRehearsalCerts(['www.google.com']);
  const dir = mkdtempSync(join(tmpdir(), 'tb-egress-curl-'));
  caFile = join(dir, 'ca.pem');
  writeFileSync(caFile, certs.caPem);
  http = await startTarget({ seed: 1 });
  https = await startTarget({ seed: 2, tls: { cert: certs.certPem, key: certs.keyPem } });
});
afterAll(async () => {
  await Promise.all(sidecars.map((s) => s.close()));
  await Promise.all([http.close(), https.close()]);
});

async function mesh(...yaml: string[]): Promise<string> {
  const config = sidecarConfigFromYaml([{ text: yaml.join('---\n'), file: 'mesh.yaml' }], { istioVersion: parseIstioVersion('1.30')! });
  const s = await startSidecar({ config, upstreams: [`127.0.0.1:${http.address.port}`], tlsUpstream: `127.0.0.1:${https.address.port}`, admin: false, statsInclusionPrefixes: ['*'], onAccessLog: (e) => durations.push({ path: e.path, status: e.status, ms: e.durationMs }) });
  sidecars.push(s);
  return `127.0.0.1:${s.address.port}`;
}

const curl = (args: string[]) => runCli(['curl', '-loglevel', 'Warning', ...args], { timeoutMs: 60_000 });

describe('the egress task through -connect-to', () => {
  it('HTTP: blocked (502) without a ServiceEntry; 200 with the sidecar’s headers once it exists', async () => {
    const blocked = await curl(['-connect-to', await mesh(REGISTRY_ONLY), 'http://httpbin.org/headers']);
    expect(blocked.code).toBe(1);
    expect(blocked.stderr).toContain('Error status 502');
    const to = await mesh(REGISTRY_ONLY, HTTPBIN_SE);
    for (const client of [[], ['-stdclient']]) {
      const ok = await curl([...client, '-connect-to', to, 'http://httpbin.org/headers']);
      expect(ok.code, ok.stderr).toBe(0);
      const h = (JSON.parse(ok.stdout) as { headers: Record<string, string> }).headers;
      expect(h.Host).toBe('httpbin.org');
      expect(h['X-Envoy-Decorator-Operation']).toBe('httpbin.org:80/*');
      expect(Object.keys(h)).toEqual(expect.arrayContaining(['X-B3-Traceid', 'X-B3-Spanid', 'X-B3-Sampled', 'X-Envoy-Attempt-Count']));
      expect(ok.stderr).toMatch(/^HTTP\/1\.1 200 OK\r?$/m);
      expect(ok.stderr).toMatch(/^server: envoy\r?$/m);
      expect(ok.stderr).toMatch(/^x-envoy-upstream-service-time: \d+\r?$/m);
    }
  });

  it('HTTPS: refused before the ServiceEntry; 200 through SNI routing after, verified with -cacert (or -k)', async () => {
    const refused = await curl(['-connect-to', await mesh(REGISTRY_ONLY), '-cacert', caFile, 'https://www.google.com/']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('Error status -1');
    const to = await mesh(REGISTRY_ONLY, GOOGLE_SE);
    const seen = https.serverNames().length;
    const ok = await curl(['-connect-to', to, '-cacert', caFile, 'https://www.google.com/']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(https.serverNames().slice(seen)).toEqual(['www.google.com']);
    // Not trusted without the CA; -k skips the check.
    expect((await curl(['-connect-to', to, 'https://www.google.com/'])).code).toBe(1);
    expect((await curl(['-connect-to', to, '-k', 'https://www.google.com/'])).code).toBe(0);
  });

  it('/delay/5 with the 3 s route timeout: 504 after 3 s ± 0.5 s with -timeout 10s; the default -timeout gives up first, with a warning', async () => {
    const to = await mesh(HTTPBIN_SE, HTTPBIN_TIMEOUT_VS);
    const r = await curl(['-connect-to', to, '-timeout', '10s', 'http://httpbin.org/delay/5']);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 504 Gateway Timeout\r\n[^]*\r\n\r\nupstream request timeout$/);
    expect(r.stderr).toContain('Error status 504');
    // The sidecar's own %DURATION% of that call (the child's start-up is not in it).
    const cut = durations.filter((d) => d.path === '/delay/5' && d.status === 504);
    expect(cut.length).toBe(1);
    expect(cut[0]!.ms).toBeGreaterThan(2500);
    expect(cut[0]!.ms).toBeLessThan(3500);
    const early = await curl(['-connect-to', to, 'http://httpbin.org/delay/5']);
    expect(early.stderr).toContain('Error status -1');
    expect(early.stderr).toContain('the client gave up after -timeout 3000ms; a sidecar route timeout not below it answers 504 only later');
  });

  it('a bad -connect-to or -cacert is one clear line and exit 1', async () => {
    const bad = await curl(['-connect-to', 'nope', 'http://httpbin.org/']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('invalid value "nope" for flag -connect-to: want host:port');
    const noCa = await curl(['-cacert', '/nonexistent/ca.pem', 'https://www.google.com/']);
    expect(noCa.code).not.toBe(0);
    expect(noCa.stderr).toContain('invalid value "/nonexistent/ca.pem" for flag -cacert');
  });
});
