/**
 * fortio's `load`/`curl` flags (fortio-compat.md §1) with fortio's defaults, turned into the
 * engine's RunOptions and the HTTP layer's options. Flag syntax errors exit 2 (Go flag package);
 * semantic errors that fortio reports after parsing (no URL, bad -p, -calc-qps misuse,
 * unreadable -payload-file) exit 1, as fortio does.
 */
import { readFileSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { type FlagSpecs, type ParsedFlags, FlagError, flagBool, flagNumber, flagString, flagStrings, parseFlags } from './flags.js';
import { DEFAULT_RUN_OPTIONS, type RunOptions } from '../engine/options.js';
import { Level, parseLevel } from '../shared/log.js';
import { TripbenchError } from '../shared/errors.js';
import { parseConnectionReuse, parseHeaderFlag } from '../http/options.js';
import { targetSharesHost } from '../http/resolve.js';
import { headerValueProblem, methodProblem } from '../http/requestValidation.js';
import { withScheme } from '../http/urlScheme.js';
import { LIMITS } from '../shared/limits.js';
import { formatDuration } from '../shared/goFormat.js';
import { errorMessage } from '../shared/errors.js';

const S = 1e9;

export const LOAD_FLAGS: FlagSpecs = {
  c: { type: 'int', default: 4, usage: 'Number of connections/goroutine/threads' },
  n: { type: 'int', default: 0, usage: 'Run for exactly this number of calls instead of duration. Default (0) is to use duration (-t).' },
  qps: { type: 'float', default: 8, usage: 'Queries Per Seconds or 0 for no wait/max qps' },
  t: { type: 'duration', default: 5 * S, usage: 'How long to run the test or 0 to run until ^C' },
  p: { type: 'string', default: '50,75,90,99,99.9', usage: 'List of pXX to calculate' },
  r: { type: 'float', default: 0.001, usage: 'Resolution of the histogram lowest buckets in seconds' },
  offset: { type: 'duration', default: 0, usage: 'Offset of the histogram data' },
  H: { type: 'strings', default: [], usage: 'Additional header(s) (repeatable), "Key: Value"' },
  timeout: { type: 'duration', default: 3 * S, usage: 'Connection and read timeout value (for http)' },
  X: { type: 'string', default: '', usage: 'HTTP method to use instead of GET/POST' },
  payload: { type: 'string', default: '', usage: 'Payload string to send along (switches to POST)' },
  'payload-file': { type: 'string', default: '', usage: 'File path to be use as payload (POST), - for stdin' },
  'payload-size': { type: 'int', default: 0, usage: 'Additional random payload size, replaces -payload when set > 0' },
  'content-type': { type: 'string', default: '', usage: 'Sets http content type. Setting this value switches the request method from GET to POST.' },
  keepalive: { type: 'bool', default: true, usage: 'Keep connection alive (only for fast http 1.1)' },
  halfclose: { type: 'bool', default: false, usage: 'When not keepalive, whether to half close the connection' },
  'http1.0': { type: 'bool', default: false, usage: 'Use http1.0 (instead of http 1.1)' },
  json: { type: 'string', default: '', usage: 'Json output to provided file path or \'-\' for stdout (empty = no json output)' },
  a: { type: 'bool', default: false, usage: 'Automatically save JSON result with filename based on labels & timestamp' },
  'data-dir': { type: 'string', default: '.', usage: 'Directory where JSON results are stored/read' },
  labels: { type: 'string', default: '', usage: 'Additional config data/labels to add to the resulting JSON, defaults to target URL and hostname' },
  loglevel: { type: 'string', default: 'Info', usage: 'log level, one of [Debug Verbose Info Warning Error Critical Fatal]' },
  quiet: { type: 'bool', default: false, usage: 'Quiet mode, sets loglevel to Error (quietly) to reduces the output' },
  'logger-json': { type: 'bool', default: !process.stderr.isTTY, usage: 'Log in JSON format, defaults to true when stderr is not a terminal' },
  'allow-initial-errors': { type: 'bool', default: false, usage: 'Allow and don\'t abort on initial warmup errors' },
  'abort-on': { type: 'int', default: 0, usage: 'Http `code` that if encountered aborts the run. e.g. 503 or -1 for socket errors.' },
  uniform: { type: 'bool', default: false, usage: 'Should requests be uniformly spread among threads (in qps mode only)' },
  jitter: { type: 'bool', default: false, usage: 'set to true to de-synchronize parallel clients\' by 10%' },
  nocatchup: { type: 'bool', default: false, usage: 'set to exact fixed qps and prevent fortio from trying to catchup when the target fails to keep up temporarily' },
  k: { type: 'bool', default: false, usage: 'Do not verify certs in https connections' },
  'https-insecure': { type: 'bool', default: false, usage: 'Long form of the -k flag' },
  curl: { type: 'bool', default: false, usage: 'Just fetch the content once' },
  stdclient: { type: 'bool', default: false, usage: 'Use the slower undici client instead of the lean HTTP/1.1 client' },
  h2: { type: 'bool', default: false, usage: 'Attempt to use http2.0 / h2 (instead of http 1.1) for both TLS and h2c' },
  workers: { type: 'int', default: 0, usage: 'Number of worker threads (0 = one per core, leaving one core to a target on this machine; never more than -c)' },
  'sequential-warmup': { type: 'bool', default: false, usage: 'http(s) runner warmup done sequentially instead of parallel' },
  'connection-reuse': { type: 'string', default: '', usage: 'Range min:max for the max number of connections to reuse for each thread, default to unlimited' },
  'log-errors': { type: 'bool', default: true, usage: 'Log http non 2xx/418 error codes as they occur' },
  'calc-qps': { type: 'bool', default: false, usage: 'Calculate the qps based on number of requests (-n) and duration (-t)' },
  resolve: { type: 'string', default: '', usage: 'Resolve host name to this IP' },
  'connect-to': { type: 'string', default: '', usage: 'host:port to connect to instead of the URL\'s host and port, URL, Host header and SNI unchanged (like curl --connect-to; e.g. a sidecar\'s 127.0.0.1:15001)' },
  cacert: { type: 'string', default: '', usage: 'Path to a custom CA certificate file to be used for the TLS client connections, if empty, use https:// prefix for standard internet/system CAs' },
  runid: { type: 'int', default: 0, usage: 'Optional RunID to add to json result and auto save filename, to match server mode' },
  user: { type: 'string', default: '', usage: 'User credentials for basic authentication (for http). Input data format should be user:password' },
  httpbufferkb: { type: 'int', default: 128, usage: 'Accepted for fortio compatibility; tripbench counts bodies without a fixed buffer' },
  shard: { type: 'string', default: '', usage: 'Run shard i/N of a distributed run: splits -n and -qps exactly across N processes' },
};

export interface LoadConfig {
  urlTyped: string;
  url: string;
  run: RunOptions;
  method: string;
  headers: [string, string][];
  payload: Uint8Array | null;
  contentType: string;
  keepAlive: boolean;
  halfClose: boolean;
  http10: boolean;
  timeoutMs: number;
  insecure: boolean;
  stdClient: boolean;
  h2: boolean;
  logErrors: boolean;
  resolve: string;
  connectTo: string;
  /** -cacert file's PEM text ('' = system roots) */
  caCert: string;
  connectionReuse: [number, number];
  user: string;
  level: Level;
  /** -loglevel was given with another level than the default (fortio logs the change) */
  levelChanged: boolean;
  loggerJson: boolean;
  jsonPath: string;
  autoSave: boolean;
  dataDir: string;
  labels: string;
  runId: number;
  curl: boolean;
  qpsTyped: number;
  shard: { index: number; count: number } | null;
  /** fortio's parse-time warnings (e.g. -payload-size over the cap), logged once logging is set up. */
  warnings: string[];
  flags: ParsedFlags;
}

/** fortio's post-parse errors exit 1; keep them apart from flag syntax errors (exit 2). */
export class LoadSetupError extends TripbenchError {
  constructor(message: string) {
    super('SETUP', message);
  }
}

export function parsePercentiles(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const t = part.trim();
    if (t === '') continue;
    const v = Number(t);
    if (!Number.isFinite(v) || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) {
      throw new LoadSetupError(`Unable to extract percentiles from -p: ${t} is not a number`);
    }
    if (v <= 0 || v >= 100) throw new LoadSetupError(`Unable to extract percentiles from -p: ${t} must be > 0 and < 100`);
    out.push(v);
  }
  if (out.length === 0) throw new LoadSetupError(`Unable to extract percentiles from -p: list can't be empty`);
  return out;
}

/** Flag values that fail the HTTP layer's own parsing are flag errors (exit 2), like Go's flag.Value. */
function asFlagError<T>(flag: string, raw: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw new FlagError(`invalid value ${JSON.stringify(raw)} for flag -${flag}: ${errorMessage(e)}`);
  }
}

function refuse(problem: string | undefined): void {
  if (problem !== undefined) throw new Error(problem);
}

/** Upper bounds of shared/limits.ts, as Go-style flag errors (exit 2). */
function checkBounds(f: ParsedFlags): void {
  const over = (flag: string, max: number, what: string, show: (v: number) => string = String): void => {
    const v = flagNumber(f, flag);
    if (v > max) throw new FlagError(`invalid value "${show(v)}" for flag -${flag}: at most ${show(max)}${what} (docs/hostile-input.md)`);
  };
  over('c', LIMITS.connections, ' connections in one process');
  over('n', LIMITS.calls, ' calls in one run');
  over('qps', LIMITS.qps, ' queries per second in one process; -shard splits more over processes');
  over('t', LIMITS.durationNs, '; -t 0 runs until stopped', formatDuration);
  over('timeout', LIMITS.timeoutNs, '', formatDuration);
}

/** -payload-file as bytes: unreadable or over the limit is fortio's post-parse error (exit 1). */
function readPayloadFile(path: string): Uint8Array {
  try {
    if (path !== '-' && statSync(path).size > LIMITS.payloadBytes) {
      throw new Error(`larger than ${LIMITS.payloadBytes} bytes (4 MiB), the largest request body tripbench sends`);
    }
    const b = readFileSync(path === '-' ? 0 : path);
    if (b.length > LIMITS.payloadBytes) throw new Error(`larger than ${LIMITS.payloadBytes} bytes (4 MiB), the largest request body tripbench sends`);
    return b;
  } catch (e) {
    throw new LoadSetupError(`Error: unable to read -payload-file ${path}: ${errorMessage(e)}`);
  }
}

export function parseShard(s: string): { index: number; count: number } | null {
  if (s === '') return null;
  const m = /^(\d+)\/(\d+)$/.exec(s.trim());
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || count < 1 || index >= count) {
    throw new FlagError(`invalid value "${s}" for flag -shard: expecting i/N with 0 <= i < N`);
  }
  return { index, count };
}

/** Default fortio labels: URL without scheme, then the short host name. */
export function defaultLabels(urlTyped: string): string {
  const short = hostname().split('.')[0] ?? '';
  return `${urlTyped.replace(/^https?:\/\//, '')} , ${short}`;
}

export function parseLoadFlags(argv: readonly string[], command: 'load' | 'curl'): LoadConfig {
  const f = parseFlags(argv, LOAD_FLAGS);
  const lv = parseLevel(flagString(f, 'loglevel'));
  if (lv === undefined) {
    throw new FlagError(`invalid value "${flagString(f, 'loglevel')}" for flag -loglevel: must be one of Debug Verbose Info Warning Error Critical Fatal`);
  }
  checkBounds(f);
  const headers = flagStrings(f, 'H').map((h) => asFlagError('H', h, () => parseHeaderFlag(h)));
  const methodOverride = flagString(f, 'X');
  if (f.set.has('X')) asFlagError('X', methodOverride, () => refuse(methodProblem(methodOverride)));
  asFlagError('content-type', flagString(f, 'content-type'), () => refuse(headerValueProblem(flagString(f, 'content-type'))));
  const reuse = flagString(f, 'connection-reuse');
  const connectionReuse = asFlagError('connection-reuse', reuse, () => parseConnectionReuse(reuse));
  const shard = parseShard(flagString(f, 'shard'));
  if (f.positional.length === 0) {
    throw new LoadSetupError(`Error: tripbench ${command} needs a url or destination`);
  }
  if (f.positional.length > 1) {
    // Go's flag parsing stops at the URL, so `URL -c 3` and `-keepalive false URL` leave extra
    // arguments; fortio's "needs a url" alone would send the user looking for a missing URL.
    const args = f.positional.map((a) => JSON.stringify(a)).join(' ');
    throw new LoadSetupError(
      `Error: tripbench ${command} needs a single url or destination, got ${f.positional.length} arguments: ${args} (flags go before the url; booleans take -flag=false)`,
    );
  }
  const urlTyped = f.positional[0] as string;
  let url: string;
  try {
    url = withScheme(urlTyped).url;
  } catch (e) {
    throw new LoadSetupError(`Error: ${errorMessage(e)}`);
  }
  try {
    new URL(url);
  } catch {
    throw new LoadSetupError(`Error: invalid url '${urlTyped}'`);
  }
  const percentiles = parsePercentiles(flagString(f, 'p'));

  let payload: Uint8Array | null = null;
  const payloadFile = flagString(f, 'payload-file');
  const payloadSize = flagNumber(f, 'payload-size');
  const warnings: string[] = [];
  if (payloadSize > 0) {
    if (payloadSize > LIMITS.randomPayloadBytes) {
      warnings.push(`Requested size ${payloadSize} greater than max size ${LIMITS.randomPayloadBytes}, using max instead`);
    }
    payload = randomBytes(Math.min(payloadSize, LIMITS.randomPayloadBytes));
  } else if (payloadFile !== '') payload = readPayloadFile(payloadFile);
  else if (Buffer.byteLength(flagString(f, 'payload')) > LIMITS.payloadBytes) {
    throw new FlagError(`invalid value for flag -payload: larger than ${LIMITS.payloadBytes} bytes (4 MiB), the largest request body tripbench sends`);
  } else if (flagString(f, 'payload') !== '') payload = Buffer.from(flagString(f, 'payload'));

  let contentType = flagString(f, 'content-type');
  const ctHeader = headers.find(([k]) => k.toLowerCase() === 'content-type');
  if (ctHeader) contentType = ctHeader[1];
  const method = methodOverride !== '' ? methodOverride.toUpperCase() : payload !== null || contentType !== '' ? 'POST' : 'GET';

  let qps = flagNumber(f, 'qps');
  const exactly = flagNumber(f, 'n');
  const durationNs = flagNumber(f, 't');
  if (flagBool(f, 'calc-qps')) {
    if (exactly <= 0 || durationNs <= 0) throw new LoadSetupError("Error: can't use `-calc-qps` without also specifying `-n` and `-t`");
    qps = exactly / (durationNs / 1e9);
  }
  const quiet = flagBool(f, 'quiet');
  const run: RunOptions = {
    ...DEFAULT_RUN_OPTIONS,
    threads: flagNumber(f, 'c'),
    qps,
    exactly,
    durationNs,
    uniform: flagBool(f, 'uniform'),
    jitter: flagBool(f, 'jitter'),
    noCatchUp: flagBool(f, 'nocatchup'),
    abortOn: flagNumber(f, 'abort-on'),
    allowInitialErrors: flagBool(f, 'allow-initial-errors'),
    sequentialWarmup: flagBool(f, 'sequential-warmup'),
    resolution: flagNumber(f, 'r') > 0 ? flagNumber(f, 'r') : 0.001,
    offset: flagNumber(f, 'offset') / 1e9,
    percentiles,
    workers: Math.max(0, flagNumber(f, 'workers')),
    reserveCores: targetSharesHost(url, flagString(f, 'resolve')) || (flagString(f, 'connect-to') !== '' && targetSharesHost(`http://${flagString(f, 'connect-to')}/`)) ? 1 : 0,
  };
  return {
    urlTyped,
    url,
    run,
    method,
    headers,
    payload,
    contentType,
    keepAlive: flagBool(f, 'keepalive'),
    halfClose: flagBool(f, 'halfclose'),
    http10: flagBool(f, 'http1.0'),
    timeoutMs: flagNumber(f, 'timeout') / 1e6,
    insecure: flagBool(f, 'k') || flagBool(f, 'https-insecure'),
    stdClient: flagBool(f, 'stdclient'),
    h2: flagBool(f, 'h2'),
    logErrors: flagBool(f, 'log-errors'),
    resolve: flagString(f, 'resolve'),
    connectTo: connectToFlag(flagString(f, 'connect-to')),
    caCert: caCertFlag(flagString(f, 'cacert')),
    connectionReuse,
    user: flagString(f, 'user'),
    level: quiet ? Level.Error : lv,
    levelChanged: !quiet && f.set.has('loglevel') && lv !== Level.Info,
    loggerJson: flagBool(f, 'logger-json'),
    jsonPath: flagString(f, 'json'),
    autoSave: flagBool(f, 'a'),
    dataDir: flagString(f, 'data-dir'),
    labels: flagString(f, 'labels') !== '' ? flagString(f, 'labels') : defaultLabels(urlTyped),
    runId: flagNumber(f, 'runid'),
    curl: command === 'curl' || flagBool(f, 'curl'),
    qpsTyped: qps,
    shard,
    warnings,
    flags: f,
  };
}

/** -connect-to host:port (IPv6 in brackets); a bad value is a usage error naming the flag. */
function connectToFlag(v: string): string {
  if (v === '') return '';
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new FlagError(`invalid value "${v}" for flag -connect-to: want host:port`);
  return v;
}

/** -cacert FILE: its PEM text, read here (cli/) so the clients in worker threads get data, not a path. */
function caCertFlag(path: string): string {
  if (path === '') return '';
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new FlagError(`invalid value "${path}" for flag -cacert: ${errorMessage(e)}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new FlagError(`invalid value "${path}" for flag -cacert: no PEM certificate in this file`);
  return text;
}
