/**
 * `tripbench grpcping`: fortio's grpcping command against tripbench's ping server on loopback:
 * the per-round `Ping RTT` log lines, the clock skew and RTT histograms on stdout, -health and
 * its exit code, a refused port and a missing host (one line, exit 1), TLS with -cacert.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { logLines, runCli } from '../helpers/cli.js';
import { refusedPort } from '../helpers/servers.js';
import { issue } from '../helpers/testCerts.js';
import { startPingServer, type GrpcServerHandle } from '../../src/grpc/pingServer.js';

let plain: GrpcServerHandle;
let tls: GrpcServerHandle;
let caFile: string;

beforeAll(async () => {
  plain = await startPingServer('127.0.0.1', '0');
  const ca = issue('grpcping CA', 'ca');
  const srv = issue('127.0.0.1', 'server', ca);
  caFile = join(mkdtempSync(join(tmpdir(), 'tb-grpcping-')), 'ca.pem');
  writeFileSync(caFile, ca.certPem);
  tls = await startPingServer('127.0.0.1', '0', 'ping', { tls: { cert: srv.certPem, key: srv.keyPem } });
});
afterAll(() => Promise.all([plain.close(), tls.close()]));

describe('tripbench grpcping', () => {
  it('-n 4 -payload: four `Ping RTT` rounds, the clock skew (4) and RTT (12) histograms with their p50, exit 0', async () => {
    const r = await runCli(['grpcping', '-n', '4', '-payload', 'hello', `127.0.0.1:${plain.port}`]);
    expect(r.code).toBe(0);
    const rounds = logLines(r.stderr).filter((l) => /^Ping RTT \d+ \(avg of -?\d+, -?\d+, -?\d+ ns\) clock skew -?\d+$/.test(String(l['msg'])));
    expect(rounds.length).toBe(4);
    const out = r.stdout.split('\n');
    expect(out[0]).toMatch(/^Clock skew histogram usec : count 4 avg /);
    expect(out[1]).toBe('# range, mid point, percentile, count');
    expect(out.filter((l) => l.startsWith('RTT histogram usec : count 12 avg ')).length).toBe(1);
    expect(out.filter((l) => /^# target 50% \S+$/.test(l)).length).toBe(2);
  });

  it('-health: the RTT histogram then `Health SERVING : 3`; NOT_SERVING logs and exits 1', async () => {
    const ok = await runCli(['grpcping', '-health', '-n', '3', `127.0.0.1:${plain.port}`]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^RTT histogram usec : count 3 /);
    expect(ok.stdout.trim().split('\n').at(-1)).toBe('Health SERVING : 3');
    const down = await runCli(['grpcping', '-health', '-healthservice', 'ping_down', '-n', '2', `127.0.0.1:${plain.port}`]);
    expect(down.code).toBe(1);
    expect(down.stdout.trim().split('\n').at(-1)).toBe('Health NOT_SERVING : 2');
    expect(logLines(down.stderr).map((l) => l['msg'])).toContain('Unexpected SERVING count 0 vs 2');
  });

  it('a refused port: `grpc error from Ping0 rpc error: code = Unavailable …`, exit 1, nothing on stdout', async () => {
    const { port } = await refusedPort();
    const r = await runCli(['grpcping', `127.0.0.1:${port}`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(logLines(r.stderr).map((l) => String(l['msg']))).toEqual([expect.stringMatching(/^grpc error from Ping0 rpc error: code = Unavailable desc = /)]);
  });

  it('no host: fortio\'s one-line usage error, exit 1', async () => {
    const r = await runCli(['grpcping']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe('Error: tripbench grpcping needs host argument in the form of host, host:port or ip:port');
  });

  it('-cacert: TLS to a server its CA signed', async () => {
    const r = await runCli(['grpcping', '-cacert', caFile, '-n', '2', `127.0.0.1:${tls.port}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^RTT histogram usec : count 6 /m);
    const plainToTls = await runCli(['grpcping', `127.0.0.1:${tls.port}`]);
    expect(plainToTls.code).toBe(1);
  });
});
