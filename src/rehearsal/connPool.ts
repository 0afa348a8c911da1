/**
 * Envoy's HTTP/1.1 connection pool for one (worker lane × host), source/common/http/http1/conn_pool.cc
 * on the shared core (poolBase.ts): one stream per connection, the requests breaker only from
 * Envoy 1.14's unified pools (§8.6), a connection closed after a stream when the upstream asked
 * (Connection: close, HTTP/1.0), and any stream reset costs the connection. Its ActiveClient has
 * no onStreamReset (http1/conn_pool.cc), so neither upstream_rq_rx_reset nor _tx_reset moves.
 */
import { connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { http1RequestHead } from './envoyHeaders.js';
import { PoolBase, PoolClient } from './poolBase.js';
import type { AttachedStream } from './poolBase.js';
import { UpstreamConnection } from './upstreamConn.js';

class Http1Client extends PoolClient {
  conn: UpstreamConnection | undefined;
  destroy(): void {
    this.conn?.destroy();
  }
}

export class ConnPool extends PoolBase<Http1Client> {
  protected readonly codecStat = 'upstream_cx_http1_total' as const;

  protected get enforcesMaxRequests(): boolean {
    return this.ctx.config.behaviour.maxRequestsOnHttp1;
  }

  protected override mustCloseAfterStream(client: Http1Client): boolean {
    return client.conn?.mustClose ?? false;
  }

  protected newClient(): Http1Client {
    const client = new Http1Client(this.ctx.config.maxRequestsPerConnection, 1);
    const tls = this.ctx.config.tls;
    const socket = tls
      ? tlsConnect({ host: this.host.address, port: this.host.port, servername: tls.sni, ...(tls.caPem !== undefined ? { ca: tls.caPem } : {}) })
      : connect({ host: this.host.address, port: this.host.port });
    client.conn = new UpstreamConnection(socket);
    // TLS origination: the connection is ready once the handshake (and certificate check) is done.
    socket.once(tls ? 'secureConnect' : 'connect', () => this.transportUp(client));
    client.conn.onClose(() => this.onClientClosed(client));
    return client;
  }

  protected makeStream(client: Http1Client): AttachedStream {
    let done = false;
    const finish = (): void => {
      done = true;
      this.releaseStream(client);
    };
    return {
      host: this.host,
      send: (req, h) => {
        const conn = client.conn;
        if (!conn || conn.closed) {
          finish();
          h.onReset();
          return;
        }
        conn.send(http1RequestHead(req.method, req.path, req.headers), req.body, req.isHead, {
          onHeaders: (s, hd) => {
            if (!done) h.onHeaders(s, hd);
          },
          onData: (d) => {
            if (!done) h.onData(d);
          },
          onEnd: () => {
            if (done) return;
            finish();
            // Free the pool before the router answers downstream, as Envoy does: the client
            // cannot send its next request before this point.
            this.onStreamClosed(client);
            h.onEnd();
          },
          onReset: () => {
            if (done) return;
            // The connection went with this stream on it: account the connection first, as
            // Envoy's connection event does before it resets the stream (destroy_with_active_rq).
            // No upstream_rq_rx_reset: only the multiplexed (HTTP/2, HTTP/3) pools count it.
            this.onClientClosed(client);
            finish();
            h.onReset();
          },
        });
      },
      reset: () => {
        if (done) return;
        // A reset HTTP/1.1 stream costs its connection; upstream_rq_tx_reset is the multiplexed pools' only.
        this.closeClient(client, true);
        finish();
      },
    };
  }
}
