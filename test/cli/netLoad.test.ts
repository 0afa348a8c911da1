/**
 * `tripbench load tcp://…` / `udp://…` and `tripbench server -tcp-port/-udp-port` end to end:
 * the built CLI in a child process against echo servers on loopback, fortio's report lines
 * (tcprunner/udprunner RunTCPTest/RunUDPTest) and its JSON shape with RunType TCP/UDP.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reportLines, runCli } from '../helpers/cli.js';
import { refusedPort } from '../helpers/servers.js';
import { waitFor } from '../helpers/waitFor.js';
import { startTcpEchoServer, type EchoServerHandle } from '../../src/netload/tcpEchoServer.js';
import { startUdpEchoServer } from '../../src/netload/udpEchoServer.js';
import { runServer, type EchoServers } from '../../src/cli/server.js';

const dir = mkdtempSync(join(tmpdir(), 'tb-netload-'));
const handles: EchoServerHandle[] = [];
afterAll(() => Promise.all(handles.map((h) => h.close())));

type Json = Record<string, unknown> & { RetCodes: Record<string, number>; DurationHistogram: { Count: number } };

/** The fortio field order of tcprunner.RunnerResults (periodic.RunnerResults first). */
const COMMON = ['RunType', 'Labels', 'StartTime', 'RequestedQPS', 'RequestedDuration', 'ActualQPS', 'ActualDuration', 'NumThreads', 'Version', 'DurationHistogram', 'ErrorsDurationHistogram', 'Exactly', 'Jitter', 'Uniform', 'NoCatchUp', 'RunID', 'AccessLoggerInfo', 'ID'];
const TCP_KEYS = [...COMMON, 'Destination', 'Payload', 'UnixDomainSocket', 'ReqTimeout', 'RetCodes', 'SocketCount', 'BytesSent', 'BytesReceived', 'Tripbench'];
const UDP_KEYS = TCP_KEYS.filter((k) => k !== 'UnixDomainSocket');

async function loadJson(args: string[]): Promise<{ code: number | null; lines: string[]; json: Json; stderr: string }> {
  const file = join(dir, `r${Math.random().toString(36).slice(2)}.json`);
  const r = await runCli(['load', '-json', file, ...args]);
  return { code: r.code, lines: reportLines(r.stderr), stderr: r.stderr, json: JSON.parse(readFileSync(file, 'utf8')) as Json };
}

describe('tripbench load tcp://', () => {
  it('-n 20 -c 2 against an echo server: fortio text and JSON, exit 0', async () => {
    const h = await startTcpEchoServer('127.0.0.1', 0);
    handles.push(h);
    const url = `tcp://127.0.0.1:${h.address.port}`;
    const { code, lines, json } = await loadJson(['-qps', '0', '-n', '20', '-c', '2', url]);
    expect(code).toBe(0);
    expect(lines[0]).toMatch(new RegExp(`^Fortio \\S+ running at 0 queries per second, \\d+->\\d+ procs, for 20 calls: ${url}$`));
    expect(lines.some((l) => /^Ended after \S+ : 20 calls\. qps=[\d.]+$/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('Aggregated Function Time : count 20 '))).toBe(true);
    expect(lines).toContain('Error cases : no data');
    expect(lines).toContain('Sockets used: 2 (for perfect no error run, would be 2)');
    expect(lines).toContain('Total Bytes sent: 480, received: 480');
    expect(lines).toContain('tcp OK : 20 (100.0 %)');
    expect(lines.some((l) => /^All done 20 calls \(plus 0 warmup\) [\d.]+ ms avg, [\d.]+ qps$/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('Code '))).toBe(false);
    expect(Object.keys(json)).toEqual(TCP_KEYS);
    expect(json).toMatchObject({
      RunType: 'TCP',
      Labels: expect.stringMatching(new RegExp(`^${url} , `)),
      RequestedQPS: 'max',
      RequestedDuration: 'exactly 20 calls',
      NumThreads: 2,
      Exactly: 20,
      Destination: url,
      Payload: null,
      UnixDomainSocket: '',
      ReqTimeout: 3_000_000_000,
      RetCodes: { OK: 20 },
      SocketCount: 2,
      BytesSent: 480,
      BytesReceived: 480,
    });
    expect(json.DurationHistogram.Count).toBe(20);
  });

  it('-payload is sent and echoed as given, base64 in the JSON', async () => {
    const h = await startTcpEchoServer('127.0.0.1', 0);
    handles.push(h);
    const { code, lines, json } = await loadJson(['-qps', '0', '-n', '4', '-c', '1', '-payload', 'a&b<c>', `tcp://127.0.0.1:${h.address.port}/`]);
    expect(code).toBe(0);
    expect(lines).toContain('Total Bytes sent: 24, received: 24');
    expect(json).toMatchObject({ Payload: 'YSZiPGM+', RetCodes: { OK: 4 }, BytesReceived: 24 });
  });

  it("a dead port: every call is Go's dial error, counted under it, a socket per call, exit 0 (fortio)", async () => {
    const { port } = await refusedPort();
    const url = `tcp://127.0.0.1:${port}`;
    const { code, lines, json } = await loadJson(['-qps', '0', '-n', '6', '-c', '2', url]);
    expect(code).toBe(0);
    const key = `dial tcp 127.0.0.1:${port}: connect: connection refused`;
    expect(lines).toContain(`tcp ${key} : 6 (100.0 %)`);
    expect(lines).toContain('Sockets used: 6 (for perfect no error run, would be 2)');
    expect(lines).toContain('Total Bytes sent: 0, received: 0');
    expect(json).toMatchObject({ RunType: 'TCP', RetCodes: { [key]: 6 }, SocketCount: 6 });
    expect((json['ErrorsDurationHistogram'] as { Count: number }).Count).toBe(6);
  });

  it('an unresolvable host aborts before the run, exit 1', async () => {
    const r = await runCli(['load', '-n', '2', 'tcp://no-such-host.invalid:8078']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Aborting because of unable to create client 0 for tcp://no-such-host.invalid:8078: lookup no-such-host.invalid');
  });

  it('curl refuses tcp:// in one line, exit 1', async () => {
    const r = await runCli(['curl', 'tcp://127.0.0.1:1']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("Error: curl fetches one HTTP URL; tcp:// is fortio's TCP load mode: run tripbench load tcp://127.0.0.1:1\n");
  });
});

describe('tripbench load udp://', () => {
  it('-n 10 -c 2 against an echo server: udp OK line, bytes, RunType UDP and its JSON fields', async () => {
    const h = await startUdpEchoServer('127.0.0.1', 0);
    handles.push(h);
    const url = `udp://127.0.0.1:${h.address.port}`;
    const { code, lines, json } = await loadJson(['-qps', '0', '-n', '10', '-c', '2', url]);
    expect(code).toBe(0);
    expect(lines).toContain('udp OK : 10 (100.0 %)');
    expect(lines).toContain('Total Bytes sent: 240, received: 240');
    expect(Object.keys(json)).toEqual(UDP_KEYS);
    expect(json).toMatchObject({ RunType: 'UDP', ReqTimeout: 750_000_000, RetCodes: { OK: 10 }, SocketCount: 2 });
  });

  it('nobody answering: fortio\'s "timeout" after -udp-timeout', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    const { code, lines, json } = await loadJson(['-qps', '0', '-n', '2', '-c', '1', '-udp-timeout', '100ms', `udp://127.0.0.1:${silent.address().port}`]);
    silent.close();
    expect(code).toBe(0);
    expect(lines).toContain('udp timeout : 2 (100.0 %)');
    expect(json).toMatchObject({ ReqTimeout: 100_000_000, RetCodes: { timeout: 2 }, BytesReceived: 0, BytesSent: 48 });
  });
});

describe('tripbench server -tcp-port / -udp-port', () => {
  it('serves both echo ports beside HTTP; "disabled" turns one off', async () => {
    let release!: () => void;
    const stopped = new Promise<void>((r) => (release = r));
    const out: string[] = [];
    let echo: EchoServers | undefined;
    const done = runServer(['-listen', '127.0.0.1:0', '-tcp-port', '0', '-udp-port', '127.0.0.1:0'], { stderr: (s) => out.push(s), stopped }, (_t, e) => (echo = e));
    await waitFor(() => echo !== undefined, 'the server to start');
    if (echo === undefined) throw new Error('unreachable');
    const tcpPort = echo.tcp?.address.port as number;
    const udpPort = echo.udp?.address.port as number;
    expect(out.join('')).toContain(`tripbench tcp-echo server listening on tcp 127.0.0.1:${tcpPort}`);
    const tcpBack = await new Promise<string>((resolve) => {
      let got = '';
      const c = connect(tcpPort, '127.0.0.1', () => c.end('echo me'));
      c.setEncoding('utf8').on('data', (d: string) => (got += d)).on('close', () => resolve(got));
    });
    expect(tcpBack).toBe('echo me');
    const u = createSocket('udp4');
    const udpBack = await new Promise<string>((resolve) => {
      u.on('message', (m) => resolve(m.toString()));
      u.send('ping udp', udpPort, '127.0.0.1');
    });
    u.close();
    expect(udpBack).toBe('ping udp');
    release();
    expect(await done).toBe(0);

    let release2!: () => void;
    const stopped2 = new Promise<void>((r) => (release2 = r));
    let echo2: EchoServers | undefined;
    const done2 = runServer(['-listen', '127.0.0.1:0', '-tcp-port', 'disabled', '-udp-port', 'disabled'], { stderr: () => undefined, stopped: stopped2 }, (_t, e) => (echo2 = e));
    await waitFor(() => echo2 !== undefined, 'the second server to start');
    expect(echo2).toEqual({});
    release2();
    expect(await done2).toBe(0);
  });

  it('-http-port is fortio\'s name for -listen\'s address; both at once is a usage error', async () => {
    let release!: () => void;
    const stopped = new Promise<void>((r) => (release = r));
    let url = '';
    const done = runServer(['-http-port', '127.0.0.1:0', '-tcp-port', 'disabled', '-udp-port', 'disabled'], { stderr: () => undefined, stopped }, (t) => (url = t.url));
    await waitFor(() => url !== '', 'the server to start');
    expect((await fetch(`${url}/status/418`)).status).toBe(418);
    release();
    expect(await done).toBe(0);
    await expect(runServer(['-http-port', '0', '-listen', '0'], { stderr: () => undefined, stopped: Promise.resolve() })).rejects.toThrow(/-http-port and -listen name the same address/);
  });

  it('refuses a non-loopback gRPC address without -allow-remote', async () => {
    await expect(runServer(['-listen', '127.0.0.1:0', '-tcp-port', 'disabled', '-udp-port', 'disabled', '-grpc-port', '0.0.0.0:0'], { stderr: () => undefined, stopped: Promise.resolve() })).rejects.toThrow(
      /-grpc-port: refusing to listen on non-loopback address 0\.0\.0\.0:0; pass -allow-remote/,
    );
  });

  it('refuses a non-loopback echo address without -allow-remote', async () => {
    await expect(runServer(['-listen', '127.0.0.1:0', '-tcp-port', '0.0.0.0:0'], { stderr: () => undefined, stopped: Promise.resolve() })).rejects.toThrow(
      /-tcp-port: refusing to listen on non-loopback address 0\.0\.0\.0:0; pass -allow-remote/,
    );
  });
});
