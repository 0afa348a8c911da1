/**
 * `--prometheus FILE` and `--pushgateway URL` through writeMetrics: the textfile on disk, and the
 * Pushgateway API against (1) a local receiver that parses every push and answers like the
 * Pushgateway (400 on a bad exposition), and (2) the real Pushgateway binary when it is installed
 * (Debian's prometheus-pushgateway), whose Go parser is the one Prometheus itself uses.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeMetrics } from '../../src/cli/metrics.js';
import { renderPrometheus } from '../../src/metrics/prometheus.js';
import { PushError, groupingSegment, pushMetrics, pushUrl } from '../../src/metrics/pushgateway.js';
import { istioRun } from '../scenario/helpers.js';
import { runCli } from '../helpers/cli.js';
import { refusedPort } from '../helpers/servers.js';
import { readExposition, sample } from './exposition.js';
import { startReceiver, type Push } from '../helpers/pushReceiver.js';
import { needTool } from '../helpers/tools.js';

describe('grouping key', () => {
  it('builds /metrics/job/<job>/instance/<instance>, base64 for slashes and empty values', () => {
    expect(pushUrl({ url: 'http://pg:9091/', job: 'tripbench' })).toBe('http://pg:9091/metrics/job/tripbench');
    expect(pushUrl({ url: 'http://pg:9091/prefix', job: 'tripbench', instance: 'cluster-a' })).toBe('http://pg:9091/prefix/metrics/job/tripbench/instance/cluster-a');
    expect(groupingSegment('instance', 'ns/pod')).toBe(`instance@base64/${Buffer.from('ns/pod').toString('base64url')}`);
    expect(groupingSegment('instance', '')).toBe('instance@base64/=');
    expect(groupingSegment('job', 'a b')).toBe('job/a%20b');
  });
});

describe('writeMetrics', () => {
  const sr = istioRun();
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tripbench-metrics-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('writes the textfile atomically and PUTs the same exposition to the gateway', async () => {
    const rx = await startReceiver();
    try {
      const file = join(dir, 'node-exporter', 'tripbench.prom');
      const done = await writeMetrics([sr], { prometheusFile: file, pushgateway: rx.url, job: 'chaos-check', instance: 'prod/eu-1' });
      const text = await readFile(file, 'utf8');
      expect(text).toBe(renderPrometheus([sr]));
      // only the final file: the temporary one was renamed, never left for the collector to read
      expect(await readdir(join(dir, 'node-exporter'))).toEqual(['tripbench.prom']);
      expect(rx.pushes).toHaveLength(1);
      const p = rx.pushes[0] as Push;
      expect(p.method).toBe('PUT');
      expect(p.url).toBe(`/metrics/job/chaos-check/instance@base64/${Buffer.from('prod/eu-1').toString('base64url')}`);
      expect(p.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(p.body).toBe(text);
      expect(sample(readExposition(p.body), 'tripbench_codes_total', { scenario: sr.scenario, step: 'c3', code: '503' })).toBe(19);
      expect(done).toEqual({ prometheusFile: file, pushed: `${rx.url}/metrics/job/chaos-check/instance@base64/${Buffer.from('prod/eu-1').toString('base64url')}` });
    } finally {
      await rx.close();
    }
  });

  it('defaults the job to "tripbench" with no instance in the grouping key', async () => {
    const rx = await startReceiver();
    try {
      await writeMetrics([sr], { pushgateway: rx.url });
      expect(rx.pushes[0]?.url).toBe('/metrics/job/tripbench');
    } finally {
      await rx.close();
    }
  });

  it('reports a refused push with the gateway status and reason, after writing the file', async () => {
    const rx = await startReceiver(500);
    const file = join(dir, 'still-written.prom');
    try {
      await expect(writeMetrics([sr], { prometheusFile: file, pushgateway: rx.url })).rejects.toThrow(`pushgateway ${rx.url}/metrics/job/tripbench: HTTP 500: gateway says no`);
      expect(await readFile(file, 'utf8')).toContain('tripbench_calls_total');
    } finally {
      await rx.close();
    }
  });

  it('reports an unreachable gateway and an unwritable file, both', async () => {
    const { url } = await refusedPort();
    const bad = join(dir, 'a-file');
    await writeMetrics([sr], { prometheusFile: bad });
    const err = await writeMetrics([sr], { prometheusFile: join(bad, 'x.prom'), pushgateway: url }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    const lines = (err as Error).message.split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^cannot write .*x\.prom: /);
    expect(lines[1]).toMatch(/^pushgateway http:\/\/127\.0\.0\.1:\d+\/metrics\/job\/tripbench: fetch failed: .*ECONNREFUSED/);
  });

  it('refuses an empty job name before sending anything', async () => {
    await expect(pushMetrics('', { url: 'http://127.0.0.1:1', job: '' })).rejects.toThrow(PushError);
  });
});

describe('tripbench run metrics flags', () => {
  const ROOT = fileURLToPath(new URL('../../', import.meta.url));

  it.each([
    [['--pushgateway', 'pushgateway:9091'], /^tripbench: invalid value "pushgateway:9091" for flag -pushgateway: want an http\(s\) URL$/],
    [['--pushgateway', 'http://127.0.0.1:9', '--pushgateway-job='], /^tripbench: -pushgateway-job must not be empty/],
  ])('%j is refused before any load: one line, exit 2, no report written', async (flags, message) => {
    const reports = await mkdtemp(join(tmpdir(), 'tripbench-metrics-flags-'));
    try {
      const r = await runCli(['run', 'scenarios/istio-circuit-breaking.yaml', '--reports', reports, ...flags], { cwd: ROOT, env: { GITHUB_STEP_SUMMARY: '' } });
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr.trimEnd()).toMatch(message);
      expect(await readdir(reports)).toEqual([]);
    } finally {
      await rm(reports, { recursive: true, force: true });
    }
  }, 120_000);
});

// ---- the real Pushgateway ----

const PUSHGATEWAY = needTool(['prometheus-pushgateway', 'pushgateway'], 'prometheus-pushgateway');

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const a = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return typeof a === 'object' && a ? a.port : 0;
}

describe.skipIf(PUSHGATEWAY.skip)(PUSHGATEWAY.title(`the real Pushgateway (${PUSHGATEWAY.name})`), () => {
  let proc: ChildProcess | undefined;
  let url = '';

  beforeAll(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    proc = spawn(PUSHGATEWAY.path, [`--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    const until = Date.now() + 60_000;
    for (;;) {
      const ok = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > until) throw new Error('the Pushgateway did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 90_000);

  afterAll(() => {
    proc?.kill('SIGTERM');
  });

  it('accepts our exposition and serves every series back with the grouping labels', async () => {
    const sr = istioRun();
    await writeMetrics([sr], { pushgateway: url, job: 'tripbench', instance: 'ci' });
    const text = await (await fetch(`${url}/metrics`)).text();
    const e = readExposition(text);
    const g = { job: 'tripbench', instance: 'ci', scenario: sr.scenario };
    expect(sample(e, 'tripbench_calls_total', { ...g, step: 'c2' })).toBe(20);
    expect(sample(e, 'tripbench_observed_ratio', { ...g, step: 'c3', code: '503' })).toBeCloseTo(19 / 30, 12);
    expect(sample(e, 'tripbench_latency_seconds', { ...g, step: 'c2', quantile: '0.99' })).toBeCloseTo(0.0076, 12);
    expect(sample(e, 'tripbench_latency_seconds_count', { ...g, step: 'c2' })).toBe(20);
    expect(sample(e, 'tripbench_run_exit_code', g)).toBe(3);
    const c2 = sr.steps.find((s) => s.key === 'c2');
    for (const r of c2?.results ?? []) {
      expect(sample(e, 'tripbench_expectation_verdict', { ...g, step: 'c2', expectation: r.id, verdict: r.verdict })).toBe(1);
    }
    expect(sample(e, 'push_failure_time_seconds', { job: 'tripbench', instance: 'ci' })).toBe(0);
  });

  it('rejects a malformed exposition (so the check above is a real parse)', async () => {
    await expect(pushMetrics('broken{label=unquoted} 1\n', { url, job: 'bad' })).rejects.toThrow(/HTTP 400/);
  });
});
