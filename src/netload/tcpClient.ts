/**
 * fortio's TCPClient (tcprunner/tcprunner.go, Fetch and connect) on the shared echo client:
 * each message is written whole and read back until as many bytes came, compared byte for byte.
 * A reused socket that fails at write is closed and the message retried once on a new socket
 * ("Closing dead socket").
 */
import { Socket } from 'node:net';
import * as log from '../shared/log.js';
import { EchoClient, ERR_LONG_READ, ERR_MISMATCH, ERR_SHORT_READ } from './echoClient.js';
import type { EchoOutcome } from './echoClient.js';
import { dialError, goHostPort, goSyscallText } from './goErrors.js';

export { ERR_LONG_READ, ERR_MISMATCH, ERR_SHORT_READ } from './echoClient.js';
export type { EchoOutcome } from './echoClient.js';

export class TcpEchoClient extends EchoClient<Socket> {
  protected dial(): Promise<Socket | string> {
    return new Promise((resolve) => {
      const s = new Socket();
      const fail = (text: string): void => {
        s.destroy();
        log.error(`Unable to connect to ${this.dest} : ${text}`, { thread: this.thread });
        resolve(text);
      };
      // net.Dial has no deadline in fortio; here the read timeout bounds a silent connect too.
      const timer = setTimeout(() => fail(`dial tcp ${this.dest}: i/o timeout`), this.timeoutMs);
      s.once('error', (e) => {
        clearTimeout(timer);
        fail(dialError('tcp', this.dest, e));
      });
      s.connect({ host: this.address, port: this.port, noDelay: true }, () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        s.on('error', () => undefined); // surfaced by the read/write that meets it
        resolve(s);
      });
      this.inFlight = s;
    });
  }

  protected override droppedDeadSocket(conn: Socket): boolean {
    if (!(conn.destroyed || !conn.writable || conn.readableEnded)) return false;
    if (log.logEnabled(log.Level.Info)) log.info(`Closing dead socket ${this.dest} (closed while idle)`, { thread: this.thread });
    conn.destroy();
    return true;
  }

  protected destroy(s: Socket): void {
    s.destroy();
  }

  protected logFailure(r: string): void {
    if (r !== ERR_MISMATCH) log.error(`[${this.thread}] Unable to read: ${r}`, { thread: this.thread });
    else if (log.logEnabled(log.Level.Info)) log.info(`Mismatch between sent and received`, { thread: this.thread });
  }

  /** One write and the read of as many bytes back, before the read deadline set at the start (SetReadDeadline). */
  protected exchange(conn: Socket, req: Uint8Array): Promise<EchoOutcome> {
    const stats = this.stats;
    return new Promise((resolve) => {
      const got = Buffer.allocUnsafe(req.length);
      let n = 0;
      let done = false;
      const finish = (r: EchoOutcome): void => {
        // once only: a late callback of this call must not disarm the next call's deadline
        if (done) return;
        done = true;
        this.deadline.disarm();
        conn.off('data', onData);
        conn.off('end', onEnd);
        conn.off('close', onEnd);
        conn.off('error', onError);
        resolve(r);
      };
      const onData = (chunk: Buffer): void => {
        stats.bytesReceived += chunk.length;
        if (n + chunk.length > req.length) {
          finish(ERR_LONG_READ);
          return;
        }
        chunk.copy(got, n);
        n += chunk.length;
        if (n === req.length) finish(Buffer.compare(got, req) === 0 ? null : ERR_MISMATCH);
      };
      const onEnd = (): void => finish(ERR_SHORT_READ); // Go: EOF or ECONNRESET before all bytes
      const onError = (e: unknown): void => {
        const code = (e as { code?: unknown }).code;
        finish(code === 'ECONNRESET' || code === 'EPIPE' ? ERR_SHORT_READ : `read tcp ${local(conn)}: ${goSyscallText(e)}`);
      };
      this.deadline.arm(() => finish(`read tcp ${local(conn)}: i/o timeout`));
      conn.on('data', onData);
      conn.once('end', onEnd);
      conn.once('close', onEnd);
      conn.on('error', onError);
      conn.write(req);
      stats.bytesSent += req.length;
    });
  }
}

/** Go's `127.0.0.1:38732->127.0.0.1:8078` of a read error. */
function local(s: Socket): string {
  return `${goHostPort(s.localAddress ?? '', s.localPort ?? 0)}->${goHostPort(s.remoteAddress ?? '', s.remotePort ?? 0)}`;
}
