/**
 * The tcp/udp echo servers of `tripbench server` and the load clients of src/netload/, over real
 * loopback sockets: bytes go out and the same bytes come back, compared here; fortio's error
 * texts for a peer that does not echo (tcprunner/udprunner Fetch).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { startTcpEchoServer, type EchoServerHandle } from '../../src/netload/tcpEchoServer.js';
import { startUdpEchoServer } from '../../src/netload/udpEchoServer.js';
import { ERR_MISMATCH, ERR_SHORT_READ, TcpEchoClient } from '../../src/netload/tcpClient.js';
import { ERR_TIMEOUT, UdpEchoClient } from '../../src/netload/udpClient.js';
import { generatePayload } from '../../src/netload/payload.js';
import { parseNetDestination } from '../../src/netload/options.js';
import { newNetThreadStats } from '../../src/netload/stats.js';
import { NetRunnable } from '../../src/netload/netRunnable.js';

const handles: EchoServerHandle[] = [];
const raw: Server[] = [];
const rawSockets = new Set<Socket>();
afterAll(async () => {
  await Promise.all(handles.map((h) => h.close()));
  for (const c of rawSockets) c.destroy();
  await Promise.all(raw.map((s) => new Promise((r) => s.close(r))));
});

async function tcpEcho(): Promise<number> {
  const h = await startTcpEchoServer('127.0.0.1', 0);
  handles.push(h);
  return h.address.port;
}

async function udpEcho(): Promise<number> {
  const h = await startUdpEchoServer('127.0.0.1', 0);
  handles.push(h);
  return h.address.port;
}

/** A TCP server that answers each chunk with `reply(chunk)` (or closes at once when reply is null). */
async function rawTcp(reply: ((b: Buffer) => Buffer) | null): Promise<number> {
  const s = createServer((c) => {
    rawSockets.add(c);
    c.on('error', () => undefined);
    if (reply === null) c.end();
    else c.on('data', (d) => c.write(reply(d)));
  });
  raw.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return (s.address() as AddressInfo).port;
}

describe('fortio default payload', () => {
  it('is 24 bytes, unique per thread and message (tcprunner.GeneratePayload)', () => {
    expect(generatePayload(3, 42).toString('latin1')).toBe('Fortio\n0003\n000000000042');
    expect(generatePayload(9999, 999_999_999_999)).toHaveLength(24);
  });
});

describe('destinations', () => {
  it('splits tcp:// and udp:// URLs as fnet.ResolveDestinationInternal does', () => {
    expect(parseNetDestination('tcp://127.0.0.1:8078')).toEqual({ proto: 'tcp', host: '127.0.0.1', port: 8078 });
    expect(parseNetDestination('UDP://[::1]:53/')).toEqual({ proto: 'udp', host: '::1', port: 53 });
    expect(() => parseNetDestination('tcp://localhost')).toThrow("destination 'localhost' is not host:port format");
  });
});

describe('TCP echo server', () => {
  it('writes back exactly the bytes it received, over several writes', async () => {
    const port = await tcpEcho();
    const sent = Buffer.concat([Buffer.from('hello\n'), Buffer.alloc(70_000, 7), Buffer.from([0, 255, 1])]);
    const got: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      const c = connect(port, '127.0.0.1', () => {
        c.write(sent.subarray(0, 10));
        c.end(sent.subarray(10));
      });
      c.on('data', (d) => got.push(d));
      c.on('error', reject);
      c.on('close', () => resolve());
    });
    expect(Buffer.concat(got).equals(sent)).toBe(true);
  });
});

describe('UDP echo server', () => {
  it('sends each datagram back to its sender', async () => {
    const port = await udpEcho();
    const s = createSocket('udp4');
    const sent = Buffer.from('Fortio\n0000\n000000000001');
    const back = await new Promise<Buffer>((resolve) => {
      s.on('message', (m) => resolve(m));
      s.send(sent, port, '127.0.0.1');
    });
    s.close();
    expect(back.equals(sent)).toBe(true);
  });
});

describe('TcpEchoClient', () => {
  it('echoes on one socket, counts bytes both ways, and reuses the socket', async () => {
    const port = await tcpEcho();
    const stats = newNetThreadStats();
    const c = new TcpEchoClient(0, '127.0.0.1', port, null, 10_000, stats);
    for (let i = 0; i < 5; i++) expect(await c.fetch()).toBeNull();
    c.close();
    expect(stats).toMatchObject({ socketCount: 1, bytesSent: 120, bytesReceived: 120 });
  });

  it('sends -payload bytes as given', async () => {
    const port = await tcpEcho();
    const stats = newNetThreadStats();
    const c = new TcpEchoClient(0, '127.0.0.1', port, Buffer.from('abc'), 10_000, stats);
    expect(await c.fetch()).toBeNull();
    c.close();
    expect(stats.bytesReceived).toBe(3);
  });

  it("reports fortio's errors: mismatch, short read (peer closed), connection refused", async () => {
    const reversed = await rawTcp((b) => Buffer.from(b).reverse());
    const closing = await rawTcp(null);
    const stats = newNetThreadStats();
    const m = new TcpEchoClient(0, '127.0.0.1', reversed, null, 10_000, stats);
    expect(await m.fetch()).toBe(ERR_MISMATCH);
    m.close();
    const s = new TcpEchoClient(0, '127.0.0.1', closing, null, 10_000, stats);
    expect(await s.fetch()).toBe(ERR_SHORT_READ);
    s.close();
    const dead = await rawTcp(null);
    await new Promise((r) => (raw.pop() as Server).close(r));
    const d = new TcpEchoClient(0, '127.0.0.1', dead, null, 10_000, stats);
    expect(await d.fetch()).toBe(`dial tcp 127.0.0.1:${dead}: connect: connection refused`);
  });
});

describe('UdpEchoClient', () => {
  it('echoes datagrams on one socket', async () => {
    const port = await udpEcho();
    const stats = newNetThreadStats();
    const c = new UdpEchoClient(1, '127.0.0.1', port, null, 10_000, stats);
    for (let i = 0; i < 3; i++) expect(await c.fetch()).toBeNull();
    c.close();
    expect(stats).toMatchObject({ socketCount: 1, bytesSent: 72, bytesReceived: 72 });
  });

  it('times out (fortio: "timeout") when nothing answers', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    const stats = newNetThreadStats();
    const c = new UdpEchoClient(0, '127.0.0.1', silent.address().port, null, 200, stats);
    expect(await c.fetch()).toBe(ERR_TIMEOUT);
    c.close();
    silent.close();
    expect(stats.bytesSent).toBe(24);
  });
});

describe('NetRunnable', () => {
  it('counts OK and errors by fortio key, warmups outside RetCodes', async () => {
    const port = await tcpEcho();
    const stats = newNetThreadStats();
    const r = new NetRunnable(new TcpEchoClient(0, '127.0.0.1', port, null, 10_000, stats), stats);
    expect(await r.run(true)).toEqual({ ok: true, code: 0 });
    expect(await r.run(false)).toEqual({ ok: true, code: 0 });
    await r.close();
    expect(r.snapshot().retCodes).toEqual({ OK: 1 });
    expect(r.snapshot().bytesSent).toBe(48);
  });
});
