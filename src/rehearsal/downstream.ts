/**
 * The downstream half of a stream as the connection manager answers it, one class per codec:
 * HTTP/1.1 on node:http's ServerResponse, HTTP/2 on a node:http2 server stream. Both keep the
 * access log's view (status, bytes, flags) the same way; a gRPC request's local replies are
 * trailers-only answers (grpcLocalReply.ts) on either codec.
 */
import { constants as h2 } from 'node:http2';
import type { OutgoingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import type { ServerResponse } from 'node:http';
import { formatFlags, newStreamLog } from './accessLog.js';
import type { StreamLog } from './accessLog.js';
import { addHeaders, localReplyHeaders } from './envoyHeaders.js';
import { grpcLocalReplyHeaders } from './grpcLocalReply.js';
import type { LocalReply } from './localReply.js';
import type { DownstreamResponder } from './router.js';
import type { RawHeaders } from './upstreamConn.js';

abstract class Responder implements DownstreamResponder {
  started = false;
  closed = false;
  upstreamHost: string | undefined;
  status = 0;
  bytesSent = 0;
  readonly log: StreamLog = newStreamLog();
  protected finished = false;

  constructor(
    /** the request is gRPC (content-type application/grpc*): local replies are trailers-only */
    protected readonly grpc: boolean,
  ) {}

  /** Envoy response flags as the access log prints them */
  get flags(): string {
    return formatFlags(this.log.flags);
  }

  /** the stream went away: a downstream disconnect unless something else ended it */
  protected onStreamClosed(): void {
    this.closed = true;
    if (!this.finished && this.log.flags.size === 0) {
      this.log.flags.add('DC');
      this.log.details = 'downstream_remote_disconnect';
    }
  }

  localReply(r: LocalReply): void {
    if (this.closed || this.started) return;
    this.started = true;
    this.finished = true;
    if (r.flag) this.log.flags.add(r.flag);
    this.log.details = r.details;
    if (r.transportFailure !== undefined) this.log.transportFailure = r.transportFailure;
    if (this.grpc) {
      this.status = 200;
      this.bytesSent = 0;
      this.writeLocal(200, grpcLocalReplyHeaders(r, new Date()), undefined);
      return;
    }
    const body = Buffer.from(r.body);
    this.status = r.status;
    this.bytesSent = body.length;
    this.writeLocal(r.status, localReplyHeaders(body.length, r.headers, new Date()), body);
  }

  /** a whole local answer; no body = headers only, ending the stream */
  protected abstract writeLocal(status: number, headers: RawHeaders, body: Buffer | undefined): void;
  abstract sendHeaders(status: number, headers: RawHeaders): void;
  abstract sendData(chunk: Buffer): void;
  abstract end(trailers?: RawHeaders): void;
  abstract reset(): void;
  abstract onClose(cb: () => void): void;
}

export class Http1Responder extends Responder {
  constructor(
    private readonly res: ServerResponse,
    grpc: boolean,
    onDone: (r: Http1Responder) => void,
  ) {
    super(grpc);
    res.on('close', () => {
      this.onStreamClosed();
      onDone(this);
    });
  }

  sendHeaders(status: number, headers: RawHeaders): void {
    if (this.closed || this.started) return;
    this.started = true;
    this.status = status;
    this.res.sendDate = false;
    this.res.writeHead(status, headers.flat());
  }

  sendData(chunk: Buffer): void {
    this.bytesSent += chunk.length;
    if (!this.closed) this.res.write(chunk);
  }

  end(): void {
    this.finished = true;
    if (!this.closed) this.res.end();
  }

  protected writeLocal(status: number, headers: RawHeaders, body: Buffer | undefined): void {
    this.res.sendDate = false;
    // Envoy's HTTP/1.1 codec writes content-length: 0 for a response that ends with its headers.
    this.res.writeHead(status, (body === undefined ? [['content-length', '0'] as [string, string], ...headers] : headers).flat());
    this.res.end(body);
  }

  reset(): void {
    this.finished = true;
    this.log.flags.add('UC');
    this.log.details = 'upstream_reset_after_response_started';
    this.res.socket?.destroy();
  }

  onClose(cb: () => void): void {
    this.res.on('close', () => {
      if (!this.finished) cb();
    });
  }
}

function headerObject(status: number, headers: RawHeaders): OutgoingHttpHeaders {
  return addHeaders({ ':status': status }, headers);
}

export class Http2Responder extends Responder {
  private trailers: RawHeaders | undefined;

  constructor(
    private readonly stream: ServerHttp2Stream,
    grpc: boolean,
    onDone: (r: Http2Responder) => void,
  ) {
    super(grpc);
    stream.on('error', () => {
      /* 'close' follows */
    });
    stream.on('close', () => {
      this.onStreamClosed();
      onDone(this);
    });
  }

  sendHeaders(status: number, headers: RawHeaders): void {
    if (this.closed || this.started) return;
    this.started = true;
    this.status = status;
    // Trailers are known only at the end (a gRPC upstream's grpc-status); none = an empty DATA frame with END_STREAM.
    this.stream.respond(headerObject(status, headers), { waitForTrailers: true });
    this.stream.once('wantTrailers', () => {
      const t: OutgoingHttpHeaders = {};
      for (const [k, v] of this.trailers ?? []) t[k] = v;
      this.stream.sendTrailers(t);
    });
  }

  sendData(chunk: Buffer): void {
    this.bytesSent += chunk.length;
    if (!this.closed) this.stream.write(chunk);
  }

  end(trailers?: RawHeaders): void {
    this.finished = true;
    this.trailers = trailers;
    if (!this.closed) this.stream.end();
  }

  protected writeLocal(status: number, headers: RawHeaders, body: Buffer | undefined): void {
    if (this.stream.closed || this.stream.destroyed) return;
    // gRPC's trailers-only form: one HEADERS frame carrying END_STREAM.
    this.stream.respond(headerObject(status, headers), { endStream: body === undefined || body.length === 0 });
    if (body !== undefined && body.length > 0) this.stream.end(body);
  }

  reset(): void {
    this.finished = true;
    this.log.flags.add('UC');
    this.log.details = 'upstream_reset_after_response_started';
    // An HTTP/2 codec resets the one stream, not the connection.
    if (!this.stream.closed) this.stream.close(h2.NGHTTP2_INTERNAL_ERROR);
  }

  onClose(cb: () => void): void {
    this.stream.on('close', () => {
      if (!this.finished) cb();
    });
  }
}
