/**
 * distributed-job.yaml's commands, run here as the pods would run them: each index of the
 * Indexed Job runs the shard container's shell script unchanged (`tripbench run --shard i/N
 * --start-at T`, then its .done/.failed marker), with only the env values changed (a start a few
 * seconds ahead, a temp results folder, a local rehearsal per shard as each pod has its own
 * sidecar); the merge container's args then judge them. And a shard killed mid-run makes the
 * waiting merge fail within seconds, naming the shard.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { type Container, containerArgv, manifest, podTemplate } from './manifests.js';

interface Done {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function start(file: string, args: string[], env: Record<string, string>, onStderr?: (soFar: string, child: ChildProcess) => void): { child: ChildProcess; done: Promise<Done> } {
  const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const done = new Promise<Done>((resolve) => {
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      onStderr?.(stderr, child);
    });
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  return { child, done };
}

// A scenario the local rehearsal runs without a cluster (the shipped one's target is httpbin in a mesh).
const SCENARIO = `name: spread
target: http://httpbin:8000/get
defaults:
  load: { qps: 0 }
steps:
  - name: ok
    load: { c: 2, n: 81 }
    expect:
      codes: { 200: 1 }
      latency: { p99: "< 5s" }
`;

describe('distributed-job.yaml run locally', () => {
  let dir: string;
  let bin: string;
  let scenarios: string;
  const job = manifest('Job', 'tripbench-run-1-shards');
  const shard = podTemplate(job).spec.containers[0] as Container;
  const merge = podTemplate(manifest('Job', 'tripbench-run-1-merge')).spec.containers[0] as Container;
  const count = (job.doc['spec'] as { completions: number }).completions;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tripbench-distributed-'));
    bin = join(dir, 'bin');
    await mkdir(bin);
    await symlink(BIN, join(bin, 'tripbench')); // `tripbench` on PATH, as in the image
    scenarios = join(dir, 'scenarios');
    await mkdir(scenarios);
    await writeFile(join(scenarios, 'spread.yaml'), SCENARIO);
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The pod's command with the local values; the ConfigMap's mount point is the only path rewritten. */
  function shardRun(results: string, i: number, startAt: string, onStderr?: (soFar: string, child: ChildProcess) => void): { child: ChildProcess; done: Promise<Done> } {
    const { argv, env } = containerArgv(shard, { RESULTS_DIR: results, START_AT: startAt, SHARD_INDEX: String(i) });
    expect(argv.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    const script = (argv[2] as string).replace(' /scenarios\n', ` ${scenarios}\n`);
    return start('/bin/sh', ['-c', script], { ...env, TARGET_URL: '', PATH: `${bin}:${process.env['PATH'] ?? ''}` }, onStderr);
  }

  function mergeRun(results: string, deadline: string): { child: ChildProcess; done: Promise<Done> } {
    const { argv } = containerArgv(merge, { RESULTS_DIR: results, DEADLINE: deadline, SHARD_COUNT: String(count) });
    return start(process.execPath, [BIN, ...argv.map((a) => (a === '/scenarios' ? scenarios : a))], {});
  }

  it('every shard leaves its marker; the merge Job judges all their calls once', async () => {
    const results = join(dir, 'results');
    const startAt = new Date(Date.now() + 12_000).toISOString();
    const merged = mergeRun(results, new Date(Date.now() + 240_000).toISOString());
    const shards = Array.from({ length: count }, (_, i) => shardRun(results, i, startAt));
    for (const s of shards) {
      const r = await s.done;
      expect(r.code, r.stderr).toBe(0);
    }
    const m = await merged.done;
    expect(m.code, m.stderr).toBe(0);
    const run = join(results, 'run-1');
    expect((await readdir(run)).filter((f) => f.endsWith('.done')).sort()).toEqual(Array.from({ length: count }, (_, i) => `shard-${i}.done`));
    const [folder] = await readdir(join(run, 'merged', 'spread'));
    const v = JSON.parse(await readFile(join(run, 'merged', 'spread', folder as string, 'verdicts.json'), 'utf8')) as { outcome: string; steps: { observed: { calls: number } }[] };
    expect(v.outcome).toBe('PASS');
    expect(v.steps[0]?.observed.calls).toBe(81);
  }, 300_000);

  it('a shard killed mid-run makes the waiting merge fail within seconds, naming it', async () => {
    const results = join(dir, 'killed');
    const startAt = new Date(Date.now() + 8_000).toISOString();
    const merged = mergeRun(results, new Date(Date.now() + 600_000).toISOString());
    let killedAt = 0;
    const victim = 1;
    const shards = Array.from({ length: count }, (_, i) =>
      shardRun(results, i, startAt, i !== victim ? undefined : (soFar, child) => {
        // once the load is under way, SIGKILL the shard's tripbench (the wrapper shell's child), as an OOM kill would
        if (killedAt !== 0 || !soFar.includes('Fortio')) return;
        const pid = execFileSync('ps', ['-o', 'pid=', '--ppid', String(child.pid)], { encoding: 'utf8' }).trim().split('\n')[0];
        if (!pid) return;
        killedAt = Date.now();
        process.kill(Number(pid), 'SIGKILL');
      }),
    );
    const m = await merged.done;
    const failedAfter = Date.now() - killedAt;
    expect(killedAt).toBeGreaterThan(0);
    expect(m.code).toBe(1);
    expect(m.stderr).toMatch(new RegExp(`tripbench: shard ${victim}/${count} failed \\(exit code 137, \\S+shard-${victim}\\.failed\\): the merge is not made`));
    expect(failedAfter).toBeLessThan(30_000);
    await Promise.all(shards.map((s) => s.done));
    expect(await readFile(join(results, 'run-1', `shard-${victim}.failed`), 'utf8')).toBe('137\n');
  }, 300_000);
});
