/**
 * fortio's TCP echo server (fnet.TCPEchoServer, fnet/network.go): every connection's bytes are
 * written back to it until it ends; then it is closed.
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface EchoServerHandle {
  /** host:port actually bound (port 0 gets the system's choice). */
  address: AddressInfo;
  close(): Promise<void>;
}

export function startTcpEchoServer(host: string, port: number): Promise<EchoServerHandle> {
  const sockets = new Set<Socket>();
  const server: Server = createServer({ noDelay: true }, (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => s.destroy());
    s.pipe(s); // Node ends the write side when the peer ends: fortio's Copy then Close
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve({
        address: server.address() as AddressInfo,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
