/**
 * Reads a result JSON written by tripbench or by any fortio version (1.3.x, 1.33, current) into a
 * FortioResult. Missing fields get fortio's defaults, version quirks are normalised (1.33's
 * `"Percentiles": null`, integer `ID`), unknown fields are dropped. Bad input is a one-line
 * UsageError naming the file and the field.
 */
import type { FortioResult, TripbenchExtras } from './fortioResult.js';
import type { Bucket, HistogramData, Percentile } from '../stats/fortioHistogram.js';
import { DEFAULT_RESOLUTION } from '../stats/fortioShapes.js';
import { UsageError, oneLineMessage } from '../shared/errors.js';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

class Reader {
  constructor(private readonly source: string) {}

  fail(path: string, what: string): never {
    throw new UsageError(`${this.source}: ${path}: ${what}`);
  }

  // Go's decoder leaves a field at its zero value for null, so null reads as "missing".
  num(o: Obj, key: string, path: string, def = 0): number {
    const v = o[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'number') this.fail(`${path}${key}`, `expected a number, got ${JSON.stringify(v)}`);
    return v;
  }

  str(o: Obj, key: string, path: string, def = ''): string {
    const v = o[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'string') this.fail(`${path}${key}`, `expected a string, got ${JSON.stringify(v)}`);
    return v;
  }

  bool(o: Obj, key: string, path: string, def = false): boolean {
    const v = o[key];
    if (v === undefined || v === null) return def;
    if (typeof v !== 'boolean') this.fail(`${path}${key}`, `expected true or false, got ${JSON.stringify(v)}`);
    return v;
  }

  obj(o: Obj, key: string, path: string): Obj | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (!isObj(v)) this.fail(`${path}${key}`, 'expected an object');
    return v;
  }

  list(o: Obj, key: string, path: string): unknown[] | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) this.fail(`${path}${key}`, 'expected an array');
    return v as unknown[];
  }

  numList(o: Obj, key: string, path: string): number[] {
    return (this.list(o, key, path) ?? []).map((x, i) => {
      if (typeof x !== 'number') this.fail(`${path}${key}[${i}]`, 'expected a number');
      return x;
    });
  }

  numMap(o: Obj, key: string, path: string): Record<string, number> {
    const m = this.obj(o, key, path) ?? {};
    const out: Record<string, number> = {};
    for (const [k, v] of Object.entries(m)) out[k] = this.num(m, k, `${path}${key}.`);
    return out;
  }

  histogram(o: Obj, key: string, path: string): HistogramData {
    const h = this.obj(o, key, path);
    if (!h) return emptyHistogram();
    const p = `${path}${key}.`;
    const data = this.list(h, 'Data', p);
    const ps = this.list(h, 'Percentiles', p);
    const res: HistogramData = {
      Count: this.num(h, 'Count', p),
      Min: this.num(h, 'Min', p),
      Max: this.num(h, 'Max', p),
      Sum: this.num(h, 'Sum', p),
      Avg: this.num(h, 'Avg', p),
      StdDev: this.num(h, 'StdDev', p),
      Data: data === undefined ? null : data.map((b, i) => this.bucket(b, `${p}Data[${i}].`)),
    };
    // 1.33 writes "Percentiles": null; current fortio omits it (omitempty).
    if (ps && ps.length > 0) res.Percentiles = ps.map((x, i) => this.percentile(x, `${p}Percentiles[${i}].`));
    return res;
  }

  private bucket(b: unknown, path: string): Bucket {
    if (!isObj(b)) this.fail(path.slice(0, -1), 'expected an object');
    return { Start: this.num(b, 'Start', path), End: this.num(b, 'End', path), Percent: this.num(b, 'Percent', path), Count: this.num(b, 'Count', path) };
  }

  private percentile(x: unknown, path: string): Percentile {
    if (!isObj(x)) this.fail(path.slice(0, -1), 'expected an object');
    return { Percentile: this.num(x, 'Percentile', path), Value: this.num(x, 'Value', path) };
  }
}

export function emptyHistogram(): HistogramData {
  return { Count: 0, Min: 0, Max: 0, Sum: 0, Avg: 0, StdDev: 0, Data: null };
}

/** Tripbench fields with a fixed place in the encoding; any other key is an opaque extra. */
export const TRIPBENCH_KNOWN: ReadonlySet<string> = new Set([
  'Version', 'WarmupCalls', 'ThreadsFlag', 'Interrupted', 'DurationHdr', 'ErrorsHdr', 'ErrorKinds', 'ThreadCalls',
  'ThreadDurations', 'SleepHistogram', 'Workers', 'Connections', 'Shard',
]);

function readTripbench(rd: Reader, t: Obj): TripbenchExtras {
  const p = 'Tripbench.';
  const out: TripbenchExtras = {
    Version: rd.str(t, 'Version', p),
    WarmupCalls: rd.num(t, 'WarmupCalls', p),
    ThreadsFlag: rd.num(t, 'ThreadsFlag', p),
    Interrupted: rd.bool(t, 'Interrupted', p),
    ErrorKinds: rd.numMap(t, 'ErrorKinds', p),
    ThreadCalls: rd.numList(t, 'ThreadCalls', p),
    ThreadDurations: rd.numList(t, 'ThreadDurations', p),
    Workers: (rd.list(t, 'Workers', p) ?? []).map((w, i) => {
      const wp = `${p}Workers[${i}].`;
      if (!isObj(w)) rd.fail(wp.slice(0, -1), 'expected an object');
      return { Index: rd.num(w, 'Index', wp), Threads: rd.numList(w, 'Threads', wp), Calls: rd.num(w, 'Calls', wp) };
    }),
  };
  if (t.DurationHdr != null) out.DurationHdr = rd.str(t, 'DurationHdr', p);
  if (t.ErrorsHdr != null) out.ErrorsHdr = rd.str(t, 'ErrorsHdr', p);
  if (t.SleepHistogram != null) out.SleepHistogram = rd.histogram(t, 'SleepHistogram', p);
  const conns = rd.list(t, 'Connections', p);
  if (conns) {
    out.Connections = conns.map((c, i) => {
      const cp = `${p}Connections[${i}].`;
      if (!isObj(c)) rd.fail(cp.slice(0, -1), 'expected an object');
      return {
        Thread: rd.num(c, 'Thread', cp, i),
        Sockets: rd.num(c, 'Sockets', cp),
        Addresses: rd.numMap(c, 'Addresses', cp),
        Timing: rd.histogram(c, 'Timing', cp),
      };
    });
  }
  if (t.Shard != null) out.Shard = rd.str(t, 'Shard', p);
  // Extras added by later features travel through untouched.
  for (const [k, v] of Object.entries(t)) if (!TRIPBENCH_KNOWN.has(k) && v !== undefined) out[k] = v;
  return out;
}

/** Parses a result file's text; `source` (the file name) prefixes every error message. */
export function parseFortioJson(text: string, source = 'JSON result'): FortioResult {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${source}: not valid JSON: ${oneLineMessage(e)}`);
  }
  const rd = new Reader(source);
  if (!isObj(v)) throw new UsageError(`${source}: not a fortio result: expected a JSON object`);
  if (!isObj(v.DurationHistogram)) throw new UsageError(`${source}: not a fortio result: no DurationHistogram object`);
  const o = v;
  const reuse = rd.numList(o, 'ConnReuseRange', '');
  const r: FortioResult = {
    RunType: rd.str(o, 'RunType', ''),
    Labels: rd.str(o, 'Labels', ''),
    StartTime: rd.str(o, 'StartTime', ''),
    RequestedQPS: rd.str(o, 'RequestedQPS', ''),
    RequestedDuration: rd.str(o, 'RequestedDuration', ''),
    ActualQPS: rd.num(o, 'ActualQPS', ''),
    ActualDuration: rd.num(o, 'ActualDuration', ''),
    NumThreads: rd.num(o, 'NumThreads', ''),
    Version: rd.str(o, 'Version', ''),
    DurationHistogram: rd.histogram(o, 'DurationHistogram', ''),
    ErrorsDurationHistogram: rd.histogram(o, 'ErrorsDurationHistogram', ''),
    Exactly: rd.num(o, 'Exactly', ''),
    Jitter: rd.bool(o, 'Jitter', ''),
    Uniform: rd.bool(o, 'Uniform', ''),
    NoCatchUp: rd.bool(o, 'NoCatchUp', ''),
    RunID: rd.num(o, 'RunID', ''),
    AccessLoggerInfo: rd.str(o, 'AccessLoggerInfo', ''),
    // 1.21.1–1.34 wrote the HTTP options' integer thread ID here, not the result ID.
    ID: typeof o.ID === 'number' ? '' : rd.str(o, 'ID', ''),
    RetCodes: rd.numMap(o, 'RetCodes', ''),
    IPCountMap: rd.numMap(o, 'IPCountMap', ''),
    Insecure: rd.bool(o, 'Insecure', ''),
    MTLS: rd.bool(o, 'MTLS', ''),
    CACert: rd.str(o, 'CACert', ''),
    Cert: rd.str(o, 'Cert', ''),
    Key: rd.str(o, 'Key', ''),
    UnixDomainSocket: rd.str(o, 'UnixDomainSocket', ''),
    URL: rd.str(o, 'URL', ''),
    NumConnections: rd.num(o, 'NumConnections', '', 1),
    Compression: rd.bool(o, 'Compression', ''),
    DisableFastClient: rd.bool(o, 'DisableFastClient', ''),
    HTTP10: rd.bool(o, 'HTTP10', ''),
    H2: rd.bool(o, 'H2', ''),
    DisableKeepAlive: rd.bool(o, 'DisableKeepAlive', ''),
    AllowHalfClose: rd.bool(o, 'AllowHalfClose', ''),
    FollowRedirects: rd.bool(o, 'FollowRedirects', ''),
    Resolve: rd.str(o, 'Resolve', ''),
    HTTPReqTimeOut: rd.num(o, 'HTTPReqTimeOut', '', 3_000_000_000),
    UserCredentials: rd.str(o, 'UserCredentials', ''),
    ContentType: rd.str(o, 'ContentType', ''),
    Payload: rd.str(o, 'Payload', ''),
    MethodOverride: rd.str(o, 'MethodOverride', ''),
    LogErrors: rd.bool(o, 'LogErrors', '', true),
    SequentialWarmup: rd.bool(o, 'SequentialWarmup', ''),
    ConnReuseRange: [reuse[0] ?? 0, reuse[1] ?? 0],
    NoResolveEachConn: rd.bool(o, 'NoResolveEachConn', ''),
    Offset: rd.num(o, 'Offset', ''),
    Resolution: rd.num(o, 'Resolution', '', DEFAULT_RESOLUTION),
    Sizes: rd.histogram(o, 'Sizes', ''),
    HeaderSizes: rd.histogram(o, 'HeaderSizes', ''),
    Sockets: rd.numList(o, 'Sockets', ''),
    SocketCount: rd.num(o, 'SocketCount', ''),
    ConnectionStats: rd.histogram(o, 'ConnectionStats', ''),
    AbortOn: rd.num(o, 'AbortOn', ''),
  };
  const t = rd.obj(o, 'Tripbench', '');
  if (t) r.Tripbench = readTripbench(rd, t);
  if (r.RunType.startsWith('GRPC ')) Object.assign(r, grpcFields(rd, o));
  return r;
}

/** fgrpc.GRPCRunnerResults' own fields (report/fortioGrpcResult.ts), so its report prints again; v1.33 has no Metadata. */
function grpcFields(rd: Reader, o: Obj): { Destination: string; Streams: number; Ping: boolean; Metadata: Record<string, string[]> } {
  const md: Record<string, string[]> = {};
  const raw = rd.obj(o, 'Metadata', '');
  for (const [k, v] of Object.entries(raw ?? {})) if (Array.isArray(v)) md[k] = v.filter((x): x is string => typeof x === 'string');
  return { Destination: rd.str(o, 'Destination', ''), Streams: rd.num(o, 'Streams', '', 1), Ping: rd.bool(o, 'Ping', ''), Metadata: md };
}
