/**
 * The echo clients' shared core (src/netload/echoClient.ts): one read-deadline timer per client,
 * refreshed per call, over real loopback sockets. A deadline that fired is armed again by the
 * next call; a disarmed one never fires its old callback into the next call.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { Deadline } from '../../src/netload/echoClient.js';
import { TcpEchoClient } from '../../src/netload/tcpClient.js';
import { ERR_TIMEOUT, UdpEchoClient } from '../../src/netload/udpClient.js';
import { startUdpEchoServer } from '../../src/netload/udpEchoServer.js';
import { newNetThreadStats } from '../../src/netload/stats.js';

const cleanup: Array<() => void> = [];
afterAll(() => {
  for (const f of cleanup) f();
});

describe('Deadline', () => {
  it('runs the callback of the latest arm only; disarm drops it', async () => {
    const d = new Deadline(20);
    const fired: string[] = [];
    d.arm(() => fired.push('first'));
    d.disarm();
    await new Promise<void>((resolve) => d.arm(() => (fired.push('second'), resolve())));
    // it fired once; armed again it fires again (refresh reactivates a timer that has run)
    await new Promise<void>((resolve) => d.arm(() => (fired.push('third'), resolve())));
    d.dispose();
    expect(fired).toEqual(['second', 'third']);
  });
});

describe('back-to-back read deadlines on one client', () => {
  it('UDP: a silent peer times out on every call, the timer reused across sockets', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    cleanup.push(() => silent.close());
    const stats = newNetThreadStats();
    const c = new UdpEchoClient(0, '127.0.0.1', silent.address().port, null, 100, stats);
    expect([await c.fetch(), await c.fetch(), await c.fetch()]).toEqual([ERR_TIMEOUT, ERR_TIMEOUT, ERR_TIMEOUT]);
    c.close();
    // every failure drops the socket: three dials
    expect(stats.socketCount).toBe(3);
  });

  it('UDP: echoes then a timeout then echoes, on the one timer', async () => {
    const echo = await startUdpEchoServer('127.0.0.1', 0);
    cleanup.push(() => void echo.close());
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    cleanup.push(() => silent.close());
    const ok = new UdpEchoClient(1, '127.0.0.1', echo.address.port, null, 100, newNetThreadStats());
    // many calls far shorter than the deadline: none of them times out
    for (let i = 0; i < 50; i++) expect(await ok.fetch()).toBeNull();
    ok.close();
    const c = new UdpEchoClient(2, '127.0.0.1', silent.address().port, null, 100, newNetThreadStats());
    expect(await c.fetch()).toBe(ERR_TIMEOUT);
    c.close();
  });

  it('TCP: a peer that accepts and never answers gives Go\'s read i/o timeout on every call', async () => {
    const held = new Set<Socket>();
    const s = createServer((conn) => {
      held.add(conn);
      conn.on('error', () => undefined);
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    cleanup.push(() => {
      for (const x of held) x.destroy();
      s.close();
    });
    const port = (s.address() as AddressInfo).port;
    const c = new TcpEchoClient(0, '127.0.0.1', port, null, 100, newNetThreadStats());
    const rs = [await c.fetch(), await c.fetch()];
    c.close();
    for (const r of rs) expect(r).toMatch(new RegExp(`^read tcp 127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${port}: i/o timeout$`));
  });
});
