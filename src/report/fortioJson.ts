/**
 * fortio's JSON result: Go `json.MarshalIndent(v, "", "  ")` + "\n" reproduced byte for byte
 * (fortio-compat.md §5.1), and a reader for ours and fortio's own files of any version.
 * Field order is written out here explicitly: callers' object insertion order never leaks in.
 */
import type { FortioResult, FortioRunCommon, TripbenchExtras } from './fortioResult.js';
import { isNetResult, type FortioNetResult } from './fortioNetResult.js';
import { isGrpcResult, type FortioGrpcResult } from './fortioGrpcResult.js';
import type { Bucket, HistogramData, Percentile } from '../stats/fortioHistogram.js';
import { TRIPBENCH_KNOWN } from './fortioJsonParse.js';

// ---------------------------------------------------------------- encoding

/** An encoded value; gets the indentation of the line it starts on. */
type Enc = (indent: string) => string;

const HEX = '0123456789abcdef';

/** Every character goQuote rewrites: control, `"`, `\\`, `<`, `>`, `&`, U+2028/2029, surrogates. */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\<>&\u2028\u2029\ud800-\udfff]/;

/** Go encoding/json string: HTML-safe (<, >, & escaped), U+2028/2029 escaped, lone surrogates → `\ufffd`. */
export function goQuote(s: string): string {
  // Most strings (the HDR base64, URLs, labels) need nothing: one regex scan instead of a
  // concatenation per character, which was ~40 ms of a near-empty run's CPU.
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += s[i] + (s[i + 1] as string);
        i++;
      } else {
        out += '\\ufffd'; // Go writes invalid UTF-8 as this escape; a lone surrogate is our analogue
      }
      continue;
    }
    switch (c) {
      case 0x22: out += '\\"'; break;
      case 0x5c: out += '\\\\'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x08: out += '\\b'; break; // \b and \f short forms since Go 1.22 (current fortio builds)
      case 0x0c: out += '\\f'; break;
      default:
        if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26 || c === 0x2028 || c === 0x2029) {
          out += '\\u' + [12, 8, 4, 0].map((sh) => HEX[(c >> sh) & 0xf]).join('');
        } else {
          out += s[i];
        }
    }
  }
  return out + '"';
}

/** Go float64 encoding: shortest digits, exponent only below 1e-6 or from 1e21 – the same as JS. */
function goNumber(x: number): string {
  if (!Number.isFinite(x)) return 'null'; // Go refuses to marshal these; null keeps the file readable
  if (Object.is(x, -0)) return '-0';
  return String(x);
}

const num = (x: number): Enc => () => goNumber(x);
const str = (s: string): Enc => () => goQuote(s);
const bool = (b: boolean): Enc => () => (b ? 'true' : 'false');

function arr<T>(xs: readonly T[] | null, f: (x: T) => Enc): Enc {
  return (ind) => {
    if (xs === null) return 'null';
    if (xs.length === 0) return '[]';
    const inner = ind + '  ';
    return `[\n${xs.map((x) => inner + f(x)(inner)).join(',\n')}\n${ind}]`;
  };
}

/** Fields in order; undefined encoders are omitted (omitempty / optional extras). */
function obj(fields: readonly (readonly [string, Enc | undefined])[]): Enc {
  return (ind) => {
    const present = fields.filter((f): f is readonly [string, Enc] => f[1] !== undefined);
    if (present.length === 0) return '{}';
    const inner = ind + '  ';
    return `{\n${present.map(([k, e]) => `${inner}${goQuote(k)}: ${e(inner)}`).join(',\n')}\n${ind}}`;
  };
}

/** Go sorts map keys by their UTF-8 bytes. */
function goKeyOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function numMap(m: Record<string, number>): Enc {
  return obj(Object.keys(m).sort(goKeyOrder).map((k) => [k, num(m[k] as number)] as const));
}

/** Go map[string][]string (gRPC metadata.MD): keys sorted, each a string array. */
function strListMap(m: Record<string, string[]>): Enc {
  return obj(Object.keys(m).sort(goKeyOrder).map((k) => [k, arr(m[k] as string[], str)] as const));
}

/** Arbitrary JSON data (Tripbench extras): objects behave like Go map[string]any, keys sorted. */
function anyValue(v: unknown): Enc {
  if (v === null || v === undefined) return () => 'null';
  if (typeof v === 'number') return num(v);
  if (typeof v === 'string') return str(v);
  if (typeof v === 'boolean') return bool(v);
  if (Array.isArray(v)) return arr(v as unknown[], anyValue);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    return obj(Object.keys(o).filter((k) => o[k] !== undefined).sort(goKeyOrder).map((k) => [k, anyValue(o[k])] as const));
  }
  return () => 'null';
}

function bucket(b: Bucket): Enc {
  return obj([['Start', num(b.Start)], ['End', num(b.End)], ['Percent', num(b.Percent)], ['Count', num(b.Count)]]);
}

function percentile(p: Percentile): Enc {
  return obj([['Percentile', num(p.Percentile)], ['Value', num(p.Value)]]);
}

function histogram(h: HistogramData): Enc {
  const ps = h.Percentiles;
  return obj([
    ['Count', num(h.Count)],
    ['Min', num(h.Min)],
    ['Max', num(h.Max)],
    ['Sum', num(h.Sum)],
    ['Avg', num(h.Avg)],
    ['StdDev', num(h.StdDev)],
    ['Data', arr(h.Data, bucket)],
    ['Percentiles', ps && ps.length > 0 ? arr(ps, percentile) : undefined],
  ]);
}

function opt<T>(v: T | undefined, f: (x: T) => Enc): Enc | undefined {
  return v === undefined ? undefined : f(v);
}

function tripbench(t: TripbenchExtras): Enc {
  const extras = Object.keys(t).filter((k) => !TRIPBENCH_KNOWN.has(k) && t[k] !== undefined).sort(goKeyOrder);
  // Defaults guard against a producer that left a required field out: the file must still be written.
  return obj([
    ['Version', str(t.Version ?? '')],
    ['WarmupCalls', num(t.WarmupCalls ?? 0)],
    ['ThreadsFlag', num(t.ThreadsFlag ?? 0)],
    ['Interrupted', bool(t.Interrupted ?? false)],
    ['DurationHdr', opt(t.DurationHdr, str)],
    ['ErrorsHdr', opt(t.ErrorsHdr, str)],
    ['ErrorKinds', numMap(t.ErrorKinds ?? {})],
    ['ThreadCalls', arr(t.ThreadCalls ?? [], num)],
    ['ThreadDurations', arr(t.ThreadDurations ?? [], num)],
    ['SleepHistogram', opt(t.SleepHistogram, histogram)],
    ['Workers', arr(t.Workers ?? [], (w) => obj([['Index', num(w.Index)], ['Threads', arr(w.Threads, num)], ['Calls', num(w.Calls)]]))],
    ['Connections', opt(t.Connections, (cs) => arr(cs, (c) => obj([
      ['Thread', num(c.Thread)],
      ['Sockets', num(c.Sockets)],
      ['Addresses', numMap(c.Addresses)],
      ['Timing', histogram(c.Timing)],
    ])))],
    ['Shard', opt(t.Shard, str)],
    ...extras.map((k) => [k, anyValue(t[k])] as const),
  ]);
}

type Field = readonly [string, Enc | undefined];

/** periodic.RunnerResults' fields, first in every runner's result. */
function runFields(r: FortioRunCommon): Field[] {
  return [
    ['RunType', str(r.RunType)],
    ['Labels', str(r.Labels)],
    ['StartTime', str(r.StartTime)],
    ['RequestedQPS', str(r.RequestedQPS)],
    ['RequestedDuration', str(r.RequestedDuration)],
    ['ActualQPS', num(r.ActualQPS)],
    ['ActualDuration', num(r.ActualDuration)],
    ['NumThreads', num(r.NumThreads)],
    ['Version', str(r.Version)],
    ['DurationHistogram', histogram(r.DurationHistogram)],
    ['ErrorsDurationHistogram', histogram(r.ErrorsDurationHistogram)],
    ['Exactly', num(r.Exactly)],
    ['Jitter', bool(r.Jitter)],
    ['Uniform', bool(r.Uniform)],
    ['NoCatchUp', bool(r.NoCatchUp)],
    ['RunID', num(r.RunID)],
    ['AccessLoggerInfo', str(r.AccessLoggerInfo)],
    ['ID', str(r.ID)],
  ];
}

/** The result as current fortio writes it (plus our `Tripbench` object last), with the final newline. */
export function encodeFortioJson(r: FortioResult): string {
  return obj([
    ...runFields(r),
    ['RetCodes', numMap(r.RetCodes)],
    ['IPCountMap', numMap(r.IPCountMap)],
    ['Insecure', bool(r.Insecure)],
    ['MTLS', bool(r.MTLS)],
    ['CACert', str(r.CACert)],
    ['Cert', str(r.Cert)],
    ['Key', str(r.Key)],
    ['UnixDomainSocket', str(r.UnixDomainSocket)],
    ['URL', str(r.URL)],
    ['NumConnections', num(r.NumConnections)],
    ['Compression', bool(r.Compression)],
    ['DisableFastClient', bool(r.DisableFastClient)],
    ['HTTP10', bool(r.HTTP10)],
    ['H2', bool(r.H2)],
    ['DisableKeepAlive', bool(r.DisableKeepAlive)],
    ['AllowHalfClose', bool(r.AllowHalfClose)],
    ['FollowRedirects', bool(r.FollowRedirects)],
    ['Resolve', str(r.Resolve)],
    ['HTTPReqTimeOut', num(r.HTTPReqTimeOut)],
    ['UserCredentials', str(r.UserCredentials)],
    ['ContentType', str(r.ContentType)],
    ['Payload', r.Payload === null ? () => 'null' : str(r.Payload)],
    ['MethodOverride', str(r.MethodOverride)],
    ['LogErrors', bool(r.LogErrors)],
    ['SequentialWarmup', bool(r.SequentialWarmup)],
    ['ConnReuseRange', arr(r.ConnReuseRange, num)],
    ['NoResolveEachConn', bool(r.NoResolveEachConn)],
    ['Offset', num(r.Offset)],
    ['Resolution', num(r.Resolution)],
    ['Sizes', histogram(r.Sizes)],
    ['HeaderSizes', histogram(r.HeaderSizes)],
    ['Sockets', arr(r.Sockets, num)],
    ['SocketCount', num(r.SocketCount)],
    ['ConnectionStats', histogram(r.ConnectionStats)],
    ['AbortOn', num(r.AbortOn)],
    ['Tripbench', opt(r.Tripbench, tripbench)],
  ])('') + '\n';
}

/** A tcp:// or udp:// result in tcprunner/udprunner's struct order (report/fortioNetResult.ts). */
export function encodeFortioNetJson(r: FortioNetResult): string {
  return obj([
    ...runFields(r),
    ['Destination', str(r.Destination)],
    ['Payload', r.Payload === null ? () => 'null' : str(r.Payload)],
    ['UnixDomainSocket', opt(r.UnixDomainSocket, str)],
    ['ReqTimeout', num(r.ReqTimeout)],
    ['RetCodes', numMap(r.RetCodes)],
    ['SocketCount', num(r.SocketCount)],
    ['BytesSent', num(r.BytesSent)],
    ['BytesReceived', num(r.BytesReceived)],
    ['Tripbench', opt(r.Tripbench, tripbench)],
  ])('') + '\n';
}

/** A gRPC result in fgrpc.GRPCRunnerResults' struct order (report/fortioGrpcResult.ts). */
export function encodeFortioGrpcJson(r: FortioGrpcResult): string {
  return obj([
    ...runFields(r),
    ['RetCodes', numMap(r.RetCodes)],
    ['Destination', str(r.Destination)],
    ['Streams', num(r.Streams)],
    ['Ping', bool(r.Ping)],
    ['Metadata', strListMap(r.Metadata)],
    ['Tripbench', opt(r.Tripbench, tripbench)],
  ])('') + '\n';
}

/** Any runner's result as fortio writes it: a scenario step's load may be HTTP, tcp/udp echo or gRPC. */
export function encodeAnyFortioJson(r: FortioResult | FortioNetResult | FortioGrpcResult): string {
  if (isNetResult(r)) return encodeFortioNetJson(r);
  if (isGrpcResult(r)) return encodeFortioGrpcJson(r);
  return encodeFortioJson(r as FortioResult);
}

export { parseFortioJson } from './fortioJsonParse.js';
