/**
 * fortio's UDP echo server (fnet.UDPEchoServer, fnet/network.go): each datagram is sent back to
 * its sender, synchronously on one socket (fortio's default, without -udp-async).
 */
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { EchoServerHandle } from './tcpEchoServer.js';

export function startUdpEchoServer(host: string, port: number): Promise<EchoServerHandle> {
  const s = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  s.on('message', (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address, () => undefined));
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, host, () => {
      s.off('error', reject);
      s.on('error', () => undefined); // a send to a vanished peer must not stop the server
      resolve({ address: s.address(), close: () => new Promise<void>((done) => s.close(() => done())) });
    });
  });
}
