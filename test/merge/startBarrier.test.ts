/**
 * `-start-at`: shard processes started at different moments (each after the previous one has
 * printed its first line) begin their timed runs at one instant, so the merged result covers the
 * time range of one process doing the whole run. `-c` is per pod, so 3 shards of `-c 1` match
 * one process of `-c 3` call for call: the same per-thread pacing, the same expected duration.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MergeInfo } from '../../src/merge/mergeResults.js';
import { parseStartTime } from '../../src/merge/timeRanges.js';
import { parseFortioJson } from '../../src/report/fortioJson.js';
import { runCli, type CliRun } from '../helpers/cli.js';
import { startKeepAliveServer, type TestServer } from '../helpers/servers.js';

const SHARDS = 3;
const CALLS = 300;
const QPS = 150;

describe('-start-at: a start barrier for shards', () => {
  let dir: string;
  let srv: TestServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tripbench-barrier-'));
    srv = await startKeepAliveServer();
  });
  afterAll(async () => {
    await srv?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('skewed shard processes start together; the merged range is one process\'s', async () => {
    // Far enough ahead for three node start-ups on a loaded machine; a late shard warns (checked below).
    const startAt = new Date(Date.now() + 15_000).toISOString();
    const runs: Promise<CliRun>[] = [];
    for (let i = 0; i < SHARDS; i++) {
      let started!: () => void;
      const printed = new Promise<void>((resolve) => (started = resolve));
      runs.push(
        runCli(['load', '-shard', `${i}/${SHARDS}`, '-start-at', startAt, '-c', '1', '-qps', String(QPS), '-n', String(CALLS), '-logger-json=false', '-json', join(dir, `shard-${i}.json`), srv.url], {
          timeoutMs: 90_000,
          onStderr: () => started(),
        }),
      );
      await printed; // the next shard starts only now: real, uneven start-up skew
    }
    const shards = await Promise.all(runs);
    for (const r of shards) {
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('had passed');
    }
    const at = parseStartTime(startAt) as number;
    for (let i = 0; i < SHARDS; i++) {
      const res = parseFortioJson(await readFile(join(dir, `shard-${i}.json`), 'utf8'), `shard-${i}`);
      // within timer precision of the instant, never before it
      const off = (parseStartTime(res.StartTime) as number) - at;
      expect(off).toBeGreaterThanOrEqual(0);
      expect(off).toBeLessThan(100);
    }
    const single = await runCli(['load', '-c', String(SHARDS), '-qps', String(QPS), '-n', String(CALLS), '-json', join(dir, 'single.json'), srv.url], { timeoutMs: 90_000 });
    expect(single.code, single.stderr).toBe(0);
    const one = parseFortioJson(await readFile(join(dir, 'single.json'), 'utf8'), 'single');

    const merged = await runCli(['merge', '-o', join(dir, 'merged.json'), ...Array.from({ length: SHARDS }, (_, i) => join(dir, `shard-${i}.json`))], { timeoutMs: 60_000 });
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toMatch(/^Start skew 0\.\d{3} s \(latest minus earliest start\); covers \S+ to \S+ \(\d\.\d{3} s\)$/m);
    const m = parseFortioJson(await readFile(join(dir, 'merged.json'), 'utf8'), 'merged');
    const info = m.Tripbench?.['Merged'] as MergeInfo;
    expect(info.StartSkewSeconds).toBeLessThan(0.1);
    expect(m.StartTime).toBe(info.RangeStart);
    expect(m.DurationHistogram.Count).toBe(CALLS);
    // What the barrier controls: the range adds at most tens of ms to the longest shard's own
    // run (without it, the start-up skew, seconds here, would be added).
    const shardSeconds = await Promise.all(
      Array.from({ length: SHARDS }, async (_, i) => parseFortioJson(await readFile(join(dir, `shard-${i}.json`), 'utf8'), `shard-${i}`).ActualDuration / 1e9),
    );
    expect(info.RangeSeconds - Math.max(...shardSeconds)).toBeLessThan(0.1);
    // And one process doing the same paced calls covers the same range: tens of ms on an idle
    // machine; two separate runs on a loaded runner differ by scheduling (0.30 s once at load
    // average 9-12), so the bound here is a quarter of the run, still well below the seconds of
    // start-up skew the barrier removes.
    expect(Math.abs(info.RangeSeconds - one.ActualDuration / 1e9)).toBeLessThan(0.25 * (one.ActualDuration / 1e9));
    expect(Math.abs(m.ActualQPS - one.ActualQPS) / one.ActualQPS).toBeLessThan(0.1);
    // fortio's own fields are untouched by the extras
    expect(Object.keys(m).filter((k) => k !== 'Tripbench')).toEqual(Object.keys(one).filter((k) => k !== 'Tripbench'));
  }, 180_000);

  it('Ctrl-C during the wait stops at once and still writes the (empty) result', async () => {
    const file = join(dir, 'interrupted.json');
    const startAt = new Date(Date.now() + 600_000).toISOString();
    let sent = false;
    const r = await runCli(['load', '-start-at', startAt, '-qps', '0', '-n', '10', '-json', file, srv.url], {
      timeoutMs: 60_000,
      onStderr: (soFar, child) => {
        if (sent || !soFar.includes('waiting until start-at')) return;
        sent = true;
        child.kill('SIGINT');
      },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/waiting until start-at \S+ \(\d+\.\d{3}s from now\)/);
    expect(parseFortioJson(await readFile(file, 'utf8'), 'interrupted').DurationHistogram.Count).toBe(0);
  }, 90_000);

  it('a time already past starts at once with a warning; a bad one is a one-line flag error', async () => {
    const past = await runCli(['load', '-start-at', '2020-01-01T00:00:00Z', '-qps', '0', '-n', '4', '-c', '1', '-logger-json=false', srv.url], { timeoutMs: 60_000 });
    expect(past.code, past.stderr).toBe(0);
    expect(past.stderr).toMatch(/start-at 2020-01-01T00:00:00Z had passed \d+\.\d{3}s before this run was ready: starting now/);
    const bad = await runCli(['load', '-start-at', 'tomorrow', srv.url], { timeoutMs: 30_000 });
    expect(bad.code).toBe(2);
    expect(bad.stderr.split("\n")[0]).toBe('tripbench load: invalid value "tomorrow" for flag -start-at: want an RFC 3339 time such as 2026-12-07T02:00:00Z');
  }, 90_000);
});
