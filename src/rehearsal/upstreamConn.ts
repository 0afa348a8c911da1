/**
 * One upstream HTTP/1.1 connection with its own small response parser. The emulator needs to
 * know exactly when a response ends (that is when Envoy closes a draining connection and frees
 * the pool slot), which node:http's Agent hides; so the codec is hand-rolled and bounded.
 */
import type { Socket } from 'node:net';
import type { ResetReason } from './localReply.js';

export type RawHeaders = Array<[string, string]>;

export interface ResponseHandlers {
  onHeaders(status: number, headers: RawHeaders): void;
  onData(chunk: Buffer): void;
  /** HTTP/2 response trailers (gRPC's grpc-status), just before onEnd */
  onTrailers?(trailers: RawHeaders): void;
  onEnd(): void;
  /**
   * The response did not end: the connection broke or sent garbage (no reason: connection
   * termination), or an HTTP/2 upstream reset the stream (its reason).
   */
  onReset(reason?: ResetReason): void;
}

const MAX_HEAD_BYTES = 60 * 1024; // Envoy's default max_request_headers_kb

type State = 'idle' | 'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailers' | 'until-close' | 'closed';

export class UpstreamConnection {
  private state: State = 'idle';
  private buf: Buffer = Buffer.alloc(0);
  private remaining = 0;
  private handlers: ResponseHandlers | undefined;
  private noBody = false;
  /** the upstream asked to close (Connection: close or HTTP/1.0) */
  private closeAfter = false;
  private closeListeners: Array<() => void> = [];
  readonly createdAt = Date.now();

  constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d: Buffer) => this.onSocketData(d));
    socket.on('error', () => {
      /* 'close' follows */
    });
    socket.on('close', () => this.onSocketClose());
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  /** true when the last response allows no further request on this connection */
  get mustClose(): boolean {
    return this.closeAfter;
  }

  onClose(cb: () => void): void {
    this.closeListeners.push(cb);
  }

  /** Sends one request; the handlers get exactly one of onEnd / onReset. */
  send(head: string, body: Buffer | undefined, headRequest: boolean, handlers: ResponseHandlers): void {
    if (this.state !== 'idle') throw new Error(`upstream connection busy (${this.state})`);
    this.handlers = handlers;
    this.noBody = headRequest;
    this.state = 'head';
    this.buf = Buffer.alloc(0);
    this.socket.write(body && body.length > 0 ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : head, 'latin1');
  }

  /** Abrupt close (route timeout, downstream went away, ejection): no handler is called any more. */
  destroy(): void {
    this.handlers = undefined;
    this.state = 'closed';
    this.socket.destroy();
  }

  private onSocketClose(): void {
    const prev = this.state;
    this.state = 'closed';
    if (prev === 'until-close') this.finish();
    else if (prev !== 'idle' && prev !== 'closed') this.fail();
    const listeners = this.closeListeners;
    this.closeListeners = [];
    for (const cb of listeners) cb();
  }

  private fail(): void {
    const h = this.handlers;
    this.handlers = undefined;
    if (this.state !== 'closed') {
      this.state = 'closed';
      this.socket.destroy();
    }
    h?.onReset();
  }

  private finish(): void {
    const h = this.handlers;
    this.handlers = undefined;
    if (this.state !== 'closed') this.state = 'idle';
    h?.onEnd();
  }

  private onSocketData(d: Buffer): void {
    if (this.state === 'idle') {
      // Bytes nobody asked for: the connection cannot be trusted any more.
      this.socket.destroy();
      return;
    }
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    this.parse();
  }

  private parse(): void {
    for (;;) {
      switch (this.state) {
        case 'head': {
          const end = this.buf.indexOf('\r\n\r\n');
          if (end < 0) {
            if (this.buf.length > MAX_HEAD_BYTES) this.fail();
            return;
          }
          const headText = this.buf.subarray(0, end).toString('latin1');
          this.buf = this.buf.subarray(end + 4);
          if (!this.onHead(headText)) return;
          break;
        }
        case 'length': {
          if (this.buf.length === 0) return;
          if (this.passBody()) {
            this.finish();
            return;
          }
          break;
        }
        case 'chunk-size': {
          const eol = this.buf.indexOf('\r\n');
          if (eol < 0) {
            if (this.buf.length > 1024) this.fail();
            return;
          }
          const line = this.buf.subarray(0, eol).toString('latin1').split(';')[0]?.trim() ?? '';
          this.buf = this.buf.subarray(eol + 2);
          if (!/^[0-9a-fA-F]+$/.test(line)) {
            this.fail();
            return;
          }
          this.remaining = parseInt(line, 16);
          this.state = this.remaining === 0 ? 'trailers' : 'chunk-data';
          break;
        }
        case 'chunk-data': {
          if (this.buf.length === 0) return;
          if (this.passBody()) this.state = 'chunk-crlf';
          break;
        }
        case 'chunk-crlf': {
          if (this.buf.length < 2) return;
          this.buf = this.buf.subarray(2);
          this.state = 'chunk-size';
          break;
        }
        case 'trailers': {
          const eol = this.buf.indexOf('\r\n');
          if (eol < 0) return;
          const empty = eol === 0;
          this.buf = this.buf.subarray(eol + 2);
          if (empty) {
            this.finish();
            return;
          }
          break;
        }
        case 'until-close': {
          if (this.buf.length > 0) this.handlers?.onData(this.buf);
          this.buf = Buffer.alloc(0);
          return;
        }
        default:
          return;
      }
    }
  }

  /** Hands on what has arrived of the `remaining` body bytes; true once they all have. */
  private passBody(): boolean {
    const take = Math.min(this.remaining, this.buf.length);
    const chunk = this.buf.subarray(0, take);
    this.buf = this.buf.subarray(take);
    this.remaining -= take;
    this.handlers?.onData(chunk);
    return this.remaining === 0;
  }

  /** Returns false when parsing must stop (error or response finished with nothing left to do). */
  private onHead(text: string): boolean {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
    if (!m) {
      this.fail();
      return false;
    }
    const status = Number(m[2]);
    const http10 = m[1] === '0';
    const headers: RawHeaders = [];
    let contentLength: number | undefined;
    let chunked = false;
    let connClose = http10;
    for (let i = 1; i < lines.length; i++) {
      const l = lines[i] as string;
      const c = l.indexOf(':');
      if (c <= 0) continue;
      const name = l.slice(0, c).trim();
      const value = l.slice(c + 1).trim();
      const lower = name.toLowerCase();
      if (lower === 'content-length') {
        if (!/^\d+$/.test(value)) {
          this.fail();
          return false;
        }
        contentLength = Number(value);
      } else if (lower === 'transfer-encoding') {
        chunked = value.toLowerCase().split(',').map((x) => x.trim()).includes('chunked');
      } else if (lower === 'connection') {
        const v = value.toLowerCase();
        if (v.includes('close')) connClose = true;
        else if (http10 && v.includes('keep-alive')) connClose = false;
      }
      headers.push([name, value]);
    }
    if (status >= 100 && status < 200 && status !== 101) {
      // Interim response (100 Continue): the real one follows.
      return true;
    }
    this.closeAfter = connClose;
    this.handlers?.onHeaders(status, headers);
    if (this.state === 'closed') return false; // the handler tore the connection down
    if (this.noBody || status === 204 || status === 304) {
      this.finish();
      return false;
    }
    if (chunked) {
      this.state = 'chunk-size';
      return true;
    }
    if (contentLength !== undefined) {
      if (contentLength === 0) {
        this.finish();
        return false;
      }
      this.remaining = contentLength;
      this.state = 'length';
      return true;
    }
    this.closeAfter = true;
    this.state = 'until-close';
    return true;
  }
}
