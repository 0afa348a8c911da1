/**
 * The outbound listener's inspectors (Envoy's tls_inspector and http_inspector on 15001): a
 * connection that opens with a TLS ClientHello goes to the SNI filter chains, any other to the
 * HTTP connection manager. A TCP service's port has neither: its tcp_proxy takes the connection as
 * it is accepted (the client may wait for the server to speak first).
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import { looksLikeTls } from './clientHello.js';
import type { SniProxy } from './sniProxy.js';
import type { TcpProxy } from './tcpProxy.js';

export interface OutboundListener {
  server: Server;
  /** stops listening and closes every connection it accepted */
  closeAll(): Promise<void>;
}

export function outboundListener(http: HttpServer, sni: SniProxy, tcp?: TcpProxy): OutboundListener {
  const accepted = new Set<Socket>();
  const server = createServer((socket) => {
    accepted.add(socket);
    socket.once('close', () => accepted.delete(socket));
    socket.on('error', () => socket.destroy());
    if (tcp) {
      tcp.accept(socket);
      return;
    }
    socket.once('data', (first: Buffer) => {
      if (looksLikeTls(first)) {
        sni.accept(socket, first);
        return;
      }
      // Hand the connection to the HTTP server, then the bytes already read: still in this tick, so
      // they reach its parser before any later read (unshift would sit behind its handle consumer).
      http.emit('connection', socket);
      socket.emit('data', first);
    });
  });
  return {
    server,
    closeAll: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of accepted) s.destroy();
      }),
  };
}
