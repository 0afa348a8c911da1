/**
 * `tripbench load` end to end: the built CLI in a child process, real worker threads, real
 * sockets against loopback servers, the fortio report and JSON it prints.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CliOptions, reportLines, logLines, runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/waitFor.js';
import {
  OK_RESPONSE,
  OK_HEADER_SIZE,
  UNAVAILABLE_RESPONSE,
  type TestServer,
  refusedPort,
  startAlternate503Server,
  startCloseEachServer,
  startHangingServer,
  startHugeBodyServer,
  startKeepAliveServer,
  startMalformedServer,
  startResetMidBodyServer,
  start503Server,
} from '../helpers/servers.js';
import type { FortioResult } from '../../src/report/fortioResult.js';
import { workerCount } from '../../src/engine/index.js';
import { availableParallelism } from 'node:os';

/** [gomax N]: the workers a default run uses here against a loopback target (one core left to it). */
const gomax = (threads: number): string => `[gomax ${workerCount(0, threads, availableParallelism(), 1)}]`;

const load = async (args: string[], timeoutMs?: number) => {
  const r = await runCli(['load', '-json', '-', ...args], timeoutMs ? { timeoutMs } : {});
  const json = r.stdout.trim() === '' ? null : (JSON.parse(r.stdout) as FortioResult);
  return { ...r, json, lines: reportLines(r.stderr) };
};

const servers: TestServer[] = [];
async function server<T extends TestServer>(p: Promise<T>): Promise<T> {
  const s = await p;
  servers.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe('call counts and the -n split', () => {
  let ka: TestServer;
  beforeAll(async () => {
    ka = await server(startKeepAliveServer());
  });

  it('-c 3 -n 30 makes exactly 30 calls, 10 per connection; codes and sizes add up', async () => {
    const r = await load(['-c', '3', '-qps', '0', '-n', '30', ka.url]);
    expect(r.code).toBe(0);
    const j = r.json!;
    expect(j.DurationHistogram.Count).toBe(30);
    expect(j.Tripbench?.ThreadCalls).toEqual([10, 10, 10]);
    expect(j.RetCodes).toEqual({ '200': 30 });
    expect(j.Sizes.Sum).toBe(30 * OK_RESPONSE.length);
    expect(j.HeaderSizes.Sum).toBe(30 * OK_HEADER_SIZE);
    expect(j.SocketCount).toBe(3);
    expect(r.lines).toContain(`Starting at max qps with 3 thread(s) ${gomax(3)} for exactly 30 calls (10 per thread + 0)`);
    expect(r.lines).toContain('Code 200 : 30 (100.0 %)');
    expect(r.lines).toContain('Sockets used: 3 (for perfect keepalive, would be 3)');
    expect(r.lines.at(-2)).toMatch(/^All done 30 calls \(plus 0 warmup\) \d+\.\d{3} ms avg, \d+\.\d qps$/);
    expect(r.lines.at(-1)).toMatch(/^Successfully wrote \d+ bytes of Json data to stdout$/);
  });

  it('-c 4 -n 30 splits 9/7/7/7', async () => {
    const r = await load(['-c', '4', '-qps', '0', '-n', '30', ka.url]);
    expect(r.json!.Tripbench?.ThreadCalls).toEqual([9, 7, 7, 7]);
    expect(r.lines).toContain(`Starting at max qps with 4 thread(s) ${gomax(4)} for exactly 30 calls (7 per thread + 2)`);
  });

  it('one worker and two workers give the same counts and merged histogram count', async () => {
    const one = await load(['-c', '4', '-qps', '0', '-n', '200', '-workers', '1', ka.url]);
    const two = await load(['-c', '4', '-qps', '0', '-n', '200', '-workers', '2', ka.url]);
    expect(one.json!.Tripbench?.Workers).toHaveLength(1);
    expect(two.json!.Tripbench?.Workers).toHaveLength(2);
    for (const r of [one, two]) {
      expect(r.json!.DurationHistogram.Count).toBe(200);
      expect(r.json!.Tripbench?.ThreadCalls).toEqual([50, 50, 50, 50]);
      expect(r.json!.Sizes.Count).toBe(200);
    }
  });
});

describe('codes, sockets and fortio keep-alive rules', () => {
  it('a server answering 503 to every other request gives 50.0 % and reconnects after each 503', async () => {
    const s = await server(startAlternate503Server());
    const r = await load(['-c', '1', '-qps', '0', '-n', '30', s.url]);
    const j = r.json!;
    expect(r.lines).toContain('Code 200 : 15 (50.0 %)');
    expect(r.lines).toContain('Code 503 : 15 (50.0 %)');
    // fortio closes after any non-2xx: 1 socket + one per 503 that is not the thread's last call
    expect(j.SocketCount).toBe(15);
    expect(s.connections).toBe(15);
    expect(j.ErrorsDurationHistogram.Count).toBe(15);
    expect(j.HeaderSizes.Min).toBe(0);
    expect(j.Sizes.Sum).toBe(15 * OK_RESPONSE.length + 15 * UNAVAILABLE_RESPONSE.length);
  });

  it('-stdclient (undici) gives the same codes, sizes and sockets as the lean client', async () => {
    const a = await server(startAlternate503Server());
    const b = await server(startAlternate503Server());
    // One thread: with several, which thread's last call meets a 503 depends on timing, and so
    // does the socket count (a 503 that is a thread's last call opens no new socket).
    const lean = (await load(['-c', '1', '-qps', '0', '-n', '40', a.url])).json!;
    const std = (await load(['-c', '1', '-qps', '0', '-n', '40', '-stdclient', b.url])).json!;
    expect(lean.SocketCount).toBe(20);
    expect(std.DisableFastClient).toBe(true);
    expect(std.RetCodes).toEqual(lean.RetCodes);
    expect(std.Sizes.Sum).toBe(lean.Sizes.Sum);
    expect(std.HeaderSizes.Sum).toBe(lean.HeaderSizes.Sum);
    expect(std.SocketCount).toBe(lean.SocketCount);
  });

  it('a server that closes after each response: sockets used equals calls', async () => {
    const s = await server(startCloseEachServer({ connectionClose: true }));
    const r = await load(['-c', '2', '-qps', '0', '-n', '20', s.url]);
    expect(r.json!.RetCodes).toEqual({ '200': 20 });
    expect(r.json!.SocketCount).toBe(20);
    expect(r.lines).toContain('Sockets used: 20 (for perfect keepalive, would be 2)');
  });

  it('keep-alive with warmup: sockets used equals -c and the warmup is reported', async () => {
    const s = await server(startKeepAliveServer());
    // Warmup belongs to duration runs. A duration run ends at 1 s with whatever it reached
    // (24 of the 30 calls once, at load average 21), so the count is read, not assumed.
    const r = await load(['-c', '3', '-qps', '30', '-t', '1s', s.url]);
    expect(r.json!.SocketCount).toBe(3);
    const calls = r.json!.DurationHistogram.Count;
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThanOrEqual(30);
    expect(r.lines.at(-2)).toMatch(new RegExp(`^All done ${calls} calls \\(plus 3 warmup\\)`));
    expect(s.requests).toBe(calls + 3);
  });
});

describe('transport failures are counted, the run ends, the report is complete', () => {
  it('connection refused: every call is -1 refused, one socket per call, exit 0', async () => {
    const p = await refusedPort();
    const r = await load(['-c', '2', '-qps', '0', '-n', '10', p.url]);
    expect(r.code).toBe(0);
    expect(r.lines).toContain('Code  -1 : 10 (100.0 %)');
    expect(r.json!.SocketCount).toBe(10);
    expect(r.json!.Tripbench?.ErrorKinds).toEqual({ refused: 10 });
  });

  it('reset mid-body → -1 reset', async () => {
    const s = await server(startResetMidBodyServer());
    const r = await load(['-c', '1', '-qps', '0', '-n', '3', s.url]);
    expect(r.code).toBe(0);
    expect(r.json!.RetCodes).toEqual({ '-1': 3 });
    expect(Object.keys(r.json!.Tripbench?.ErrorKinds ?? {})).toEqual(['reset']);
    expect(r.lines.at(-2)).toMatch(/^All done 3 calls/);
  });

  it('a response that never arrives hits -timeout', async () => {
    const s = await server(startHangingServer());
    const r = await load(['-c', '2', '-qps', '0', '-n', '2', '-timeout', '200ms', s.url]);
    expect(r.json!.RetCodes).toEqual({ '-1': 2 });
    expect(r.json!.Tripbench?.ErrorKinds).toEqual({ timeout: 2 });
    expect(r.json!.DurationHistogram.Min).toBeGreaterThanOrEqual(0.19);
    expect(r.json!.DurationHistogram.Max).toBeLessThan(2.5); // the default 3 s timeout did not apply
  });

  it('a malformed response → -1 malformed', async () => {
    const s = await server(startMalformedServer('SSH-2.0-OpenSSH_9.2\r\n'));
    const r = await load(['-c', '1', '-qps', '0', '-n', '2', s.url]);
    expect(r.json!.RetCodes).toEqual({ '-1': 2 });
    expect(r.json!.Tripbench?.ErrorKinds).toEqual({ malformed: 2 });
  });

  it('a 50 MB body is counted, not buffered', async () => {
    const s = await server(startHugeBodyServer());
    const r = await load(['-c', '1', '-qps', '0', '-n', '2', '-timeout', '20s', s.url], 60_000);
    expect(r.json!.RetCodes).toEqual({ '200': 2 });
    expect(r.json!.Sizes.Min).toBeGreaterThan(50 * 1024 * 1024);
  });
});

/**
 * Each thread made its `perThread` calls, or fell behind on a busy machine, stopped at the
 * duration and said so in fortio's words with the number it did.
 */
function expectPlannedOrReported(j: FortioResult, stderr: string, perThread: number): void {
  const said = new Set(logLines(stderr).map((l) => String(l['msg'])));
  (j.Tripbench?.ThreadCalls ?? []).forEach((calls, i) => {
    if (calls === perThread) return;
    const id = `T${String(i).padStart(3, '0')}`;
    expect([...said].some((m) => m.startsWith(`${id} warning only did ${calls} out of ${perThread} calls`)), `${id}: ${calls} calls`).toBe(true);
  });
  expect(j.Tripbench?.ThreadCalls).toHaveLength(j.NumThreads);
}

describe('pacing and duration', () => {
  it('-qps 200 -t 2s -c 4 makes 400 calls (or says which it missed) over ~2 s', async () => {
    const s = await server(startKeepAliveServer());
    const r = await load(['-qps', '200', '-t', '2s', '-c', '4', s.url]);
    const j = r.json!;
    // a thread a busy machine made late for its last slots stops at 2 s and says how many it did
    expectPlannedOrReported(j, r.stderr, 100);
    expect(j.Tripbench?.ThreadCalls.every((c) => c > 0)).toBe(true);
    expect(j.DurationHistogram.Count).toBeLessThanOrEqual(404);
    expect(j.ActualDuration / 1e9).toBeGreaterThan(1.9);
    expect(j.ActualDuration / 1e9).toBeLessThan(3); // a 1.5x slower pacing would take 3 s
    expect(r.lines).toContain(`Starting at 200 qps with 4 thread(s) ${gomax(4)} for 2s : 100 calls each (total 400)`);
    // qps over time: about one point per second, each near the requested 200
    const timeline = j.Tripbench?.['QpsOverTime'] as { t: number; qps: number }[];
    expect(timeline.length).toBeGreaterThanOrEqual(1);
    expect(timeline[0]!.t).toBeGreaterThanOrEqual(1);
    // paced at 200/s: a busy machine delays calls into the next second (or lets them catch up),
    // but pacing never runs ahead: the first second holds at most its 200 slots
    expect(timeline[0]!.qps).toBeGreaterThan(0);
    expect(timeline[0]!.qps).toBeLessThan(250);
  });

  it('-qps 0 -t 1s stops at ~1 s', async () => {
    const s = await server(startKeepAliveServer());
    const r = await load(['-qps', '0', '-t', '1s', '-c', '2', s.url]);
    expect(r.json!.ActualDuration / 1e9).toBeGreaterThan(0.95);
    // the stop is checked before each call: one call past 1 s, however slowly a busy machine answers
    expect(r.json!.ActualDuration / 1e9).toBeLessThan(2.5);
    expect(r.json!.RequestedDuration).toBe('1s');
  });

  it('-c 500 -t 5s against a keep-alive server holds 500 sockets and answers every call', async () => {
    const s = await server(startKeepAliveServer());
    const r = await load(['-c', '500', '-qps', '2000', '-t', '5s', s.url], 60_000);
    const j = r.json!;
    expect(r.code).toBe(0);
    expect(j.NumThreads).toBe(500);
    expect(j.SocketCount).toBe(500);
    expect(Object.keys(j.RetCodes)).toEqual(['200']);
    // 20 calls per connection, each made or reported missing by a thread that fell behind
    expectPlannedOrReported(j, r.stderr, 20);
    expect(j.DurationHistogram.Count).toBeGreaterThanOrEqual(1000);
  }, 120_000);
});

/** Run options that send `signal` once the `Starting at` line is out and `ready()` holds. */
function signalWhen(signal: NodeJS.Signals, ready: () => boolean): CliOptions {
  let stderr = '';
  return {
    onStderr: (soFar) => (stderr = soFar),
    onSpawn: (child) =>
      void waitFor(() => stderr.includes('\nStarting at ') && ready(), 'the timed run to start').then(
        () => child.kill(signal),
        () => child.kill('SIGKILL'),
      ),
  };
}

describe('stopping', () => {
  it('Ctrl-C halfway through a -t 0 run prints the full report and writes the JSON; exit 0', async () => {
    const s = await server(startKeepAliveServer());
    const dir = mkdtempSync(join(tmpdir(), 'tb-sigint-'));
    const out = join(dir, 'run.json');
    // Ctrl-C once the timed run has started and made 25 calls (2 warmups came first)
    const r = await runCli(['load', '-c', '2', '-qps', '50', '-t', '0', '-json', out, s.url], signalWhen('SIGINT', () => s.requests >= 2 + 25));
    expect(r.code).toBe(0);
    const lines = reportLines(r.stderr);
    expect(lines).toContain(`Starting at 50 qps with 2 thread(s) ${gomax(2)} until interrupted`);
    const done = lines.find((l) => l.startsWith('All done'));
    expect(done).toMatch(/^All done \d+ calls \(plus 2 warmup\)/);
    const j = JSON.parse(readFileSync(out, 'utf8')) as FortioResult;
    expect(j.DurationHistogram.Count).toBeGreaterThan(20);
    expect(j.RequestedDuration).toBe('until stop');
    expect(j.Tripbench?.Interrupted).toBe(true);
    expect(lines).toContain(`Code 200 : ${j.DurationHistogram.Count} (100.0 %)`);
  });

  it('SIGTERM (a pod being stopped) ends a max-qps -t 0 run the same way: full report, JSON, exit 0', async () => {
    const s = await server(startKeepAliveServer());
    const dir = mkdtempSync(join(tmpdir(), 'tb-sigterm-'));
    const out = join(dir, 'run.json');
    const r = await runCli(['load', '-c', '2', '-qps', '0', '-t', '0', '-json', out, s.url], signalWhen('SIGTERM', () => s.requests >= 2 + 25));
    expect(r.code).toBe(0);
    const lines = reportLines(r.stderr);
    expect(lines).toContain(`Starting at max qps with 2 thread(s) ${gomax(2)} until interrupted`);
    const j = JSON.parse(readFileSync(out, 'utf8')) as FortioResult;
    expect(j.DurationHistogram.Count).toBeGreaterThan(0);
    expect(j.RequestedDuration).toBe(''); // fortio's max-qps "until interrupted" value
    expect(j.Tripbench?.Interrupted).toBe(true);
    expect(lines).toContain(`Code 200 : ${j.DurationHistogram.Count} (100.0 %)`);
    expect(lines.find((l) => l.startsWith('All done'))).toMatch(new RegExp(`^All done ${j.DurationHistogram.Count} calls \\(plus 2 warmup\\)`));
    expect(readdirSync(dir)).toEqual(['run.json']); // no temp file left behind
  });

  it('-abort-on 503 stops the run early, still reports, exit 0', async () => {
    const s = await server(start503Server());
    const r = await load(['-c', '1', '-qps', '0', '-n', '100', '-abort-on', '503', s.url]);
    expect(r.code).toBe(0);
    expect(r.json!.DurationHistogram.Count).toBeLessThan(100);
    expect(r.json!.RequestedDuration).toMatch(/^exactly 100 calls, interrupted after \d+$/);
  });
});

describe('exit codes and usage errors', () => {
  it('unknown flag or bad value: one-line error naming it, usage hint, exit 2', async () => {
    const a = await runCli(['load', '-bogus', '1', 'http://127.0.0.1:1/']);
    expect(a.code).toBe(2);
    expect(a.stderr).toBe("tripbench load: flag provided but not defined: -bogus\nRun 'tripbench load -h' for usage.\n");
    const b = await runCli(['load', '-c', 'three', 'http://127.0.0.1:1/']);
    expect(b.code).toBe(2);
    expect(b.stderr.split('\n')[0]).toBe('tripbench load: invalid value "three" for flag -c: parse error');
    const c = await runCli(['load', '-t', '5', 'http://127.0.0.1:1/']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/invalid value "5" for flag -t/);
  });

  it('Go flag syntax: -c=3, --c 3 and -keepalive=false are accepted', async () => {
    const s = await server(startKeepAliveServer());
    const r = await load(['-c=3', '--n', '6', '-qps', '0', '-keepalive=false', s.url]);
    expect(r.json!.NumThreads).toBe(3);
    expect(r.json!.DurationHistogram.Count).toBe(6);
    expect(r.json!.DisableKeepAlive).toBe(true);
    expect(r.json!.SocketCount).toBe(6);
  });

  it('no URL → exit 1 (fortio); DNS failure → exit 1 with "Aborting because of lookup"', async () => {
    const none = await runCli(['load', '-n', '1']);
    expect(none.code).toBe(1);
    expect(none.stderr.split('\n')[0]).toBe('Error: tripbench load needs a url or destination');
    const d = await runCli(['load', '-n', '1', 'http://nosuch.invalid/']);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/^Aborting because of lookup nosuch\.invalid/m);
  });

  it('extra arguments (a flag after the url, -keepalive false) → exit 1 naming them', async () => {
    const late = await runCli(['load', '-n', '1', 'http://127.0.0.1:1/', '-c', '3']);
    expect(late.code).toBe(1);
    expect(late.stderr.split('\n')[0]).toBe(
      'Error: tripbench load needs a single url or destination, got 3 arguments: "http://127.0.0.1:1/" "-c" "3" (flags go before the url; booleans take -flag=false)',
    );
    const bool = await runCli(['load', '-keepalive', 'false', 'http://127.0.0.1:1/']);
    expect(bool.code).toBe(1);
    expect(bool.stderr.split('\n')[0]).toMatch(/got 2 arguments: "false" "http:\/\/127\.0\.0\.1:1\/"/);
    expect(bool.stderr).not.toMatch(/All done/);
  });

  it('a failed warmup aborts with exit 1 unless -allow-initial-errors', async () => {
    const s = await server(start503Server());
    const a = await runCli(['load', '-c', '2', '-t', '1s', s.url]);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(new RegExp(`^Aborting because of error 503 for ${s.url.replace(/[.?]/g, '\\$&')} \\(\\d+ bytes\\)$`, 'm'));
    expect(a.stderr).not.toMatch(/All done/);
    const b = await runCli(['load', '-c', '2', '-qps', '10', '-t', '1s', '-allow-initial-errors', s.url]);
    expect(b.code).toBe(0);
    expect(b.stderr).toMatch(/^Code 503 : 10 \(100\.0 %\)$/m);
  });
});

describe('report shape by log level, saving', () => {
  let ka: TestServer;
  beforeAll(async () => {
    ka = await server(startKeepAliveServer());
  });

  it('-loglevel Warning logs the level change and hides Info lines', async () => {
    const r = await runCli(['load', '-c', '2', '-qps', '0', '-n', '10', '-loglevel', 'Warning', ka.url]);
    const logs = logLines(r.stderr);
    expect(logs.map((l) => l['msg'])).toEqual(['Log level is now 3 Warning (was 2 Info)']);
    expect(reportLines(r.stderr)).toContain('# range, mid point, percentile, count');
  });

  it('-quiet prints the Error-level shape: no buckets, no sizes', async () => {
    const r = await runCli(['load', '-quiet', '-c', '2', '-qps', '0', '-n', '10', ka.url]);
    const lines = reportLines(r.stderr);
    expect(logLines(r.stderr)).toEqual([]);
    expect(lines.some((l) => l.startsWith('Aggregated Function Time : count 10 '))).toBe(true);
    expect(lines).not.toContain('# range, mid point, percentile, count');
    expect(lines.some((l) => l.startsWith('Response Header Sizes'))).toBe(false);
    expect(lines.some((l) => l.startsWith('Starting at'))).toBe(false);
    expect(lines).toContain('Code 200 : 10 (100.0 %)');
  });

  it('-a saves <data-dir>/<ID>.json named from the time and labels', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tb-autosave-'));
    const r = await runCli(['load', '-a', '-data-dir', dir, '-labels', 'My Test: run#1 ', '-c', '1', '-qps', '0', '-n', '3', ka.url]);
    expect(r.code).toBe(0);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^\d{4}-\d\d-\d\d-\d{6}_My_Test_run_1\.json$/);
    const j = JSON.parse(readFileSync(join(dir, files[0]!), 'utf8')) as FortioResult;
    expect(j.Labels).toBe('My Test: run#1 ');
    expect(`${j.ID}.json`).toBe(files[0]);
  });
});

describe('curl', () => {
  it('prints the head on stderr and the body on stdout; exit 0 for 200, 1 otherwise', async () => {
    const ok = await server(startKeepAliveServer());
    const a = await runCli(['curl', ok.url]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe('hello world\n');
    expect(a.stderr).toContain('HTTP/1.1 200 OK\r\n');
    const bad = await server(start503Server());
    const b = await runCli(['load', '-curl', bad.url]);
    expect(b.code).toBe(1);
    expect(b.stdout).toContain('HTTP/1.1 503 Service Unavailable');
  });
});
