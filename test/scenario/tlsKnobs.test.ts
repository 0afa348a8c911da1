/**
 * A scenario step runs mTLS without a sidecar (issue 20): the load knobs `cacert`, `cert`, `key`
 * (paths relative to the scenario file) against `tripbench server -cert -key -mtls -cacert`.
 * The step with the CA-signed client certificate gets 200s, the one without is refused (-1);
 * --dry-run prints the knobs as `tripbench load` flags with the resolved paths.
 */
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServer } from '../../src/cli/server.js';
import type { TargetHandle } from '../../src/rehearsal/index.js';
import { runCli } from '../helpers/cli.js';
import { makeMtlsFiles, type MtlsFiles } from '../helpers/testCerts.js';
import { waitFor } from '../helpers/waitFor.js';

let f: MtlsFiles;
let t: TargetHandle | undefined;
let release!: () => void;
let done: Promise<number>;
let dir = '';

beforeAll(async () => {
  f = makeMtlsFiles();
  const stopped = new Promise<void>((r) => (release = r));
  done = runServer(['-listen', '127.0.0.1:0', '-tcp-port', 'disabled', '-udp-port', 'disabled', '-cert', f.server, '-key', f.serverKey, '-mtls', '-cacert', f.ca], { stderr: () => undefined, stopped }, (h) => (t = h));
  await waitFor(() => t !== undefined, 'the server to start');
  dir = mkdtempSync(join(tmpdir(), 'tb-tls-scenario-'));
  mkdirSync(join(dir, 'scenarios'));
  cpSync(f.dir, join(dir, 'scenarios', 'certs'), { recursive: true });
  writeFileSync(
    join(dir, 'scenarios', 'mtls.yaml'),
    `name: mtls-direct
target: ${(t as TargetHandle).url}/get
defaults:
  load: { qps: 0, cacert: certs/ca.pem }
steps:
  - name: with-cert
    load: { c: 2, n: 10, cert: certs/good.pem, key: certs/good.key }
    expect:
      codes: { 200: 1 }
  - name: without-cert
    load: { c: 1, n: 4 }
    expect:
      codes: { -1: 1 }
`,
  );
});
afterAll(async () => {
  release();
  expect(await done).toBe(0);
});

describe('scenario knobs cacert, cert, key', () => {
  it('--dry-run prints them as -cacert/-cert/-key, resolved against the scenario file', async () => {
    const r = await runCli(['run', 'scenarios/mtls.yaml', '--dry-run'], { cwd: dir });
    expect(r.code).toBe(0);
    const certs = join(dir, 'scenarios', 'certs');
    expect(r.stdout).toContain(`-cacert ${join(certs, 'ca.pem')} -cert ${join(certs, 'good.pem')} -key ${join(certs, 'good.key')}`);
  });

  it('the step with the client certificate gets 200s, the one without -1s: PASS', async () => {
    // run from elsewhere: the paths are the scenario file's, not the working directory's
    const reports = join(dir, 'reports');
    const r = await runCli(['run', join(dir, 'scenarios', 'mtls.yaml'), '--target', 'scenario', '--reports', reports], { cwd: tmpdir(), timeoutMs: 120_000 });
    expect(`${r.stdout}${r.stderr}`).toContain('mtls-direct: PASS 2, FAIL 0');
    expect(r.code).toBe(0);
    const runDir = join(reports, 'mtls-direct', readdirSync(join(reports, 'mtls-direct'))[0] as string);
    const j = JSON.parse(readFileSync(join(runDir, 'with-cert.json'), 'utf8')) as Record<string, unknown>;
    const certs = join(dir, 'scenarios', 'certs');
    expect(j).toMatchObject({ RetCodes: { '200': 10 }, CACert: join(certs, 'ca.pem'), Cert: join(certs, 'good.pem'), Key: join(certs, 'good.key'), MTLS: false });
    const without = JSON.parse(readFileSync(join(runDir, 'without-cert.json'), 'utf8')) as Record<string, unknown>;
    expect(without).toMatchObject({ RetCodes: { '-1': 4 }, CACert: join(certs, 'ca.pem'), Cert: '', Key: '' });
  }, 150_000);

  it('a missing file, or cert without key, is a scenario problem at its line (exit 2), before any load', async () => {
    const src = readFileSync(join(dir, 'scenarios', 'mtls.yaml'), 'utf8');
    const bad = join(dir, 'scenarios', 'bad.yaml');
    writeFileSync(bad, src.replace('certs/good.key', 'certs/nope.key'));
    const r = await runCli(['run', bad, '--dry-run']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(`tripbench: ${bad}:7:53: steps[0].load.key: invalid value "${join(dir, 'scenarios', 'certs', 'nope.key')}" for flag -key: ENOENT: no such file or directory, open '${join(dir, 'scenarios', 'certs', 'nope.key')}'`);
    writeFileSync(bad, src.replace(', key: certs/good.key', ''));
    const lone = await runCli(['run', bad, '--dry-run']);
    expect(lone.code).toBe(2);
    expect(lone.stderr).toContain('steps[0].load: cert needs key');
  });
});
