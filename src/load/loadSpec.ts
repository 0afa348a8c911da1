/**
 * One load as fortio's flags describe it, and the one function that turns it into the engine's
 * RunOptions and the HTTP layer's HttpOptions. `tripbench load` parses its flags into a LoadSpec
 * (cli/loadFlags.ts), a scenario step's YAML `load` block is one too (loadSpecFromYaml), and
 * `--dry-run` prints one back as a command line (loadArgv): all three go through loadOptions, so
 * a step, its printed command line and that command line typed by hand send the same load.
 *
 * LOAD_KNOBS is the table every path reads: fortio's flag name, its kind, its default (taken from
 * the options it ends up in), its `-h` text and its scenario YAML key. docs/architecture.md
 * ("Adding a load knob") says what a new knob touches.
 */
import { DEFAULT_RUN_OPTIONS, type RunOptions } from '../engine/options.js';
import { DEFAULT_HTTP_OPTIONS, makeHttpOptions, parseConnectionReuse, type HeaderPair, type HttpOptions } from '../http/options.js';
import { connectHostOf, targetSharesHost } from '../http/resolve.js';
import { formatDuration } from '../shared/goFormat.js';
import { readTlsFiles } from './tlsFiles.js';
import { DEFAULT_GRPC_CHOICE, type GrpcChoice } from '../grpc/options.js';
import { DEFAULT_PERCENTILES, effectiveResolution } from '../stats/fortioShapes.js';

/** int, float: numbers; duration: nanoseconds (Go time.Duration); percentiles: -p as a list. */
export type KnobKind = 'int' | 'float' | 'duration' | 'bool' | 'string' | 'strings' | 'percentiles';

type KnobValue<K extends KnobKind> = K extends 'bool' ? boolean : K extends 'string' ? string : K extends 'strings' ? string[] : K extends 'percentiles' ? number[] : number;

export interface KnobDef<K extends KnobKind = KnobKind> {
  kind: K;
  default: KnobValue<K>;
  /** fortio's `-h` text. */
  usage: string;
  /** Key in a scenario's `load` block; undefined = command line only. */
  yaml?: string | undefined;
}

const R = DEFAULT_RUN_OPTIONS;
const H = DEFAULT_HTTP_OPTIONS;
const G = DEFAULT_GRPC_CHOICE;
// Y keeps the YAML key as a literal type, for LoadSpecYaml.
const knob = <K extends KnobKind, Y extends string | undefined = undefined>(kind: K, dflt: KnobValue<K>, usage: string, yaml?: Y): KnobDef<K> & { yaml: Y } =>
  ({ kind, default: dflt, usage, yaml }) as KnobDef<K> & { yaml: Y };

/** In the order `--dry-run` prints them. */
export const LOAD_KNOBS = {
  c: knob('int', R.threads, 'Number of connections/goroutine/threads', 'c'),
  qps: knob('float', R.qps, 'Queries Per Seconds or 0 for no wait/max qps', 'qps'),
  n: knob('int', R.exactly, 'Run for exactly this number of calls instead of duration. Default (0) is to use duration (-t).', 'n'),
  t: knob('duration', R.durationNs, 'How long to run the test or 0 to run until ^C', 't'),
  timeout: knob('duration', H.timeoutMs * 1e6, 'Connection and read timeout value (for http)', 'timeout'),
  X: knob('string', '', 'HTTP method to use instead of GET/POST', 'method'),
  H: knob('strings', [], 'Additional header(s) (repeatable), "Key: Value"', 'headers'),
  payload: knob('string', '', 'Payload string to send along (switches to POST)', 'payload'),
  'content-type': knob('string', H.contentType, 'Sets http content type. Setting this value switches the request method from GET to POST.', 'contentType'),
  keepalive: knob('bool', H.keepAlive, 'Keep connection alive (only for fast http 1.1)', 'keepalive'),
  'http1.0': knob('bool', H.http10, 'Use http1.0 (instead of http 1.1)', 'http10'),
  h2: knob('bool', H.h2, 'Attempt to use http2.0 / h2 (instead of http 1.1) for both TLS and h2c', 'h2'),
  stdclient: knob('bool', H.stdClient, 'Use the slower undici client instead of the lean HTTP/1.1 client', 'stdclient'),
  uniform: knob('bool', R.uniform, 'Should requests be uniformly spread among threads (in qps mode only)', 'uniform'),
  jitter: knob('bool', R.jitter, "set to true to de-synchronize parallel clients' by 10%", 'jitter'),
  nocatchup: knob('bool', R.noCatchUp, 'set to exact fixed qps and prevent fortio from trying to catchup when the target fails to keep up temporarily', 'nocatchup'),
  'allow-initial-errors': knob('bool', R.allowInitialErrors, "Allow and don't abort on initial warmup errors", 'allowInitialErrors'),
  k: knob('bool', H.insecure, 'Do not verify certs in https connections', 'insecure'),
  cacert: knob('string', '', 'Path to a custom CA certificate file to be used for the TLS client connections, if empty, use https:// prefix for standard internet/system CAs', 'cacert'),
  cert: knob('string', '', 'Path to the certificate file to be used for client or server TLS', 'cert'),
  key: knob('string', '', 'Path to the key file matching the -cert', 'key'),
  mtls: knob('bool', H.mtls, 'Require client certificate signed by -cacert for client connections (a server setting: recorded in the JSON, no effect on load)'),
  'abort-on': knob('int', R.abortOn, 'Http `code` that if encountered aborts the run. e.g. 503 or -1 for socket errors.', 'abortOn'),
  'connection-reuse': knob('string', '', 'Range min:max for the max number of connections to reuse for each thread, default to unlimited', 'connectionReuse'),
  p: knob('percentiles', [...DEFAULT_PERCENTILES], 'List of pXX to calculate', 'percentiles'),
  r: knob('float', R.resolution, 'Resolution of the histogram lowest buckets in seconds', 'resolution'),
  workers: knob('int', R.workers, 'Number of worker threads (0 = one per core, leaving one core to a target on this machine; never more than -c)', 'workers'),
  offset: knob('duration', R.offset * 1e9, 'Offset of the histogram data'),
  halfclose: knob('bool', H.halfClose, 'When not keepalive, whether to half close the connection'),
  'sequential-warmup': knob('bool', R.sequentialWarmup, 'http(s) runner warmup done sequentially instead of parallel'),
  'log-errors': knob('bool', H.logErrors, 'Log http non 2xx/418 error codes as they occur'),
  resolve: knob('string', H.resolve, 'Resolve host name to this IP'),
  'connect-to': knob('string', H.connectTo, "host:port to connect to instead of the URL's host and port, URL, Host header and SNI unchanged (like curl --connect-to; e.g. a sidecar's 127.0.0.1:15001)"),
  user: knob('string', '', 'User credentials for basic authentication (for http). Input data format should be user:password'),
  grpc: knob('bool', G.grpc, 'Use gRPC (health check by default, add -ping for ping) for load testing', 'grpc'),
  ping: knob('bool', G.ping, 'gRPC load test: use ping instead of health', 'ping'),
  s: knob('int', G.streams, 'Number of streams per gRPC connection', 'streams'),
  healthservice: knob('string', G.healthService, 'which service string to pass to health check', 'healthService'),
  'grpc-ping-delay': knob('duration', G.delayNs, 'gRPC ping delay in response', 'grpcPingDelay'),
  'grpc-compression': knob('bool', G.compression, 'Enable gRPC compression', 'grpcCompression'),
} as const;

type Knobs = typeof LOAD_KNOBS;
export type KnobName = keyof Knobs;
export const KNOB_NAMES = Object.keys(LOAD_KNOBS) as KnobName[];

/** One load, keyed by fortio flag name; an absent knob has its default (LOAD_KNOBS). */
export type LoadSpec = { [F in KnobName]?: KnobValue<Knobs[F]['kind']> | undefined };

/** The same knobs keyed as a scenario's `load` block spells them (schema/scenario.schema.json). */
export type LoadSpecYaml = {
  [F in KnobName as Knobs[F] extends { yaml: infer Y extends string } ? Y : never]?: KnobValue<Knobs[F]['kind']> | undefined;
};

export function knobDef(name: KnobName): KnobDef {
  return LOAD_KNOBS[name] as KnobDef;
}

/** A scenario `load` block (durations already in ns) as a LoadSpec; keys that are no knob (`path`) are not load knobs. */
export function loadSpecFromYaml(y: LoadSpecYaml): LoadSpec {
  const out: Record<string, unknown> = {};
  const src = y as Record<string, unknown>;
  for (const name of KNOB_NAMES) {
    const key = knobDef(name).yaml;
    const v = key === undefined ? undefined : src[key];
    if (v !== undefined) out[name] = Array.isArray(v) ? [...(v as unknown[])] : v;
  }
  return out as LoadSpec;
}

/** The engine and HTTP options of one load, and the HTTP layer's remarks (e.g. "Assuming http://"). */
export interface LoadOptions {
  run: RunOptions;
  http: HttpOptions;
  /** The gRPC knobs; `grpc.grpc` says the load is fortio's gRPC runner (load/runGrpcLoad.ts). */
  grpc: GrpcChoice;
  warnings: string[];
}

/** Cores the engine leaves free: as the caller set them, else one when the target is on this machine. */
export function reservedCores(run: RunOptions, http: HttpOptions): number {
  // Through -connect-to, the connect address says whether the target shares this machine.
  return run.reserveCores ?? (targetSharesHost(http.url, http.connectTo !== '' ? connectHostOf(http, '') : http.resolve) ? 1 : 0);
}

/**
 * The one mapping from a load to what the engine and the HTTP client take. `body` replaces
 * -payload with bytes (the command line's -payload-file and -payload-size). Throws a UsageError
 * for what the HTTP layer refuses (a URL it does not load, a header it cannot send) and for a
 * -cacert / -cert / -key file that cannot be read.
 */
export function loadOptions(spec: LoadSpec, url: string, body?: Uint8Array | null): LoadOptions {
  const tlsFiles = { caCertFile: spec.cacert ?? '', clientCertFile: spec.cert ?? '', clientKeyFile: spec.key ?? '' };
  const tls = readTlsFiles(tlsFiles.caCertFile, tlsFiles.clientCertFile, tlsFiles.clientKeyFile);
  const headers: (string | HeaderPair)[] = [...(spec.H ?? [])];
  if (spec.user !== undefined && spec.user !== '') headers.push(['Authorization', `Basic ${Buffer.from(spec.user).toString('base64')}`]);
  const resolution = effectiveResolution(spec.r);
  const offset = (spec.offset ?? knobDef('offset').default as number) / 1e9;
  const made = makeHttpOptions({
    url,
    method: spec.X?.toUpperCase(),
    headers,
    payload: body !== undefined ? body : spec.payload,
    contentType: spec['content-type'],
    keepAlive: spec.keepalive,
    halfClose: spec.halfclose,
    http10: spec['http1.0'],
    timeoutMs: spec.timeout !== undefined ? spec.timeout / 1e6 : undefined,
    insecure: spec.k,
    stdClient: spec.stdclient,
    h2: spec.h2,
    logErrors: spec['log-errors'],
    resolve: spec.resolve,
    connectTo: spec['connect-to'],
    ...tls,
    ...tlsFiles,
    mtls: spec.mtls,
    connectionReuse: spec['connection-reuse'] !== undefined ? parseConnectionReuse(spec['connection-reuse']) : undefined,
    resolution,
    offset,
  });
  const http = made.options;
  const run: RunOptions = {
    threads: spec.c ?? R.threads,
    qps: spec.qps ?? R.qps,
    exactly: spec.n ?? R.exactly,
    durationNs: spec.t ?? R.durationNs,
    uniform: spec.uniform ?? R.uniform,
    jitter: spec.jitter ?? R.jitter,
    noCatchUp: spec.nocatchup ?? R.noCatchUp,
    abortOn: spec['abort-on'] ?? R.abortOn,
    allowInitialErrors: spec['allow-initial-errors'] ?? R.allowInitialErrors,
    sequentialWarmup: spec['sequential-warmup'] ?? R.sequentialWarmup,
    resolution,
    offset,
    percentiles: [...(spec.p ?? R.percentiles)],
    workers: Math.max(0, spec.workers ?? R.workers),
  };
  run.reserveCores = reservedCores(run, http);
  const grpc: GrpcChoice = {
    grpc: spec.grpc ?? G.grpc,
    ping: spec.ping ?? G.ping,
    streams: spec.s ?? G.streams,
    healthService: spec.healthservice ?? G.healthService,
    delayNs: spec['grpc-ping-delay'] ?? G.delayNs,
    compression: spec['grpc-compression'] ?? G.compression,
  };
  return { run, http, grpc, warnings: made.warnings };
}

/**
 * The load as `tripbench load` arguments (fortio's names and syntax), URL last: every knob that
 * is set, booleans only when they differ from the default. Parsing them gives the same load.
 */
export function loadArgv(spec: LoadSpec, url: string): string[] {
  const a: string[] = [];
  const values = spec as Record<string, unknown>;
  for (const name of KNOB_NAMES) {
    const v = values[name];
    if (v === undefined) continue;
    const def = knobDef(name);
    switch (def.kind) {
      case 'bool':
        if (v !== def.default) a.push(v ? `-${name}` : `-${name}=false`);
        break;
      case 'strings':
        for (const s of v as string[]) a.push(`-${name}`, s);
        break;
      case 'percentiles':
        a.push(`-${name}`, (v as number[]).join(','));
        break;
      case 'duration':
        a.push(`-${name}`, formatDuration(v as number));
        break;
      default:
        a.push(`-${name}`, String(v));
    }
  }
  a.push(url);
  return a;
}
