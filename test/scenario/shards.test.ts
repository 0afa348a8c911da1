/**
 * A sharded scenario judged once on the merged result: two `run --shard i/2` processes (each
 * with its own local rehearsal, as each pod has its own sidecar) measure; `run --merge` judges.
 * The fault is deterministic (abort 100 % on a header), so one process making the same calls
 * must reach the same verdicts, the same counts and the same Envoy deltas: the upstream_rq_total
 * check passes only when the two sidecars' deltas are summed. Then the fail-fast wait: a
 * `.failed` marker or a passed deadline ends the merge at once, naming the shard.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const SCENARIO = fileURLToPath(new URL('./fixtures/sharded.yaml', import.meta.url));

interface Verdicts {
  outcome: string;
  steps: { key: string; observed?: { calls: number; codes: Record<string, number>; envoy?: { deltas?: Record<string, number> } }; results: { verdict: string; expectation?: unknown; observed?: unknown }[] }[];
}

function summary(v: Verdicts): unknown {
  return {
    outcome: v.outcome,
    steps: v.steps.map((s) => ({
      key: s.key,
      calls: s.observed?.calls,
      codes: s.observed?.codes,
      upstream: s.observed?.envoy?.deltas?.['cluster.outbound|8000||httpbin.default.svc.cluster.local.upstream_rq_total'],
      verdicts: s.results.map((r) => r.verdict),
    })),
  };
}

describe('run --shard / run --merge: one verdict for a sharded scenario', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tripbench-shards-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the merged verdict equals the verdict of one process making the same calls', async () => {
    const shards = join(dir, 'shards');
    const startAt = new Date(Date.now() + 10_000).toISOString();
    const runs = await Promise.all(
      [0, 1].map((i) => runCli(['run', '--shard', `${i}/2`, '--start-at', startAt, '--reports', shards, SCENARIO], { timeoutMs: 120_000 })),
    );
    for (const [i, r] of runs.entries()) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`tripbench run: shard ${i}/2 of sharded: 2/2 step(s) measured, not judged`);
      await writeFile(join(shards, `shard-${i}.done`), '0\n');
    }
    const merged = await runCli(['run', '--merge', shards, '--shards', '2', '--deadline', new Date(Date.now() + 60_000).toISOString(), '--reports', join(dir, 'merged'), '--json', SCENARIO], { timeoutMs: 120_000 });
    const one = await runCli(['run', '--reports', join(dir, 'one'), '--json', SCENARIO], { timeoutMs: 120_000 });
    // a FAIL (the 200 >= 0.5 check of the aborted step) in both: exit 1
    expect(merged.code, merged.stderr).toBe(1);
    expect(one.code, one.stderr).toBe(1);
    // each step's merged report says how far apart the shards started
    expect(merged.stderr).toMatch(/==> sharded: aborted, sharded shards merged <==\nStart skew \d+\.\d{3} s \(latest minus earliest start\); covers /);
    const m = JSON.parse(merged.stdout) as Verdicts;
    const o = JSON.parse(one.stdout) as Verdicts;
    expect(summary(m)).toEqual(summary(o));
    expect(summary(m)).toMatchObject({
      outcome: 'FAIL',
      steps: [
        { key: 'aborted', calls: 41, codes: { '503': 41 }, upstream: 0, verdicts: ['FAIL', 'PASS', 'PASS'] },
        { key: 'ok', calls: 61, codes: { '200': 61 }, upstream: 61, verdicts: ['PASS', 'PASS', 'PASS'] },
      ],
    });
  }, 300_000);

  it('a missing shard is never judged', async () => {
    const shards = join(dir, 'shards');
    await rm(join(shards, 'sharded', 'shard-1-of-2.json'));
    const r = await runCli(['run', '--merge', shards, SCENARIO], { timeoutMs: 60_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sharded: shard 1/2 missing: a partial merge is not judged');
    for (const [args, msg] of [
      [['--start-at', 'noon'], 'tripbench: invalid value "noon" for flag -start-at: want an RFC 3339 time such as 2026-12-07T02:00:00Z'],
      [['--shard', '0/2', '--junit', 'j.xml'], 'tripbench: --shard only measures: --junit belong to the run --merge that judges the shards'],
      [['--merge', shards, '--shard', '0/2'], 'tripbench: --merge judges shards that ran already: it takes no --shard or --start-at'],
    ] as const) {
      const bad = await runCli(['run', ...args, SCENARIO], { timeoutMs: 60_000 });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe(`${msg}\n`);
    }
  }, 60_000);

  it('a failed shard ends the wait at once, naming the shard; so does the deadline', async () => {
    const empty = join(dir, 'empty');
    await mkdir(empty, { recursive: true });
    const t0 = Date.now();
    const waiting = runCli(['run', '--merge', empty, '--shards', '3', '--deadline', new Date(Date.now() + 300_000).toISOString(), SCENARIO], {
      timeoutMs: 120_000,
      onStderr: (soFar) => {
        if (soFar.includes('waiting for shard')) void writeFile(join(empty, 'shard-2.failed'), '137\n');
      },
    });
    const r = await waiting;
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/tripbench: shard 2\/3 failed \(exit code 137, \S+shard-2\.failed\): the merge is not made/);
    // far sooner than the deadline: the next poll after the marker
    expect(Date.now() - t0).toBeLessThan(120_000);

    const late = await runCli(['run', '--merge', join(dir, 'none'), '--shards', '2', '--deadline', new Date(Date.now() + 1500).toISOString(), SCENARIO], { timeoutMs: 60_000 });
    expect(late.code).toBe(1);
    expect(late.stderr).toMatch(/tripbench: shard 0\/2, 1\/2 did not finish by the deadline \S+ \(no marker in \S+\): the merge is not made/);
  }, 240_000);
});
