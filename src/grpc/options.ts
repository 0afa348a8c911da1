/**
 * What a gRPC load thread needs, as plain data (structured-clone safe: it travels to the
 * engine's workers): fortio's GRPCRunnerOptions (fgrpc/grpcrunner.go) less the pacing.
 */

/** TLS of the client channel (PEM text, read by the CLI): fortio's TLSOptions. */
export interface GrpcTls {
  /** -cacert: the roots that verify the server; '' = Node's default roots (https:// prefix). */
  caCert: string;
  /** -cert / -key: the client certificate for mTLS; '' = none. */
  clientCert: string;
  clientKey: string;
  /** -k: accept any server certificate (Go's InsecureSkipVerify). */
  insecure: boolean;
}

export interface GrpcLoadOptions {
  /** The destination as typed (fortio's Destination, echoed in the JSON). */
  destination: string;
  /** host:port the channel dials (fortio's grpcDestination of the destination, or -connect-to). */
  target: string;
  /** null = plaintext (h2c), as fortio without https:// or -cacert. */
  tls: GrpcTls | null;
  /** -ping: fgrpc.PingServer/Ping instead of grpc.health.v1.Health/Check. */
  ping: boolean;
  /** -healthservice: the service name sent in the health check. */
  healthService: string;
  /** -payload (valid UTF-8 only: fortio's PayloadUTF8) in the ping message. */
  payload: string;
  /** -grpc-ping-delay in ns: the server sleeps this long before answering a ping. */
  delayNs: number;
  /** -s: streams (threads) per connection; threads i*s … i*s+s-1 share connection i. */
  streams: number;
  /** -grpc-compression: gzip the messages. */
  compression: boolean;
  /** -H headers as gRPC metadata (lower-cased keys, without content-type/length, user-agent and host). */
  metadata: [string, string][];
  /** The user-agent of the channel (the -H User-Agent, else tripbench's). */
  userAgent: string;
  /** -H Host: the :authority of the calls (grpc.WithAuthority); '' = the target. */
  authority: string;
  /** Threads the timed run keeps (after fortio's lowering): fortio dials connections for these only. */
  activeThreads: number;
  /** fortio's first call per connection before the run, made when -n is not used. */
  firstCall: boolean;
  /** -allow-initial-errors: a failed first call is not logged as the abort reason. */
  allowInitialErrors: boolean;
  /** Unix ns of the run's setup: the `ts` of every ping request (fortio sets it once). */
  setupTsNs: string;
}

/** fnet.DefaultGRPCPort, StandardHTTPPort, StandardHTTPSPort. */
const DEFAULT_GRPC_PORT = '8079';

/**
 * fortio's grpcDestination (fgrpc/grpcrunner.go): an http:// or https:// prefix and a trailing
 * `/` stripped, the port defaulting to 80, 443 or 8079; host:port and [v6]:port as given.
 */
export function grpcDestination(dest: string): string {
  let d = dest;
  let port = DEFAULT_GRPC_PORT;
  if (d.startsWith('http://')) {
    d = d.slice('http://'.length).replace(/\/$/, '');
    port = '80';
  } else if (d.startsWith('https://')) {
    d = d.slice('https://'.length).replace(/\/$/, '');
    port = '443';
  }
  if (/^\[[^\]]*\]:[^:]*$/.test(d) || /^[^:[\]]*:[^:]*$/.test(d)) return d;
  if (/^[0-9a-fA-F:]+$/.test(d) && d.includes(':')) return `[${d}]:${port}`;
  return `${d}:${port}`;
}

/** fortio dials TLS when the destination is https:// or a -cacert is given (fgrpc.Dial). */
export function grpcUsesTls(dest: string, caCert: string): boolean {
  return caCert !== '' || dest.startsWith('https://');
}

/** The host part of a host:port target ('' for `:port`). */
export function targetHost(target: string): string {
  return target.slice(0, target.lastIndexOf(':')).replace(/^\[(.*)\]$/, '$1');
}

/** The gRPC load knobs' defaults (fortio's -grpc, -ping, -s, -healthservice, -grpc-ping-delay, -grpc-compression). */
export const DEFAULT_GRPC_CHOICE: Readonly<GrpcChoice> = Object.freeze({ grpc: false, ping: false, streams: 1, healthService: '', delayNs: 0, compression: false });

/** What the load knobs say about gRPC: whether the load is one, and how. */
export interface GrpcChoice {
  grpc: boolean;
  ping: boolean;
  streams: number;
  healthService: string;
  delayNs: number;
  compression: boolean;
}
