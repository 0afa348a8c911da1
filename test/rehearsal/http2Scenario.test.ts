/**
 * The shipped HTTP/2 scenario through the CLI against the rehearsal: h2c load into the sidecar,
 * an HTTP/2 upstream pool to the target (its h2c port: the target's h2c support comes from
 * the h2c target), every trip an upstream_rq_active_overflow.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('scenarios/http2-max-requests.yaml', () => {
  it('PASSes against the local rehearsal', async () => {
    const reports = mkdtempSync(join(tmpdir(), 'tripbench-h2-'));
    const r = await runCli(['run', 'scenarios/http2-max-requests.yaml', '--reports', reports], { cwd: ROOT, timeoutMs: 90_000, env: { GITHUB_STEP_SUMMARY: '' } });
    expect(r.code, `${r.stdout}\n${r.stderr.split('\n').slice(-30).join('\n')}`).toBe(0);
    expect(r.stdout).toContain('http2-max-requests: PASS ');
  }, 120_000);
});
