/**
 * cronjob.yaml's command line, run here as the pod would run it: the rehearsal started with the
 * CLI (`tripbench server`, `tripbench sidecar` as separate processes, like httpbin and the pod's
 * Envoy), the scenario ConfigMap as a temp folder whose scenario reads the sidecar's admin
 * endpoint, a local Pushgateway stand-in, and `tripbench` with exactly the manifest's args.
 * Then what the hourly job leaves behind: verdicts, the .prom textfile, the push, the history.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { shippedMesh } from '../helpers/meshFixtures.js';
import { startReceiver } from '../helpers/pushReceiver.js';
import { readExposition, sample } from '../metrics/exposition.js';
import { cronJobArgv } from './manifests.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Starts a long-running tripbench command and resolves with its child and the URLs it printed. */
function startDaemon(args: string[], expectLines: RegExp[]): Promise<{ child: ChildProcess; urls: string[][] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    const timer = setTimeout(() => reject(new Error(`tripbench ${args[0]} did not start: ${err}`)), 60_000);
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const found = expectLines.map((re) => re.exec(err));
      if (found.every((m) => m)) {
        clearTimeout(timer);
        resolve({ child, urls: found.map((m) => (m as RegExpExecArray).slice(1)) });
      }
    });
    child.on('exit', (code) => reject(new Error(`tripbench ${args[0]} exited ${code}: ${err}`)));
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

describe('cronjob.yaml run locally against the CLI rehearsal', () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let sidecar: ChildProcess | undefined;
  let sidecarUrl: string;
  let adminUrl: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tripbench-cronjob-'));
    const s = await startDaemon(['server', '-listen', '127.0.0.1:0'], [/listening on (http:\/\/127\.0\.0\.1:\d+)/]);
    server = s.child;
    const target = new URL(s.urls[0]?.[0] as string);
    // The mesh of the scenario the job runs below, as the cluster would have it applied.
    await writeFile(join(dir, 'dr.yaml'), shippedMesh('istio-circuit-breaking'));
    const sc = await startDaemon(
      ['sidecar', '-f', join(dir, 'dr.yaml'), '-upstream', target.host, '-listen', '127.0.0.1:0', '-admin', '127.0.0.1:0'],
      [/listening on (http:\/\/127\.0\.0\.1:\d+)/, /admin on (http:\/\/127\.0\.0\.1:\d+)/],
    );
    sidecar = sc.child;
    sidecarUrl = sc.urls[0]?.[0] as string;
    adminUrl = sc.urls[1]?.[0] as string;
  }, 120_000);

  afterAll(async () => {
    await Promise.all([stop(sidecar), stop(server)]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs the manifest args: verdicts, .prom textfile, Pushgateway PUT, and `tripbench history` shows the run', async () => {
    // The ConfigMap: the shipped seed scenario, its envoyAdmin pointing at this sidecar's admin.
    const scenarios = join(dir, 'scenarios');
    await mkdir(scenarios);
    const seed = await readFile(join(ROOT, 'scenarios/istio-circuit-breaking.yaml'), 'utf8');
    expect(seed).toContain('envoyAdmin: http://localhost:15000');
    await writeFile(join(scenarios, 'istio-circuit-breaking.yaml'), seed.replace('envoyAdmin: http://localhost:15000', `envoyAdmin: ${adminUrl}`));
    const reports = join(dir, 'reports');
    const rx = await startReceiver();
    try {
      // A target URL without a path keeps the scenario's own path (/get).
      const argv = cronJobArgv({ TARGET_URL: sidecarUrl, REPORTS_DIR: reports, SCENARIOS_DIR: scenarios, PUSHGATEWAY_URL: rx.url });
      expect(argv.slice(0, 3)).toEqual(['run', '--target', sidecarUrl]);
      const r = await runCli(argv, { cwd: dir, timeoutMs: 120_000, env: { GITHUB_STEP_SUMMARY: '' } });
      expect([0, 1, 3], `exit ${r.code}\n${r.stdout}\n${r.stderr.slice(-3000)}`).toContain(r.code);

      const runs = await readdir(join(reports, 'istio-circuit-breaking'));
      expect(runs).toHaveLength(1);
      const verdicts = JSON.parse(await readFile(join(reports, 'istio-circuit-breaking', runs[0] as string, 'verdicts.json'), 'utf8')) as {
        outcome: string;
        exitCode: number;
        target: string;
        envoyAdmin: string;
        steps: { key: string; results: { kind: string; verdict: string }[] }[];
      };
      expect(verdicts.exitCode).toBe(r.code);
      expect(verdicts.target).toBe(`${sidecarUrl}/get`);
      expect(verdicts.envoyAdmin).toBe(adminUrl);
      // the Envoy checks were read from the sidecar's admin endpoint, not left undecided
      const envoy = verdicts.steps.flatMap((s) => s.results.filter((x) => x.kind === 'envoy'));
      expect(envoy.length).toBe(3);
      expect(envoy.every((x) => x.verdict === 'PASS')).toBe(true);

      const prom = readExposition(await readFile(join(reports, 'tripbench.prom'), 'utf8'));
      expect(sample(prom, 'tripbench_scenario_outcome', { scenario: 'istio-circuit-breaking', outcome: verdicts.outcome })).toBe(1);
      expect(prom.series.some((x) => x.name === 'tripbench_envoy_stat_delta' && x.labels['stat']?.endsWith('upstream_rq_pending_overflow'))).toBe(true);

      expect(rx.pushes.map((p) => `${p.method} ${p.url}`)).toEqual(['PUT /metrics/job/tripbench']);
      expect(readExposition(rx.pushes[0]?.body ?? '').series.length).toBe(prom.series.length);

      const h = await runCli(['history', join(reports, 'istio-circuit-breaking')], { cwd: dir });
      expect(h.code).toBe(0);
      expect(h.stdout).toMatch(/^1 runs?, oldest first/m);
      expect(h.stdout).toContain(verdicts.outcome);
      expect(h.stdout).toMatch(/│ c1\s+│ c2\s+│ c3\s+│/);
      expect(existsSync(join(reports, 'istio-circuit-breaking', runs[0] as string, 'junit.xml'))).toBe(true);
    } finally {
      await rx.close();
    }
  }, 150_000);
});
