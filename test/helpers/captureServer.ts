/**
 * A raw loopback server that keeps every byte it receives: request-smuggling tests assert what
 * reached the wire, not what a parser made of it. Each request head (up to the blank line) gets
 * a 200 with a 2-byte body; bodies are not expected (the tests send none).
 */
import * as net from 'node:net';
import { listenLoopback } from './listenLoopback.js';

export interface CaptureServer {
  url: string;
  port: number;
  /** Everything received so far, all connections in accept order, as latin-1 (byte = char). */
  bytes(): string;
  /** Request heads received so far (each without its final blank line). */
  heads(): string[];
  reset(): void;
  close(): Promise<void>;
}

const OK = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok', 'latin1');

export async function startCaptureServer(): Promise<CaptureServer> {
  let received: Buffer[] = [];
  let heads: string[] = [];
  const server = net.createServer((socket) => {
    let pending = '';
    socket.on('data', (d: Buffer) => {
      received.push(d);
      pending += d.toString('latin1');
      for (let end = pending.indexOf('\r\n\r\n'); end >= 0; end = pending.indexOf('\r\n\r\n')) {
        heads.push(pending.slice(0, end));
        pending = pending.slice(end + 4);
        socket.write(OK);
      }
    });
    socket.on('error', () => undefined);
  });
  const { port, close } = await listenLoopback(server);
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    bytes: () => Buffer.concat(received).toString('latin1'),
    heads: () => [...heads],
    reset: () => {
      received = [];
      heads = [];
    },
    close,
  };
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Why a request head is not one well-formed request line plus `token: value` fields (each value
 * free of control characters), or undefined when it is: what a smuggled line would break.
 */
export function headProblem(head: string): string | undefined {
  const [requestLine = '', ...fields] = head.split('\r\n');
  if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ \S+ HTTP\/1\.[01]$/.test(requestLine)) return `request line ${JSON.stringify(requestLine)}`;
  for (const f of fields) {
    const i = f.indexOf(':');
    if (i <= 0 || !TOKEN.test(f.slice(0, i))) return `field ${JSON.stringify(f)}`;
    if (/[^\t\x20-\x7e\x80-\xff]/.test(f.slice(i + 1))) return `value of ${JSON.stringify(f)}`;
  }
  return undefined;
}
