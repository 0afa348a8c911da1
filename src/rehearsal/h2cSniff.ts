/**
 * HTTP/2 with prior knowledge on a plain HTTP port, as fortio's server does with x/net/http2/h2c:
 * a connection that opens with the client preface goes to the HTTP/2 server, any other to the
 * HTTP/1.1 one, so `-h2` clients and HTTP/1.1 clients share the one port.
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { Http2Server } from 'node:http2';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

export function h2cSniffer(http1: HttpServer, http2: Http2Server): Server {
  return createServer((socket: Socket) => {
    socket.on('error', () => socket.destroy());
    let seen: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      const isH2 = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      // A short first read that could still be the preface waits for the rest before choosing.
      if (isH2 && seen.length < PREFACE.length) return;
      socket.off('data', onData);
      socket.pause();
      if (isH2) {
        // The HTTP/2 session reads what is buffered on the socket before its handle, so unshift works.
        socket.unshift(seen);
        http2.emit('connection', socket);
        return;
      }
      // The HTTP/1.1 parser consumes the handle directly: replay the bytes in this same tick.
      http1.emit('connection', socket);
      socket.emit('data', seen);
      socket.resume();
    };
    socket.on('data', onData);
  });
}
