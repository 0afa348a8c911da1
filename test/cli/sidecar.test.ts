/**
 * `tripbench sidecar -service-protocol` through the real binary: `tcp` makes the listener a
 * tcp_proxy to the cluster (the echo passes, /stats has tcp.* and no http.* stats), a bad value is
 * one line and exit 2.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpEchoServer, type EchoServerHandle } from '../../src/netload/tcpEchoServer.js';
import { runCli } from '../helpers/cli.js';
import { tcpEchoDestinationRule } from '../helpers/meshFixtures.js';

const DR = tcpEchoDestinationRule(1);
const CLUSTER = 'outbound|9000||tcp-echo.default.svc.cluster.local';

let echo: EchoServerHandle;
let dir: string;
beforeAll(async () => {
  echo = await startTcpEchoServer('127.0.0.1', 0);
  dir = mkdtempSync(join(tmpdir(), 'tripbench-sidecar-cli-'));
  writeFileSync(join(dir, 'dr.yaml'), DR);
});
afterAll(async () => {
  await echo.close();
});

/** Writes `msg` to host:port and resolves with what came back once as many bytes did. */
function echoThrough(port: number, msg: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.write(msg));
    let got = '';
    s.on('data', (c: Buffer) => {
      got += c.toString();
      if (got.length >= msg.length) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', reject);
    s.on('close', () => resolve(got));
  });
}

describe('tripbench sidecar -service-protocol', () => {
  it('tcp: the listener is a tcp_proxy to the cluster; /stats has its tcp.* stats and no http.* ones', async () => {
    let checked: Promise<{ echoed: string; stats: string }> | undefined;
    const run = await runCli(
      ['sidecar', '-f', join(dir, 'dr.yaml'), '-service-port', '9000', '-service-protocol', 'tcp', '-upstream', `127.0.0.1:${echo.address.port}`, '-listen', '127.0.0.1:0', '-admin', '127.0.0.1:0', '-stats-inclusion', 'all'],
      {
        onStderr: (soFar, child) => {
          const listen = /listening on tcp:\/\/127\.0\.0\.1:(\d+) \(tcp_proxy\)/.exec(soFar);
          const admin = /admin on (http:\/\/127\.0\.0\.1:\d+)/.exec(soFar);
          if (checked !== undefined || !listen || !admin) return;
          checked = (async () => {
            const echoed = await echoThrough(Number(listen[1]), 'hello tcp');
            const stats = await (await fetch(`${admin[1]}/stats`)).text();
            return { echoed, stats };
          })().finally(() => child.kill('SIGTERM'));
        },
      },
    );
    expect(checked).toBeDefined();
    const { echoed, stats } = await (checked as Promise<{ echoed: string; stats: string }>);
    expect(echoed).toBe('hello tcp');
    expect(run.stderr).toContain(`cluster ${CLUSTER} → 127.0.0.1:${echo.address.port}`);
    expect(stats).toContain(`tcp.${CLUSTER}.downstream_cx_total: 1\n`);
    expect(stats).toContain(`cluster.${CLUSTER};.upstream_cx_total: 1\n`);
    expect(stats.split('\n').filter((l) => l.startsWith('http.'))).toEqual([]);
  });

  it('an unknown protocol is one line naming the flag, exit 2', async () => {
    const run = await runCli(['sidecar', '-f', join(dir, 'dr.yaml'), '-service-protocol', 'udp', '-listen', '127.0.0.1:0', '-admin', 'off']);
    expect(run.code).toBe(2);
    const lines = run.stderr.trim().split('\n');
    expect(lines[0]).toBe('tripbench: invalid value "udp" for flag -service-protocol: want http, http2, grpc, tcp (empty: from the resources)');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
