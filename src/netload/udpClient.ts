/**
 * fortio's UDPClient (udprunner/udprunner.go, Fetch) on the shared echo client: a connected
 * datagram socket; each message is one datagram and one datagram read back before the read
 * deadline (-udp-timeout, 750ms). Its errors are fortio's: `timeout`, `short read` (fewer bytes,
 * or a read error such as an ICMP port unreachable: Go's Read returns n = 0), `bug: long read`,
 * `read not echoing writes`.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import * as log from '../shared/log.js';
import { EchoClient, ERR_LONG_READ, ERR_MISMATCH, ERR_SHORT_READ } from './echoClient.js';
import type { EchoOutcome } from './echoClient.js';
import { dialError } from './goErrors.js';

export const ERR_TIMEOUT = 'timeout';

export class UdpEchoClient extends EchoClient<Socket> {
  protected dial(): Promise<Socket | string> {
    return new Promise((resolve) => {
      const s = createSocket(isIPv6(this.address) ? 'udp6' : 'udp4');
      this.inFlight = s;
      s.once('error', (e) => {
        s.close();
        const text = dialError('udp', this.dest, e);
        log.error(`Unable to connect to ${this.dest} : ${text}`, { thread: this.thread });
        resolve(text);
      });
      s.connect(this.port, this.address, () => {
        s.removeAllListeners('error');
        s.on('error', () => undefined); // surfaced by the read that meets it
        resolve(s);
      });
    });
  }

  protected destroy(s: Socket): void {
    try {
      s.close();
    } catch {
      // already closed
    }
  }

  protected logFailure(r: string, req: Uint8Array): void {
    if (r === ERR_LONG_READ) log.error(`BUG: read more than possible vs ${req.length}`, { thread: this.thread });
  }

  protected exchange(conn: Socket, req: Uint8Array): Promise<EchoOutcome> {
    const stats = this.stats;
    return new Promise((resolve) => {
      let done = false;
      const finish = (r: EchoOutcome): void => {
        // once only: a late callback of this call must not disarm the next call's deadline
        if (done) return;
        done = true;
        this.deadline.disarm();
        conn.off('message', onMessage);
        conn.off('error', onError);
        conn.off('close', onClose);
        resolve(r);
      };
      const onMessage = (msg: Buffer): void => {
        stats.bytesReceived += Math.min(msg.length, req.length); // Go reads into a len(req) buffer
        if (msg.length < req.length) finish(ERR_SHORT_READ);
        else if (msg.length > req.length) finish(ERR_LONG_READ);
        else finish(Buffer.compare(msg, req) === 0 ? null : ERR_MISMATCH);
      };
      const onError = (): void => finish(ERR_SHORT_READ);
      const onClose = (): void => finish(ERR_SHORT_READ);
      this.deadline.arm(() => finish(ERR_TIMEOUT));
      conn.on('message', onMessage);
      conn.on('error', onError);
      conn.once('close', onClose);
      conn.send(req, (e) => {
        if (e) finish(ERR_SHORT_READ);
        else stats.bytesSent += req.length;
      });
    });
  }
}
