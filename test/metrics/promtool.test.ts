/**
 * Prometheus' strictest common consumer of our text: promtool. In-memory expositions of every
 * shape (a judged run, a dead target, several scenarios) and the files `tripbench run
 * --prometheus` really writes, for a normal run and for a run against a closed port.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderPrometheus } from '../../src/metrics/prometheus.js';
import { runCli } from '../helpers/cli.js';
import { PROMTOOL, promtoolErrors } from '../helpers/promtool.js';
import { refusedPort } from '../helpers/servers.js';
import { istioRun, unreachableRun } from '../scenario/helpers.js';
import { readExposition, sample } from './exposition.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
describe.skipIf(PROMTOOL.skip)(PROMTOOL.title('promtool check metrics'), () => {
  it('really complains about a quantile label outside a summary (so silence below means something)', () => {
    expect(promtoolErrors('# HELP a x\n# TYPE a gauge\na{quantile="0.5"} 1\n')).toMatch(/exit 3: .*non-summary metrics should not have "quantile" label/);
    expect(promtoolErrors('bad{x=1} 1\n')).toMatch(/^exit 1/);
  });

  it('accepts every exposition shape without a word', () => {
    expect(promtoolErrors(renderPrometheus([istioRun()]))).toBe('');
    expect(promtoolErrors(renderPrometheus([unreachableRun()]))).toBe('');
    expect(promtoolErrors(renderPrometheus([istioRun(), { ...unreachableRun(), scenario: 'dead' }], { inconclusiveAs: 'fail' }))).toBe('');
  });

  it('accepts the file of a real run and of a run against a closed port', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tripbench-promtool-'));
    const env = { GITHUB_STEP_SUMMARY: '' };
    const ok = join(dir, 'ok.prom');
    const r1 = await runCli(['run', 'scenarios/istio-circuit-breaking.yaml', '--only', 'c1', '--reports', join(dir, 'r1'), '--prometheus', ok], { cwd: ROOT, env, timeoutMs: 60_000 });
    expect(r1.code, r1.stderr.slice(-2000)).toBe(0);
    const okText = readFileSync(ok, 'utf8');
    expect(okText).toContain('# TYPE tripbench_latency_seconds summary');
    expect(promtoolErrors(okText)).toBe('');

    const { url } = await refusedPort();
    const dead = join(dir, 'dead.prom');
    const r2 = await runCli(['run', 'scenarios/istio-circuit-breaking.yaml', '--target', url, '--reports', join(dir, 'r2'), '--prometheus', dead], { cwd: ROOT, env, timeoutMs: 30_000 });
    expect(r2.code, r2.stderr.slice(-2000)).toBe(4);
    const deadText = readFileSync(dead, 'utf8');
    expect(promtoolErrors(deadText)).toBe('');
    const e = readExposition(deadText);
    expect(sample(e, 'tripbench_scenario_outcome', { scenario: 'istio-circuit-breaking', outcome: 'UNREACHABLE' })).toBe(1);
    expect(sample(e, 'tripbench_run_exit_code', { scenario: 'istio-circuit-breaking' })).toBe(4);
  }, 90_000);
});
