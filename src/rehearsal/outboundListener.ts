/**
 * The outbound listener's inspectors (Envoy's tls_inspector and http_inspector on 15001): a
 * connection that opens with a TLS ClientHello goes to the SNI filter chains, any other to the
 * HTTP connection manager, whose codec is HTTP/2 when the bytes open with the HTTP/2 client
 * preface (h2c with prior knowledge; codec_type AUTO) and HTTP/1.1 otherwise. A TCP service's port
 * has neither: its tcp_proxy takes the connection as it is accepted (the client may wait for the
 * server to speak first).
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { Http2Server } from 'node:http2';
import { looksLikeTls } from './clientHello.js';
import type { SniProxy } from './sniProxy.js';
import type { TcpProxy } from './tcpProxy.js';

export interface OutboundListener {
  server: Server;
  /** stops listening and closes every connection it accepted */
  closeAll(): Promise<void>;
}

/** The connection preface's start; "PRI " alone is no HTTP/1.1 method Envoy's codec would take either. */
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0');

function looksLikeH2(first: Buffer): boolean {
  const n = Math.min(first.length, H2_PREFACE.length);
  return n >= 4 && first.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
}

/** What takes a connection once it is known not to be TLS: the HTTP connection manager's two codecs, or a TCP service's tcp_proxy. */
export type ListenerFilter = { server: HttpServer; h2server: Http2Server } | { tcp: TcpProxy };

export function outboundListener(sni: SniProxy, filter: ListenerFilter): OutboundListener {
  const accepted = new Set<Socket>();
  const server = createServer((socket) => {
    accepted.add(socket);
    socket.once('close', () => accepted.delete(socket));
    socket.on('error', () => socket.destroy());
    if ('tcp' in filter) {
      filter.tcp.accept(socket);
      return;
    }
    const { server: http, h2server: h2c } = filter;
    socket.once('data', (first: Buffer) => {
      if (looksLikeTls(first)) {
        sni.accept(socket, first);
        return;
      }
      // Hand the connection to the HTTP server, then the bytes already read: still in this tick, so
      // they reach its parser before any later read (unshift would sit behind its handle consumer).
      if (looksLikeH2(first)) {
        // The HTTP/2 session takes over the socket's handle and first drains what the socket
        // already buffered (node lib/internal/http2/core.js, Http2Session's setup), so the bytes go back there.
        socket.pause();
        socket.unshift(first);
        h2c.emit('connection', socket);
        return;
      }
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
