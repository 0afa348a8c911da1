/**
 * fortio's HTTPOptions as plain data: they travel to worker_threads by structured clone, so no
 * class instances, no functions, no Maps. `makeHttpOptions` applies fortio's rules (scheme,
 * method choice, the special -H keys) once, in the main thread; clients read the result as is.
 */
import { UsageError } from '../shared/errors.js';
import { LATENCY_SHAPE, effectiveResolution } from '../stats/fortioShapes.js';
import { USER_AGENT } from '../shared/version.js';
import { withScheme } from './urlScheme.js';
import { headerNameProblem, headerProblem, headerValueProblem, methodProblem, wireHeaderValue } from './requestValidation.js';

import type { HeaderPair } from './requestValidation.js';

export type { HeaderPair };

export interface HttpOptions {
  /** Normalized URL, always with a scheme (`http://` added when missing). */
  url: string;
  /** GET, POST when there is a payload or a content type, or the explicit -X value. */
  method: string;
  /**
   * Extra -H headers in the order given, without the special keys resolved below. Every header
   * value here (host, userAgent, contentType too) is checked and a latin-1 byte string
   * (requestValidation.ts), so writing it as latin-1 sends what was typed, in UTF-8.
   */
  headers: HeaderPair[];
  /** Host header override from `-H Host:`; '' = host[:port] of the URL. */
  host: string;
  /** '' = no User-Agent header at all (`-H User-Agent:` with an empty value). */
  userAgent: string;
  /** -content-type or `-H Content-Type:`; '' = none (application/octet-stream is sent with a payload). */
  contentType: string;
  payload: Uint8Array | null;
  keepAlive: boolean;
  /** -timeout: connect timeout, and deadline of one request (write + read) from just before writing. */
  timeoutMs: number;
  insecure: boolean;
  stdClient: boolean;
  h2: boolean;
  http10: boolean;
  halfClose: boolean;
  logErrors: boolean;
  /** -resolve: connect to this IP; Host header and TLS SNI still use the URL host. */
  resolve: string;
  /**
   * -connect-to host:port: every connection goes there instead of the URL's host and port (as a
   * pod's iptables sends it to the sidecar); URL, Host header and TLS SNI stay as written. '' = off.
   */
  connectTo: string;
  /** -cacert: PEM of the CA(s) trusted for https:// instead of the system roots; '' = system roots. */
  caCert: string;
  /** -cert / -key: PEM of the TLS client certificate and its key (mTLS without a sidecar); '' = none. */
  clientCert: string;
  clientKey: string;
  /** The -cacert, -cert, -key paths as given ('' = none) and -mtls: what the result JSON shows (fortio's CACert, Cert, Key, MTLS). */
  caCertFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  mtls: boolean;
  /** -connection-reuse [min,max]; [0,0] = unlimited. */
  connectionReuse: [number, number];
  /** -r and -offset (seconds) of the connection-time histogram. */
  resolution: number;
  offset: number;
}

export const DEFAULT_TIMEOUT_MS = 3000;

export const DEFAULT_HTTP_OPTIONS: Readonly<HttpOptions> = Object.freeze({
  url: '',
  method: 'GET',
  headers: [],
  host: '',
  userAgent: USER_AGENT,
  contentType: '',
  payload: null,
  keepAlive: true,
  timeoutMs: DEFAULT_TIMEOUT_MS,
  insecure: false,
  stdClient: false,
  h2: false,
  http10: false,
  halfClose: false,
  logErrors: true,
  resolve: '',
  connectTo: '',
  caCert: '',
  clientCert: '',
  clientKey: '',
  caCertFile: '',
  clientCertFile: '',
  clientKeyFile: '',
  mtls: false,
  connectionReuse: [0, 0] as [number, number],
  resolution: LATENCY_SHAPE.divider,
  offset: LATENCY_SHAPE.offset,
});

/** What a caller (CLI, scenario) knows before fortio's rules are applied. */
export type HttpOptionsInput = {
  // undefined = the default, as when the field is left out.
  [K in Exclude<keyof HttpOptions, 'url' | 'headers' | 'payload' | 'method'>]?: HttpOptions[K] | undefined;
} & {
  url: string;
  /** `-H` values ("Key: Value") or already split pairs, in order. */
  headers?: readonly (string | HeaderPair)[] | undefined;
  payload?: Uint8Array | string | null | undefined;
  /** -X; '' or undefined = fortio's GET/POST choice. */
  method?: string | undefined;
};

export interface MadeHttpOptions {
  options: HttpOptions;
  /** Log-worthy remarks, e.g. "Assuming http:// on missing scheme for 'host:8080/'". */
  warnings: string[];
}

/** Splits a -H value at the first ':' (fortio: key and value trimmed); refuses what cannot be sent. */
export function parseHeaderFlag(h: string): HeaderPair {
  const i = h.indexOf(':');
  const name = i < 0 ? '' : h.slice(0, i).trim();
  if (name === '') throw new UsageError(`invalid extra header ${JSON.stringify(h)}, expecting Key: Value`);
  const pair: HeaderPair = [name, h.slice(i + 1).trim()];
  const p = headerProblem(pair);
  if (p !== undefined) throw new UsageError(p);
  return pair;
}

/** Parses -connection-reuse "min:max" or "n"; '' = unlimited. */
export function parseConnectionReuse(s: string): [number, number] {
  const t = s.trim();
  if (t === '') return [0, 0];
  const parts = t.split(':');
  const nums = parts.map((p) => (/^\s*\d+\s*$/.test(p) ? Number(p) : NaN));
  const [a, b] = nums;
  if (parts.length > 2 || a === undefined || Number.isNaN(a) || (b !== undefined && Number.isNaN(b))) {
    throw new UsageError(`invalid -connection-reuse '${s}', expecting min:max or a number`);
  }
  const max = b ?? a;
  if (a > max || (a === 0) !== (max === 0)) {
    throw new UsageError(`invalid -connection-reuse '${s}', expecting 0 < min <= max`);
  }
  return [a, max];
}

export function makeHttpOptions(input: HttpOptionsInput): MadeHttpOptions {
  const warnings: string[] = [];
  const norm = withScheme(input.url);
  if (norm.warning) warnings.push(norm.warning);
  try {
    new URL(norm.url);
  } catch {
    throw new UsageError(`invalid url '${input.url}'`);
  }
  const d = DEFAULT_HTTP_OPTIONS;
  let host = input.host ?? d.host;
  let userAgent = input.userAgent ?? d.userAgent;
  let contentType = input.contentType ?? d.contentType;
  const headers: HeaderPair[] = [];
  for (const h of input.headers ?? []) {
    const [name, typed] = typeof h === 'string' ? parseHeaderFlag(h) : [h[0].trim(), h[1].trim()];
    const p = headerNameProblem(name) ?? headerValueProblem(typed);
    if (p !== undefined) throw new UsageError(p);
    switch (name.toLowerCase()) {
      case 'host':
        host = typed;
        break;
      case 'user-agent':
        userAgent = typed;
        break;
      case 'content-type':
        contentType = typed;
        break;
      default:
        headers.push([name, wireHeaderValue(typed)]);
    }
  }
  const payload = typeof input.payload === 'string' ? new TextEncoder().encode(input.payload) : (input.payload ?? null);
  const hasBody = (payload !== null && payload.length > 0) || contentType !== '';
  const method = input.method && input.method !== '' ? input.method : hasBody ? 'POST' : 'GET';
  const badMethod = methodProblem(method);
  if (badMethod !== undefined) throw new UsageError(badMethod);
  for (const [what, v] of [['Host', host], ['User-Agent', userAgent], ['Content-Type', contentType]] as const) {
    const p = headerValueProblem(v);
    if (p !== undefined) throw new UsageError(`${what}: ${p}`);
  }
  let timeoutMs = input.timeoutMs ?? d.timeoutMs;
  if (!(timeoutMs > 0)) {
    if (timeoutMs < 0) warnings.push(`Invalid timeout ${timeoutMs}ms, setting to ${DEFAULT_TIMEOUT_MS}ms`);
    timeoutMs = DEFAULT_TIMEOUT_MS;
  }
  const resolution = effectiveResolution(input.resolution);
  const options: HttpOptions = {
    url: norm.url,
    method,
    headers,
    host: wireHeaderValue(host),
    userAgent: wireHeaderValue(userAgent),
    contentType: wireHeaderValue(contentType),
    payload: payload !== null && payload.length > 0 ? payload : null,
    keepAlive: input.keepAlive ?? d.keepAlive,
    timeoutMs,
    insecure: input.insecure ?? d.insecure,
    stdClient: input.stdClient ?? d.stdClient,
    h2: input.h2 ?? d.h2,
    http10: input.http10 ?? d.http10,
    halfClose: input.halfClose ?? d.halfClose,
    logErrors: input.logErrors ?? d.logErrors,
    resolve: input.resolve ?? d.resolve,
    connectTo: input.connectTo ?? d.connectTo,
    caCert: input.caCert ?? d.caCert,
    clientCert: input.clientCert ?? d.clientCert,
    clientKey: input.clientKey ?? d.clientKey,
    caCertFile: input.caCertFile ?? d.caCertFile,
    clientCertFile: input.clientCertFile ?? d.clientCertFile,
    clientKeyFile: input.clientKeyFile ?? d.clientKeyFile,
    mtls: input.mtls ?? d.mtls,
    connectionReuse: input.connectionReuse ? [input.connectionReuse[0], input.connectionReuse[1]] : [0, 0],
    resolution,
    offset: input.offset ?? d.offset,
  };
  return { options, warnings };
}

/** The lean net.Socket client serves plain http:// unless -stdclient or -h2 asks for Go's client. */
export function usesLeanClient(o: HttpOptions): boolean {
  return !o.stdClient && !o.h2 && o.url.slice(0, 7).toLowerCase() === 'http://';
}
