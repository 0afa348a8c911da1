/**
 * One gRPC client connection (fortio's grpc.ClientConn from fgrpc.Dial) on @grpc/grpc-js, and
 * the two calls fortio makes on it: fgrpc.PingServer/Ping and grpc.health.v1.Health/Check.
 * Every connection gets its own subchannel pool: grpc-js otherwise shares one TCP connection
 * among channels to the same target, and `-c` would not mean connections.
 */
import * as grpc from '@grpc/grpc-js';
import { checkPing, decodeHealthResponse, decodePing, encodeHealthRequest, encodePing, SERVING_STATUS_NAMES, type PingMessageValue } from './messages.js';
import { goStatusText } from './goStatus.js';
import { targetHost, type GrpcTls } from './options.js';

export interface GrpcConnectionOptions {
  target: string;
  tls: GrpcTls | null;
  compression: boolean;
  userAgent: string;
  authority: string;
  metadata: readonly (readonly [string, string])[];
}

/** A call's outcome: a reply, or grpc-go's error text and the gRPC status code. */
export type GrpcCallOutcome<T> = { ok: true; reply: T } | { ok: false; code: number; error: string };

export const PING_PATH = '/fgrpc.PingServer/Ping';
export const HEALTH_PATH = '/grpc.health.v1.Health/Check';

/** A health reply as its status name (SERVING, NOT_SERVING, …). */
export function healthStatusName(b: Buffer): string {
  const s = decodeHealthResponse(b);
  return SERVING_STATUS_NAMES[s] ?? String(s);
}

/** A ping reply checked, not built: a load counts it SERVING and reads nothing of it. */
export function pingServing(b: Buffer): string {
  checkPing(b);
  return 'SERVING';
}

type ChannelCall = ReturnType<grpc.Channel['createCall']>;
const ignore = (): void => undefined;

/** grpc-js details without its empty `Resolution note:` tail and the doubled `Error: ` of a wrapped socket error. */
function cleanDetails(d: string): string {
  return d.replace(/\s*Resolution note:\s*$/, '').replace(/Last error: Error: /, 'Last error: ');
}

function credentials(tls: GrpcTls | null): grpc.ChannelCredentials {
  if (tls === null) return grpc.credentials.createInsecure();
  const pem = (s: string): Buffer | null => (s === '' ? null : Buffer.from(s));
  return grpc.credentials.createSsl(
    pem(tls.caCert),
    pem(tls.clientKey),
    pem(tls.clientCert),
    tls.insecure ? { rejectUnauthorized: false, checkServerIdentity: () => undefined } : {},
  );
}

export class GrpcConnection {
  readonly #client: grpc.Client;
  readonly #metadata: grpc.Metadata;
  readonly #channel: grpc.Channel;
  readonly #calls = new Set<ChannelCall>();

  constructor(o: GrpcConnectionOptions) {
    const options: grpc.ChannelOptions = {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.primary_user_agent': o.userAgent,
      // nothing here reads channelz: no per-call bookkeeping for it
      'grpc.enable_channelz': 0,
    };
    if (o.compression) options['grpc.default_compression_algorithm'] = 2; // gzip, as fortio's UseCompressor(gzip.Name)
    if (o.authority !== '') {
      options['grpc.default_authority'] = o.authority;
      // fortio's WithAuthority leaves the TLS server name to the target unless -cert-override; grpc-js ties SNI to the authority
      if (o.tls) options['grpc.ssl_target_name_override'] = targetHost(o.target);
    }
    this.#client = new grpc.Client(o.target, credentials(o.tls), options);
    this.#channel = this.#client.getChannel() as grpc.Channel;
    this.#metadata = new grpc.Metadata();
    for (const [k, v] of o.metadata) this.#metadata.add(k, v);
  }

  /**
   * One unary call of an already serialised request: a load thread sends the same message every
   * call (fortio's reqP/reqH), so it encodes it once. Made on the channel's call (what
   * Client.makeUnaryRequest does under its interceptor layer, which has no interceptor here):
   * the same start, startRead, message, half-close order and the same unary checks, without the
   * per-call ClientUnaryCall emitter, interceptor chain and caller-stack Error (docs/benchmarks.md, "gRPC").
   */
  unary<T>(path: string, req: Buffer, decode: (b: Buffer) => T): Promise<GrpcCallOutcome<T>> {
    return new Promise((resolve) => {
      const call = this.#channel.createCall(path, Infinity, undefined, null, undefined);
      let reply: Buffer | null = null;
      let settled = false;
      call.start(this.#metadata, {
        onReceiveMetadata: ignore,
        onReceiveMessage: (m: Buffer) => {
          if (reply !== null) call.cancelWithStatus(grpc.status.UNIMPLEMENTED, 'Too many responses received');
          reply = m;
        },
        onReceiveStatus: (st: grpc.StatusObject) => {
          if (settled) return;
          settled = true;
          this.#calls.delete(call);
          if (st.code !== grpc.status.OK) {
            resolve({ ok: false, code: st.code, error: goStatusText(st.code, cleanDetails(st.details)) });
            return;
          }
          if (reply === null) {
            resolve({ ok: false, code: grpc.status.UNIMPLEMENTED, error: goStatusText(grpc.status.UNIMPLEMENTED, 'No message received') });
            return;
          }
          try {
            resolve({ ok: true, reply: decode(reply) });
          } catch (e) {
            resolve({ ok: false, code: grpc.status.INTERNAL, error: goStatusText(grpc.status.INTERNAL, `grpc: failed to unmarshal the received message: ${(e as Error).message}`) });
          }
        },
      });
      call.startRead();
      call.sendMessageWithContext({}, req);
      call.halfClose();
      this.#calls.add(call);
    });
  }

  ping(msg: Partial<PingMessageValue>): Promise<GrpcCallOutcome<PingMessageValue>> {
    return this.unary(PING_PATH, encodePing(msg), decodePing);
  }

  /** The health status name (SERVING, NOT_SERVING, …) of `service`. */
  health(service: string): Promise<GrpcCallOutcome<string>> {
    return this.unary(HEALTH_PATH, encodeHealthRequest(service), healthStatusName);
  }

  /** Cancels the calls in flight (a forced stop): they settle at once as Canceled. */
  cancelAll(): void {
    for (const c of this.#calls) c.cancelWithStatus(grpc.status.CANCELLED, 'Cancelled on client');
  }

  close(): void {
    this.#client.close();
  }
}
