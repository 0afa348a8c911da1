/**
 * `tripbench load -grpc` and `tripbench grpcping` beside the real fortio v1.33.0
 * (../shared/tools/fortio/fortio): both clients against both servers (fortio's `server
 * -grpc-port` and tripbench's ping server), compared by shape: the report lines with numbers
 * masked, the JSON keys in order, the RetCodes keys, the exit codes. Where v1.33 and today's
 * fortio differ (RunType `GRPC Health for ''`, the `Metadata` and `ID` fields), tripbench
 * follows today's source (docs/load-modes.md).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { refusedPort } from '../helpers/servers.js';
import { needFortio } from '../helpers/tools.js';
import { waitFor } from '../helpers/waitFor.js';
import { startPingServer, type GrpcServerHandle } from '../../src/grpc/pingServer.js';

const fortio = needFortio();

const dir = mkdtempSync(join(tmpdir(), 'tb-grpcfortio-'));
let fortioServer: ChildProcess | undefined;
let fortioPort = 0;
let ours: GrpcServerHandle | undefined;

function runFortio(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(fortio.path, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  if (fortio.skip) return;
  ours = await startPingServer('127.0.0.1', '0');
  const child = spawn(fortio.path, ['server', '-grpc-port', '127.0.0.1:0', '-http-port', '127.0.0.1:0', '-redirect-port', 'disabled', '-tcp-port', 'disabled', '-udp-port', 'disabled', '-data-dir', dir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  fortioServer = child;
  let out = '';
  const add = (d: Buffer): void => void (out += d.toString());
  child.stdout?.on('data', add);
  child.stderr?.on('data', add);
  await waitFor(() => /grpc 'ping' server listening on tcp 127\.0\.0\.1:(\d+)/.test(out), "fortio server's grpc listening line");
  fortioPort = Number(/grpc 'ping' server listening on tcp 127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
}, 60_000);

afterAll(async () => {
  fortioServer?.kill('SIGTERM');
  await ours?.close();
});

/**
 * Report lines without log lines (fortio's `HH:MM:SS X file:line>` text, tripbench's JSON),
 * numbers masked, repeats collapsed, histogram bucket rows left out (how many there are depends
 * on the latencies of the run, not on the tool).
 */
function shape(text: string, from: RegExp): string[] {
  const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('{') && !/^\d\d:\d\d:\d\d [A-Z] /.test(l));
  const start = lines.findIndex((l) => from.test(l));
  const out: string[] = [];
  for (const l of lines.slice(Math.max(0, start))) {
    if (l.startsWith('> ') || l.startsWith('>= ')) continue;
    // Go durations (`7.17ms`, `1.2s`, `1m2s`) as one token: a slow run may print another unit
    const m = l.replace(/\/\S+\.json/, 'FILE').replace(/\b(\d+h)?(\d+m)?\d+(\.\d+)?(ns|µs|ms|s)\b/g, 'D').replace(/-?\d+(\.\d+)?(e[-+]?\d+)?/g, 'N');
    if (out.at(-1) !== m) out.push(m);
  }
  return out;
}

const servers = (): [string, number][] => [['fortio server', fortioPort], ['tripbench server', ours?.port ?? 0]];

describe.skipIf(fortio.skip)(fortio.title('load -grpc beside the real fortio v1.33.0'), () => {
  for (const mode of ['health', 'ping'] as const) {
    it(`${mode}: same report shape, same JSON keys in order (plus ID, Metadata, Tripbench), same RetCodes, against both servers`, async () => {
      for (const [, port] of servers()) {
        const dest = `127.0.0.1:${port}`;
        const args = ['-grpc', ...(mode === 'ping' ? ['-ping'] : []), '-qps', '0', '-n', '20', '-c', '2', '-s', '2'];
        const fj = join(dir, `f-${mode}-${port}.json`);
        const tj = join(dir, `t-${mode}-${port}.json`);
        const f = await runFortio(['load', ...args, '-json', fj, dest]);
        const t = await runCli(['load', ...args, '-json', tj, dest]);
        expect([t.code, f.code]).toEqual([0, 0]);
        expect(shape(t.stderr, /^Starting at /)).toEqual(shape(f.stderr, /^Starting at /));
        const fJson = JSON.parse(readFileSync(fj, 'utf8')) as Record<string, unknown>;
        const tJson = JSON.parse(readFileSync(tj, 'utf8')) as Record<string, unknown>;
        const fKeys = Object.keys(fJson);
        expect(Object.keys(tJson).filter((k) => fKeys.includes(k))).toEqual(fKeys);
        expect(Object.keys(tJson).filter((k) => !fKeys.includes(k))).toEqual(['ID', 'Metadata', 'Tripbench']);
        expect(tJson['RetCodes']).toEqual(fJson['RetCodes']);
        for (const k of ['RequestedQPS', 'RequestedDuration', 'NumThreads', 'Exactly', 'Destination', 'Streams', 'Ping']) expect([k, tJson[k]]).toEqual([k, fJson[k]]);
        expect(tJson['RunType']).toBe(mode === 'ping' ? fJson['RunType'] : "GRPC Health for ''");
        // `tripbench report` prints fortio's own gRPC JSON as fortio printed the run
        const re = await runCli(['report', fj]);
        expect(re.code).toBe(0);
        expect(shape(re.stderr, /^Ended after /)).toEqual(shape(f.stderr, /^Ended after /).filter((l) => !l.startsWith('Successfully wrote')));
      }
    }, 120_000);
  }

  it('a refused port: both abort on the first call, exit 1, `Aborting because of rpc error: code = Unavailable desc = …`', async () => {
    const { port } = await refusedPort();
    const f = await runFortio(['load', '-grpc', '-ping', '-c', '1', `127.0.0.1:${port}`]);
    const t = await runCli(['load', '-grpc', '-ping', '-c', '1', `127.0.0.1:${port}`]);
    expect([t.code, f.code]).toEqual([1, 1]);
    const last = (s: string): string => s.trim().split('\n').at(-1) ?? '';
    expect(last(f.stderr)).toMatch(/^Aborting because of rpc error: code = Unavailable desc = /);
    expect(last(t.stderr)).toMatch(/^Aborting because of rpc error: code = Unavailable desc = /);
  }, 120_000);
});

describe.skipIf(fortio.skip)(fortio.title('grpcping beside the real fortio v1.33.0'), () => {
  it('ping -n 3: the same stdout histograms by shape, one `Ping RTT` log per round, exit 0, against both servers', async () => {
    for (const [, port] of servers()) {
      const f = await runFortio(['grpcping', '-n', '3', `127.0.0.1:${port}`]);
      const t = await runCli(['grpcping', '-n', '3', `127.0.0.1:${port}`]);
      expect([t.code, f.code]).toEqual([0, 0]);
      const titles = (s: string): string[] => s.split('\n').filter((l) => / histogram usec : /.test(l)).map((l) => l.split(' : ')[0] as string);
      expect(titles(t.stdout)).toEqual(titles(f.stdout));
      expect(titles(t.stdout)).toEqual(['Clock skew histogram usec', 'RTT histogram usec']);
      expect(t.stdout).toMatch(/^RTT histogram usec : count 9 /m);
      expect(f.stdout).toMatch(/^RTT histogram usec : count 9 /m);
      expect(t.stdout.split('\n').filter((l) => l.startsWith('# target ')).map((l) => l.replace(/ \S+$/, ''))).toEqual(['# target 50%', '# target 50%']);
      expect(t.stderr.match(/Ping RTT \d+ \(avg of -?\d+, -?\d+, -?\d+ ns\) clock skew -?\d+/g)?.length).toBe(3);
      expect(f.stderr.match(/Ping RTT \d+ \(avg of -?\d+, -?\d+, -?\d+ ns\) clock skew -?\d+/g)?.length).toBe(3);
    }
  }, 120_000);

  it('-health: RTT histogram then `Health SERVING : N`; NOT_SERVING exits 1 for both', async () => {
    for (const [, port] of servers()) {
      const f = await runFortio(['grpcping', '-health', '-n', '3', `127.0.0.1:${port}`]);
      const t = await runCli(['grpcping', '-health', '-n', '3', `127.0.0.1:${port}`]);
      expect([t.code, f.code]).toEqual([0, 0]);
      expect(shape(t.stdout, /histogram/)).toEqual(shape(f.stdout, /histogram/));
      expect(t.stdout.trim().split('\n').at(-1)).toBe('Health SERVING : 3');
      expect(f.stdout.trim().split('\n').at(-1)).toBe('Health SERVING : 3');
      const fd = await runFortio(['grpcping', '-health', '-healthservice', 'ping_down', `127.0.0.1:${port}`]);
      const td = await runCli(['grpcping', '-health', '-healthservice', 'ping_down', `127.0.0.1:${port}`]);
      expect([td.code, fd.code]).toEqual([1, 1]);
      expect(td.stdout.trim().split('\n').at(-1)).toBe('Health NOT_SERVING : 1');
      expect(fd.stdout.trim().split('\n').at(-1)).toBe('Health NOT_SERVING : 1');
    }
  }, 120_000);
});
