/**
 * fortio's `load`/`curl` flags (fortio-compat.md §1) with fortio's defaults: the load knobs of
 * src/load/loadSpec.ts, read into a LoadSpec that loadOptions turns into the engine's RunOptions
 * and the HTTP layer's options, plus the flags of the command line alone (output, logging,
 * -payload-file/-payload-size, -calc-qps, -shard). Flag syntax errors exit 2 (Go flag package);
 * semantic errors that fortio reports after parsing (no URL, bad -p, -calc-qps misuse,
 * unreadable -payload-file) exit 1, as fortio does.
 */
import { readFileSync, statSync } from 'node:fs';
import { randomBytes } from '../shared/lazyCrypto.js';
import { hostname } from 'node:os';
import { type FlagSpec, type FlagSpecs, type ParsedFlags, FlagError, flagBool, flagNumber, flagString, flagStrings, parseFlags } from './flags.js';
import type { RunOptions } from '../engine/options.js';
import { Level, parseLevel } from '../shared/log.js';
import { TripbenchError, UsageError } from '../shared/errors.js';
import { parseConnectionReuse, parseHeaderFlag, type HttpOptions } from '../http/options.js';
import { headerValueProblem, methodProblem } from '../http/requestValidation.js';
import { KNOB_NAMES, knobDef, loadOptions, type KnobDef, type LoadSpec } from '../load/loadSpec.js';
import { LIMITS } from '../shared/limits.js';
import { formatDuration } from '../shared/goFormat.js';
import { errorMessage } from '../shared/errors.js';
import { parseStartTime } from '../merge/timeRanges.js';
import { UDP_TIMEOUT_DEFAULT_MS } from '../netload/options.js';
import type { GrpcChoice } from '../grpc/options.js';

/** A load knob as a Go flag: -p is typed as a comma list. */
function knobFlag(def: KnobDef): FlagSpec {
  if (def.kind === 'percentiles') return { type: 'string', default: (def.default as number[]).join(','), usage: def.usage };
  return { type: def.kind, default: def.default as FlagSpec['default'], usage: def.usage };
}

/** The load knobs (src/load/loadSpec.ts) and the flags only the command line has. */
export const LOAD_FLAGS: FlagSpecs = {
  ...Object.fromEntries(KNOB_NAMES.map((name) => [name, knobFlag(knobDef(name))])),
  'payload-file': { type: 'string', default: '', usage: 'File path to be use as payload (POST), - for stdin' },
  'payload-size': { type: 'int', default: 0, usage: 'Additional random payload size, replaces -payload when set > 0' },
  json: { type: 'string', default: '', usage: 'Json output to provided file path or \'-\' for stdout (empty = no json output)' },
  a: { type: 'bool', default: false, usage: 'Automatically save JSON result with filename based on labels & timestamp' },
  'data-dir': { type: 'string', default: '.', usage: 'Directory where JSON results are stored/read' },
  labels: { type: 'string', default: '', usage: 'Additional config data/labels to add to the resulting JSON, defaults to target URL and hostname' },
  loglevel: { type: 'string', default: 'Info', usage: 'log level, one of [Debug Verbose Info Warning Error Critical Fatal]' },
  quiet: { type: 'bool', default: false, usage: 'Quiet mode, sets loglevel to Error (quietly) to reduces the output' },
  'logger-json': { type: 'bool', default: !process.stderr.isTTY, usage: 'Log in JSON format, defaults to true when stderr is not a terminal' },
  'https-insecure': { type: 'bool', default: false, usage: 'Long form of the -k flag' },
  curl: { type: 'bool', default: false, usage: 'Just fetch the content once' },
  'calc-qps': { type: 'bool', default: false, usage: 'Calculate the qps based on number of requests (-n) and duration (-t)' },
  runid: { type: 'int', default: 0, usage: 'Optional RunID to add to json result and auto save filename, to match server mode' },
  httpbufferkb: { type: 'int', default: 128, usage: 'Accepted for fortio compatibility; tripbench counts bodies without a fixed buffer' },
  shard: { type: 'string', default: '', usage: 'Run shard i/N of a distributed run: splits -n and -qps exactly across N processes' },
  'udp-timeout': { type: 'duration', default: UDP_TIMEOUT_DEFAULT_MS * 1e6, usage: 'Udp timeout' },
  'start-at': { type: 'string', default: '', usage: 'Begin the timed run (after warmup) at this RFC 3339 time, e.g. 2026-12-07T02:00:00Z: the shared start of a distributed run\'s shards' },
};

export interface LoadConfig {
  urlTyped: string;
  /** The load as its flags describe it (what loadOptions mapped to `run` and `http`). */
  spec: LoadSpec;
  run: RunOptions;
  http: HttpOptions;
  /** The gRPC knobs (-grpc, -ping, -s, …): `grpc.grpc` picks fortio's gRPC runner. */
  grpc: GrpcChoice;
  /** The HTTP layer's remarks ("Assuming http:// …"), logged when fortio logs them. */
  httpWarnings: string[];
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
  over('s', LIMITS.connections, ' gRPC streams per connection');
  // -grpc runs c*s threads: the same bound as -c
  const threads = Math.max(1, flagNumber(f, 'c')) * Math.max(1, flagNumber(f, 's'));
  if (flagBool(f, 'grpc') && threads > LIMITS.connections) {
    throw new FlagError(`invalid value "${flagNumber(f, 's')}" for flag -s: -c × -s = ${threads} gRPC streams, at most ${LIMITS.connections} in one process (docs/hostile-input.md)`);
  }
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

/** -start-at (load and run): an RFC 3339 time as epoch ms; undefined when not given. */
export function parseStartAt(s: string, flag = '-start-at'): number | undefined {
  if (s === '') return undefined;
  const ms = parseStartTime(s);
  if (ms === undefined) throw new FlagError(`invalid value "${s}" for flag ${flag}: want an RFC 3339 time such as 2026-12-07T02:00:00Z`);
  return ms;
}

/** Default fortio labels: URL without scheme, then the short host name. */
export function defaultLabels(urlTyped: string): string {
  const short = hostname().split('.')[0] ?? '';
  return `${urlTyped.replace(/^https?:\/\//, '')} , ${short}`;
}

/** `extra`: a command's own flags beside the load flags (grpcping's -health), as fortio's one flag set has them all. */
export function parseLoadFlags(argv: readonly string[], command: 'load' | 'curl' | 'grpcping', extra: FlagSpecs = {}): LoadConfig {
  const f = parseFlags(argv, { ...LOAD_FLAGS, ...extra });
  const lv = parseLevel(flagString(f, 'loglevel'));
  if (lv === undefined) {
    throw new FlagError(`invalid value "${flagString(f, 'loglevel')}" for flag -loglevel: must be one of Debug Verbose Info Warning Error Critical Fatal`);
  }
  checkBounds(f);
  for (const h of flagStrings(f, 'H')) asFlagError('H', h, () => parseHeaderFlag(h));
  const methodOverride = flagString(f, 'X');
  if (f.set.has('X')) asFlagError('X', methodOverride, () => refuse(methodProblem(methodOverride)));
  asFlagError('content-type', flagString(f, 'content-type'), () => refuse(headerValueProblem(flagString(f, 'content-type'))));
  const reuse = flagString(f, 'connection-reuse');
  asFlagError('connection-reuse', reuse, () => parseConnectionReuse(reuse));
  connectToFlag(flagString(f, 'connect-to'));
  const shard = parseShard(flagString(f, 'shard'));
  const startAtMs = parseStartAt(flagString(f, 'start-at'));
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
  const knobs = loadSpecFromFlags(f);

  let body: Uint8Array | undefined;
  const payloadFile = flagString(f, 'payload-file');
  const payloadSize = flagNumber(f, 'payload-size');
  const warnings: string[] = [];
  if (payloadSize > 0) {
    if (payloadSize > LIMITS.randomPayloadBytes) {
      warnings.push(`Requested size ${payloadSize} greater than max size ${LIMITS.randomPayloadBytes}, using max instead`);
    }
    body = randomBytes(Math.min(payloadSize, LIMITS.randomPayloadBytes));
  } else if (payloadFile !== '') body = readPayloadFile(payloadFile);
  else if (Buffer.byteLength(flagString(f, 'payload')) > LIMITS.payloadBytes) {
    throw new FlagError(`invalid value for flag -payload: larger than ${LIMITS.payloadBytes} bytes (4 MiB), the largest request body tripbench sends`);
  }

  let qps = flagNumber(f, 'qps');
  if (flagBool(f, 'calc-qps')) {
    const exactly = flagNumber(f, 'n');
    const durationNs = flagNumber(f, 't');
    if (exactly <= 0 || durationNs <= 0) throw new LoadSetupError("Error: can't use `-calc-qps` without also specifying `-n` and `-t`");
    qps = exactly / (durationNs / 1e9);
  }
  const spec: LoadSpec = { ...knobs, qps, k: flagBool(f, 'k') || flagBool(f, 'https-insecure') };
  let made;
  try {
    made = loadOptions(spec, urlTyped, body);
  } catch (e) {
    if (e instanceof UsageError) throw new LoadSetupError(`Error: ${e.message}`);
    throw e;
  }
  const quiet = flagBool(f, 'quiet');
  const run = startAtMs !== undefined ? { ...made.run, startAtMs } : made.run;
  return {
    urlTyped,
    spec,
    run,
    http: made.http,
    grpc: made.grpc,
    httpWarnings: made.warnings,
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

/** Every load knob's value as parsed (its default when not given). */
function loadSpecFromFlags(f: ParsedFlags): LoadSpec {
  const out: Record<string, unknown> = {};
  for (const name of KNOB_NAMES) {
    const kind = knobDef(name).kind;
    out[name] =
      kind === 'bool' ? flagBool(f, name) : kind === 'string' ? flagString(f, name) : kind === 'strings' ? [...flagStrings(f, name)] : kind === 'percentiles' ? parsePercentiles(flagString(f, name)) : flagNumber(f, name);
  }
  return out as LoadSpec;
}
