/**
 * Envoy's HTTP/2 connection pool for one (worker lane × host): source/common/http/http2/conn_pool.cc
 * on the shared core (poolBase.ts, conn_pool_base.cc). Streams share a connection up
 * to its stream limit (min of http2_protocol_options.max_concurrent_streams and the upstream's
 * SETTINGS_MAX_CONCURRENT_STREAMS) and its remaining max_requests_per_connection; a stream waits
 * as pending only while no connection has a free stream (one being set up, or all full); the
 * requests breaker (`http2MaxRequests`) is checked when a stream attaches, and rejects.
 */
import { connect, constants as h2 } from 'node:http2';
import type { ClientHttp2Session, ClientHttp2Stream, IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http2';
import { addHeaders } from './envoyHeaders.js';
import { PoolBase, PoolClient } from './poolBase.js';
import type { AttachedStream, UpstreamRequest } from './poolBase.js';
import type { RawHeaders, ResponseHandlers } from './upstreamConn.js';

/** Envoy's default http2_protocol_options.max_concurrent_streams (what Istio leaves when the DR sets none). */
export const ENVOY_DEFAULT_MAX_CONCURRENT_STREAMS = 2147483647;

class H2Client extends PoolClient {
  session: ClientHttp2Session | undefined;
  constructor(
    maxRequests: number,
    /** the configured concurrent stream limit; the upstream's SETTINGS may lower streamLimit below it */
    readonly configuredLimit: number,
  ) {
    super(maxRequests, configuredLimit);
  }
  destroy(): void {
    this.session?.destroy();
  }
}

function rawOf(h: IncomingHttpHeaders): RawHeaders {
  const out: RawHeaders = [];
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith(':') || v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) out.push([k, String(x)]);
  }
  return out;
}

/** The router's request as HTTP/2 headers: Host becomes :authority (header_utility.cc / the h2 codec). */
function h2Headers(req: UpstreamRequest, secure: boolean): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': req.method, ':path': req.path, ':scheme': secure ? 'https' : 'http' };
  for (const [k, v] of req.headers) if (k === 'host') out[':authority'] = v;
  return addHeaders(out, req.headers.filter(([k]) => k !== 'host'));
}

export class H2ConnPool extends PoolBase<H2Client> {
  protected readonly codecStat = 'upstream_cx_http2_total' as const;
  protected readonly enforcesMaxRequests = true;

  protected makeStream(client: H2Client): AttachedStream {
    let done = false;
    let stream: ClientHttp2Stream | undefined;
    const finish = (): void => {
      done = true;
      this.releaseStream(client);
      this.onStreamClosed(client);
    };
    return {
      host: this.host,
      send: (req, h) => {
        const session = client.session;
        if (!session || session.closed || session.destroyed || client.state === 'closed') {
          finish();
          h.onReset();
          return;
        }
        const noBody = req.body.length === 0;
        try {
          stream = session.request(h2Headers(req, this.ctx.config.tls !== undefined), { endStream: noBody });
        } catch {
          finish();
          h.onReset();
          return;
        }
        this.wire(stream, req.isHead, {
          onHeaders: (s, hd) => {
            if (!done) h.onHeaders(s, hd);
          },
          onData: (d) => {
            if (!done) h.onData(d);
          },
          onTrailers: (t) => {
            if (!done) h.onTrailers?.(t);
          },
          onEnd: () => {
            if (done) return;
            // The stream's slot is free before the router answers downstream, as in Envoy.
            finish();
            h.onEnd();
          },
          onReset: (reason = 'connection termination') => {
            if (done) return;
            // node closes a lost session's streams before the session: account the connection
            // first, with this stream still active, as Envoy's connection event resets its streams
            if (reason === 'connection termination') this.onClientClosed(client);
            finish();
            // MultiplexedActiveClientBase::onStreamReset: a stream lost with its connection is a
            // pending failure eject, a RST_STREAM an rx reset; REFUSED_STREAM counts neither.
            if (reason === 'remote reset') this.ctx.stats.inc('upstream_rq_rx_reset');
            else if (reason === 'connection termination') this.ctx.stats.inc('upstream_rq_pending_failure_eject');
            h.onReset(reason);
          },
        });
        if (!noBody) stream.end(req.body);
      },
      reset: () => {
        if (done) return;
        finish();
        this.ctx.stats.inc('upstream_rq_tx_reset');
        // An HTTP/2 stream reset leaves the connection and its other streams alone.
        if (stream && !stream.closed) stream.close(h2.NGHTTP2_CANCEL);
      },
    };
  }

  private wire(stream: ClientHttp2Stream, _isHead: boolean, h: ResponseHandlers): void {
    let ended = false;
    // node:http2 unlinks a stream from its session when it closes: keep the session to ask it then
    const session = stream.session;
    let headers = false;
    stream.on('response', (hd) => {
      headers = true;
      h.onHeaders(Number(hd[':status'] ?? 0), rawOf(hd));
    });
    stream.on('data', (d: Buffer) => h.onData(d));
    stream.on('trailers', (t) => h.onTrailers?.(rawOf(t)));
    stream.on('end', () => {
      // node:http2 also ends the readable side of a stream its session lost: without response
      // headers that is no response, and 'close' says why
      if (!headers) return;
      ended = true;
      h.onEnd();
    });
    stream.on('error', () => {
      /* 'close' follows */
    });
    stream.on('close', () => {
      if (ended) return;
      // node:http2 destroys a session's streams after marking the session destroyed, so a stream
      // that closes on a live (even draining) session was reset by an RST_STREAM, or refused by a
      // GOAWAY (nghttp2 closes those with REFUSED_STREAM, as Envoy's codec sees them).
      if (session === undefined || session.destroyed) h.onReset('connection termination');
      else h.onReset(stream.rstCode === h2.NGHTTP2_REFUSED_STREAM ? 'remote refused stream reset' : 'remote reset');
    });
  }

  protected newClient(): H2Client {
    const cfg = this.ctx.config;
    const client = new H2Client(cfg.maxRequestsPerConnection, cfg.maxConcurrentStreams > 0 ? cfg.maxConcurrentStreams : ENVOY_DEFAULT_MAX_CONCURRENT_STREAMS);
    const tls = cfg.tls;
    const session = connect(`${tls ? 'https' : 'http'}://${this.host.key}`, {
      settings: { enablePush: false },
      ...(tls ? { servername: tls.sni, ALPNProtocols: ['h2'], ...(tls.caPem !== undefined ? { ca: tls.caPem } : {}) } : {}),
    });
    client.session = session;
    session.on('error', () => {
      /* 'close' follows */
    });
    // over TLS, 'connect' follows the handshake and the certificate check
    session.once('connect', () => this.transportUp(client));
    // Http2 ActiveClient::onSettings: the upstream's limit lowers (never raises) the configured one.
    session.on('remoteSettings', (st) => this.onSettings(client, st.maxConcurrentStreams));
    // A GOAWAY drains the connection: its streams finish, no new one starts on it.
    session.on('goaway', () => {
      if (client.state !== 'closed' && client.state !== 'connecting') this.setState(client, 'draining');
      if (client.active === 0) this.closeClient(client, false);
    });
    session.on('close', () => this.onClientClosed(client));
    return client;
  }

  private onSettings(client: H2Client, max: number | undefined): void {
    if (max === undefined || client.state === 'closed') return;
    client.streamLimit = Math.min(max, client.configuredLimit);
    if (client.state === 'ready' && client.unused === 0) this.setState(client, 'busy');
    else if (client.state === 'busy' && client.unused > 0) {
      this.setState(client, 'ready');
      this.onUpstreamReady();
    }
  }
}
