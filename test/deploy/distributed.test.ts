/**
 * distributed-job.yaml's command lines, run here as the pods would run them: every index of the
 * Indexed Job runs its `tripbench load -shard i/N` (the real CLI, compiled) against a loopback
 * server, writing to a results folder; then the merge Job's shell script, unchanged, waits for
 * the shards and merges them. Only the env values differ (local URL, temp folder, small counts).
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFortioJson } from '../../src/report/fortioJson.js';
import { startKeepAliveServer, type TestServer } from '../helpers/servers.js';
import { type Container, containerArgv, manifest, podTemplate } from './manifests.js';

const BIN = fileURLToPath(new URL('../../bin/tripbench.js', import.meta.url));

function exec(file: string, args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('distributed-job.yaml run locally', () => {
  let dir: string;
  let bin: string;
  let srv: TestServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tripbench-distributed-'));
    // `tripbench` on PATH, as in the image
    bin = join(dir, 'bin');
    await mkdir(bin);
    await symlink(BIN, join(bin, 'tripbench'));
    srv = await startKeepAliveServer();
  });

  afterAll(async () => {
    await srv?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shards write their JSON, the merge Job script merges them into the whole run', async () => {
    const job = manifest('Job', 'tripbench-distributed');
    const spec = job.doc['spec'] as { completions: number };
    const shards = spec.completions;
    const results = join(dir, 'results');
    const local = { RESULTS_DIR: results, TARGET_URL: srv.url, CALLS: '103', QPS: '0', CONNECTIONS: '2' };
    const pod = podTemplate(job).spec.containers[0] as Container;
    // the init container makes the run's folder, as in the pod (-json does not create folders)
    const init = (podTemplate(job).spec.initContainers ?? [])[0] as Container;
    const made = containerArgv(init, { RESULTS_DIR: results });
    const mk = await exec(made.argv[0] as string, made.argv.slice(1), made.env);
    expect(mk.code, mk.stderr).toBe(0);
    const runs = await Promise.all(
      Array.from({ length: shards }, (_, i) => {
        const { argv } = containerArgv(pod, { ...local, SHARD_INDEX: String(i) });
        return exec(process.execPath, [BIN, ...argv], {});
      }),
    );
    for (const r of runs) expect(r.code, r.stderr).toBe(0);

    const m = podTemplate(manifest('Job', 'tripbench-distributed-merge')).spec.containers[0] as Container;
    const { argv, env } = containerArgv(m, { RESULTS_DIR: results });
    expect(argv.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    const out = await exec('/bin/sh', argv.slice(1), { ...env, PATH: `${bin}:${process.env['PATH'] ?? ''}` });
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`Merged ${shards} result(s) (shards ${Array.from({ length: shards }, (_, i) => `${i}/${shards}`).join(', ')}), exact (HDR histograms)`);
    expect(out.stdout).toContain('Code 200 : 103 (100.0 %)');
    const merged = parseFortioJson(await readFile(join(results, env['RUN_ID'] as string, 'merged.json'), 'utf8'), 'merged.json');
    expect(merged.DurationHistogram.Count).toBe(103);
    expect(merged.Exactly).toBe(103);
    expect(merged.NumThreads).toBe(2 * shards);
  }, 90_000);
});
