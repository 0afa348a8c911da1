/**
 * Puts a `net` server on 127.0.0.1 port 0 and tracks its sockets, so that closing it also ends
 * the connections a client keeps alive (server.close alone waits for them).
 */
import * as net from 'node:net';

export interface Listening {
  port: number;
  close(): Promise<void>;
}

export async function listenLoopback(server: net.Server): Promise<Listening> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
