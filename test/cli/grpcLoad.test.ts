/**
 * `tripbench load -grpc` end to end: the built CLI in a child process against tripbench's gRPC
 * ping + health server on loopback (real HTTP/2 framing), fortio's report lines and
 * GRPCRunnerResults JSON, -s streams over -c connections (counted by a TCP relay in front of the
 * server), health statuses, first-call aborts and exit codes, TLS and mTLS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reportLines, runCli } from '../helpers/cli.js';
import { refusedPort } from '../helpers/servers.js';
import { issue } from '../helpers/testCerts.js';
import { startPingServer, type GrpcServerHandle } from '../../src/grpc/pingServer.js';

const dir = mkdtempSync(join(tmpdir(), 'tb-grpcload-'));
const handles: GrpcServerHandle[] = [];
const relays: Server[] = [];
let plain: GrpcServerHandle;

beforeAll(async () => {
  plain = await startPingServer('127.0.0.1', '0');
  handles.push(plain);
});
afterAll(async () => {
  await Promise.all(handles.map((h) => h.close()));
  for (const r of relays) r.close();
});

type Json = Record<string, unknown> & { RetCodes: Record<string, number>; DurationHistogram: { Count: number }; ErrorsDurationHistogram: { Count: number } };

/** periodic.RunnerResults then fgrpc.GRPCRunnerResults' exported fields, then ours. */
const GRPC_KEYS = [
  'RunType', 'Labels', 'StartTime', 'RequestedQPS', 'RequestedDuration', 'ActualQPS', 'ActualDuration', 'NumThreads', 'Version',
  'DurationHistogram', 'ErrorsDurationHistogram', 'Exactly', 'Jitter', 'Uniform', 'NoCatchUp', 'RunID', 'AccessLoggerInfo', 'ID',
  'RetCodes', 'Destination', 'Streams', 'Ping', 'Metadata', 'Tripbench',
];

async function load(args: string[]): Promise<{ code: number | null; lines: string[]; stderr: string; json: Json | null }> {
  const file = join(dir, `r${Math.random().toString(36).slice(2)}.json`);
  const r = await runCli(['load', '-json', file, ...args]);
  let json: Json | null = null;
  try {
    json = JSON.parse(readFileSync(file, 'utf8')) as Json;
  } catch {
    json = null;
  }
  return { code: r.code, lines: reportLines(r.stderr), stderr: r.stderr, json };
}

/** A TCP relay to `port` that counts the connections it accepts: the server side's view of -c. */
async function countingRelay(port: number): Promise<{ port: number; connections: () => number }> {
  let n = 0;
  const open = new Set<Socket>();
  const relay = createServer((down) => {
    n++;
    const up = createConnection({ host: '127.0.0.1', port });
    open.add(down).add(up);
    down.pipe(up).pipe(down);
    const end = (): void => {
      down.destroy();
      up.destroy();
    };
    down.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  relays.push(relay);
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  return { port: (relay.address() as AddressInfo).port, connections: () => n };
}

describe('tripbench load -grpc (health, the default)', () => {
  it('-n 20 -c 2: fortio lines (Jitter, Health SERVING), GRPCRunnerResults JSON in field order, exit 0', async () => {
    const dest = `127.0.0.1:${plain.port}`;
    const { code, lines, json } = await load(['-grpc', '-qps', '0', '-n', '20', '-c', '2', dest]);
    expect(code).toBe(0);
    expect(lines[0]).toMatch(new RegExp(`^Fortio \\S+ running at 0 queries per second, \\d+->\\d+ procs, for 20 calls: ${dest}$`));
    expect(lines.some((l) => /^Starting at max qps with 2 thread\(s\) \[gomax \d+\] for exactly 20 calls \(10 per thread \+ 0\)$/.test(l))).toBe(true);
    expect(lines.some((l) => /^Ended after \S+ : 20 calls\. qps=[\d.]+$/.test(l))).toBe(true);
    expect(lines.some((l) => l.startsWith('Aggregated Function Time : count 20 '))).toBe(true);
    expect(lines).toContain('Error cases : no data');
    const tail = lines.slice(lines.indexOf('Error cases : no data') + 1);
    expect(tail[0]).toBe('Jitter: false');
    expect(tail[1]).toBe('Health SERVING : 20');
    expect(tail[2]).toMatch(/^All done 20 calls \(plus 0 warmup\) [\d.]+ ms avg, [\d.]+ qps$/);
    expect(lines.some((l) => l.startsWith('Code ') || l.startsWith('Sockets used'))).toBe(false);
    expect(Object.keys(json as Json)).toEqual(GRPC_KEYS);
    expect(json).toMatchObject({
      RunType: "GRPC Health for ''",
      Labels: expect.stringMatching(new RegExp(`^${dest} , `)),
      RequestedDuration: 'exactly 20 calls',
      NumThreads: 2,
      RetCodes: { SERVING: 20 },
      Destination: dest,
      Streams: 1,
      Ping: false,
      Metadata: { 'user-agent': [expect.stringMatching(/^tripbench\//)] },
    });
  });

  it('-healthservice: NOT_SERVING for <name>_down (errors histogram), ERROR for an unknown service', async () => {
    const dest = `127.0.0.1:${plain.port}`;
    const down = await load(['-grpc', '-healthservice', 'ping_down', '-qps', '0', '-n', '6', '-c', '1', dest]);
    expect(down.code).toBe(0);
    expect(down.lines).toContain('Health NOT_SERVING : 6');
    expect(down.json?.RetCodes).toEqual({ NOT_SERVING: 6 });
    expect(down.json?.ErrorsDurationHistogram.Count).toBe(6);
    expect(down.json?.RunType).toBe("GRPC Health for 'ping_down'");
    const unknown = await load(['-grpc', '-healthservice', 'nope', '-qps', '0', '-n', '4', '-c', '1', dest]);
    expect(unknown.code).toBe(0);
    expect(unknown.lines).toContain('Health ERROR : 4');
    expect(unknown.stderr).toContain('Error making grpc call: rpc error: code = NotFound desc = unknown service');
  });
});

describe('tripbench load -grpc -ping', () => {
  it('-payload and -grpc-ping-delay: RunType names them, every ping answered after the delay', async () => {
    const dest = `127.0.0.1:${plain.port}`;
    const { code, lines, json } = await load(['-grpc', '-ping', '-payload', 'abc', '-grpc-ping-delay', '20ms', '-qps', '0', '-n', '8', '-c', '2', dest]);
    expect(code).toBe(0);
    expect(lines).toContain('Ping SERVING : 8');
    expect(json).toMatchObject({ RunType: 'GRPC Ping Delay=20ms PayloadLength=3', Ping: true, RetCodes: { SERVING: 8 } });
    // timers never fire early: each call waited the server's delay
    expect((json as unknown as { DurationHistogram: { Min: number } }).DurationHistogram.Min).toBeGreaterThanOrEqual(0.019);
  });

  it('-t with warmup: one first call per connection, `(plus <-c> warmup)`', async () => {
    const dest = `127.0.0.1:${plain.port}`;
    const { code, lines, json } = await load(['-grpc', '-ping', '-qps', '40', '-t', '1s', '-c', '2', dest]);
    expect(code).toBe(0);
    expect(lines.some((l) => /^All done \d+ calls \(plus 2 warmup\)/.test(l))).toBe(true);
    expect(json?.RequestedDuration).toBe('1s');
  });

  it('-s 3 -c 2: six streams on two connections, as the server side counts them', async () => {
    const relay = await countingRelay(plain.port);
    const dest = `127.0.0.1:${relay.port}`;
    const { code, lines, json } = await load(['-grpc', '-ping', '-s', '3', '-c', '2', '-qps', '0', '-n', '60', dest]);
    expect(code).toBe(0);
    expect(lines.some((l) => /^Starting at max qps with 6 thread\(s\) \[gomax \d+\] for exactly 60 calls \(10 per thread \+ 0\)$/.test(l))).toBe(true);
    expect(json).toMatchObject({ NumThreads: 6, Streams: 3, RetCodes: { SERVING: 60 } });
    expect(relay.connections()).toBe(2);
  });

  it('-workers 2 keeps a connection\'s streams on one worker: still two connections', async () => {
    const relay = await countingRelay(plain.port);
    const { code, json } = await load(['-grpc', '-ping', '-s', '2', '-c', '2', '-workers', '2', '-qps', '0', '-n', '40', `127.0.0.1:${relay.port}`]);
    expect(code).toBe(0);
    expect(json?.RetCodes).toEqual({ SERVING: 40 });
    expect(relay.connections()).toBe(2);
  });
});

describe('tripbench load -grpc -shard and tripbench merge', () => {
  it('two shards of -n 10 merge into one gRPC result: RetCodes add, fortio\'s gRPC lines and JSON shape', async () => {
    const dest = `127.0.0.1:${plain.port}`;
    const files = [join(dir, 'shard0.json'), join(dir, 'shard1.json')];
    for (const [i, f] of files.entries()) {
      const r = await runCli(['load', '-grpc', '-ping', '-qps', '0', '-n', '10', '-c', '1', '-shard', `${i}/2`, '-json', f, dest]);
      expect(r.code).toBe(0);
    }
    const out = join(dir, 'merged.json');
    const m = await runCli(['merge', '-o', out, ...files]);
    expect(m.code).toBe(0);
    expect(m.stdout).toContain('Ping SERVING : 10');
    const json = JSON.parse(readFileSync(out, 'utf8')) as Json;
    expect(Object.keys(json)).toEqual(GRPC_KEYS);
    expect(json).toMatchObject({ RunType: 'GRPC Ping', RetCodes: { SERVING: 10 }, Destination: dest, Ping: true });
  });
});

describe('tripbench load -grpc: errors and exit codes', () => {
  it('a refused port: fortio\'s first-call error, `Aborting because of rpc error: …`, exit 1', async () => {
    const { port } = await refusedPort();
    const { code, lines, stderr, json } = await load(['-grpc', '-ping', '-c', '3', `127.0.0.1:${port}`]);
    expect(code).toBe(1);
    expect(lines.at(-1)).toMatch(/^Aborting because of rpc error: code = Unavailable desc = .*ECONNREFUSED/);
    expect(stderr.match(/Error in first grpc call \(ping = true\)/g)?.length).toBe(1);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(json).toBeNull();
  });

  it('a refused port with -n (no first call): every call ERROR, exit 0; -allow-initial-errors runs too', async () => {
    const { port } = await refusedPort();
    const n = await load(['-grpc', '-qps', '0', '-n', '4', '-c', '1', `127.0.0.1:${port}`]);
    expect(n.code).toBe(0);
    expect(n.lines).toContain('Health ERROR : 4');
    expect(n.json?.ErrorsDurationHistogram.Count).toBe(4);
    const allow = await load(['-grpc', '-allow-initial-errors', '-qps', '20', '-t', '300ms', '-c', '1', `127.0.0.1:${port}`]);
    expect(allow.code).toBe(0);
    expect(allow.lines.some((l) => /^Health ERROR : \d+$/.test(l))).toBe(true);
  });

  it('a bad flag value exits 2 with one line naming it', async () => {
    const r = await runCli(['load', '-grpc', '-s', 'x', '127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toMatch(/-s/);
  });
});

describe('tripbench load -grpc over TLS', () => {
  let files: Record<string, string>;
  let tlsPort: number;
  let mtlsPort: number;

  beforeAll(async () => {
    const ca = issue('grpc test CA', 'ca');
    const other = issue('other CA', 'ca');
    const srv = issue('127.0.0.1', 'server', ca);
    const good = issue('good-client', 'client', ca);
    const stranger = issue('stranger-client', 'client', other);
    files = {};
    for (const [name, text] of Object.entries({ ca: ca.certPem, otherCa: other.certPem, goodCert: good.certPem, goodKey: good.keyPem, strangerCert: stranger.certPem, strangerKey: stranger.keyPem })) {
      files[name] = join(dir, `${name}.pem`);
      writeFileSync(files[name] as string, text);
    }
    const tls = await startPingServer('127.0.0.1', '0', 'ping', { tls: { cert: srv.certPem, key: srv.keyPem } });
    const mtls = await startPingServer('127.0.0.1', '0', 'ping', { tls: { cert: srv.certPem, key: srv.keyPem, ca: ca.certPem } });
    handles.push(tls, mtls);
    tlsPort = tls.port;
    mtlsPort = mtls.port;
  });

  it('-cacert: TLS to a server its CA signed; the wrong CA is refused (first call error, exit 1)', async () => {
    const ok = await load(['-grpc', '-ping', '-cacert', files['ca'] as string, '-qps', '0', '-n', '6', '-c', '2', `127.0.0.1:${tlsPort}`]);
    expect(ok.code).toBe(0);
    expect(ok.json?.RetCodes).toEqual({ SERVING: 6 });
    const wrong = await load(['-grpc', '-ping', '-cacert', files['otherCa'] as string, '-c', '1', `127.0.0.1:${tlsPort}`]);
    expect(wrong.code).toBe(1);
    expect(wrong.lines.at(-1)).toMatch(/^Aborting because of rpc error: code = Unavailable/);
  });

  it('plaintext to a TLS port fails; -k accepts any server certificate', async () => {
    const plainToTls = await load(['-grpc', '-c', '1', `127.0.0.1:${tlsPort}`]);
    expect(plainToTls.code).toBe(1);
    const k = await load(['-grpc', '-k', '-qps', '0', '-n', '3', '-c', '1', `https://127.0.0.1:${tlsPort}`]);
    expect(k.code).toBe(0);
    expect(k.json?.RetCodes).toEqual({ SERVING: 3 });
  });

  it('mTLS: the CA-signed client certificate is accepted; none, or another CA\'s, is refused', async () => {
    const dest = `127.0.0.1:${mtlsPort}`;
    const good = await load(['-grpc', '-ping', '-cacert', files['ca'] as string, '-cert', files['goodCert'] as string, '-key', files['goodKey'] as string, '-qps', '0', '-n', '4', '-c', '1', dest]);
    expect(good.code).toBe(0);
    expect(good.json?.RetCodes).toEqual({ SERVING: 4 });
    const none = await load(['-grpc', '-ping', '-cacert', files['ca'] as string, '-qps', '0', '-n', '2', '-c', '1', dest]);
    expect(none.code).toBe(0);
    expect(none.json?.RetCodes).toEqual({ ERROR: 2 });
    const stranger = await load(['-grpc', '-ping', '-cacert', files['ca'] as string, '-cert', files['strangerCert'] as string, '-key', files['strangerKey'] as string, '-c', '1', dest]);
    expect(stranger.code).toBe(1);
    expect(stranger.lines.at(-1)).toMatch(/^Aborting because of rpc error: code = Unavailable/);
  });
});
