/**
 * The library form of `tripbench load -grpc`: fortio's RunGRPCTest (fgrpc/grpcrunner.go) as the
 * pacing engine driving the gRPC runnable of src/grpc/. `-c` connections of `-s` streams each are
 * c*s engine threads (fortio's `o.NumThreads *= o.Streams`); a connection's streams stay on one
 * worker. Returns data; printing is the CLI's.
 */
import { buildPlan, runEngine } from '../engine/index.js';
import type { EngineResults } from '../engine/results.js';
import type { RunOptions } from '../engine/options.js';
import type { HttpOptions } from '../http/options.js';
import { grpcDestination, grpcUsesTls, type GrpcChoice, type GrpcLoadOptions } from '../grpc/options.js';
import { mergeGrpcStats, type GrpcThreadStats } from '../grpc/stats.js';
import type { FortioGrpcResult } from '../report/fortioGrpcResult.js';
import { formatDuration } from '../shared/goFormat.js';
import { compiledUrl } from '../shared/modulePath.js';
import type { TripbenchExtras } from '../report/fortioResult.js';
import { buildRunCommon } from './buildResult.js';
import { engineHooks, type RunHooks } from './runHooks.js';

export interface GrpcLoadRequest extends RunHooks {
  /** The engine's options as the flags gave them: `threads` is -c (connections). */
  run: RunOptions;
  grpc: GrpcLoadOptions;
  /** The JSON's Metadata: the -H headers as fortio's metadata.MD. */
  metadata: Record<string, string[]>;
}

export interface GrpcLoadOutcome {
  result: FortioGrpcResult;
  engine: EngineResults;
}

/** RunGRPCTest's -c: below 1 it is fortio's default 4 (not periodic's 1). */
export function grpcConnections(c: number): number {
  return c < 1 ? 4 : Math.trunc(c);
}

/** The engine's options for a gRPC load: c*s threads. */
export function grpcRunOptions(run: RunOptions, streams: number): RunOptions {
  return { ...run, threads: grpcConnections(run.threads) * Math.max(1, streams) };
}

/** fortio's RunType: `GRPC Ping[ Delay=10ms]` or `GRPC Health for 'svc'`, then ` PayloadLength=N` with a payload. */
export function grpcRunType(o: Pick<GrpcLoadOptions, 'ping' | 'delayNs' | 'healthService' | 'payload'>): string {
  let t = o.ping ? `GRPC Ping${o.delayNs > 0 ? ` Delay=${formatDuration(o.delayNs)}` : ''}` : `GRPC Health for '${o.healthService}'`;
  const len = Buffer.byteLength(o.payload);
  if (len > 0) t += ` PayloadLength=${len}`;
  return t;
}

/** Lower-cased -H keys as fortio's httpHeader2grpcMetadata makes them (content-type/length dropped), with user-agent and host. */
export function grpcMetadata(http: HttpOptions): Record<string, string[]> {
  const md: Record<string, string[]> = {};
  const add = (k: string, v: string): void => void (md[k] ??= []).push(v);
  if (http.userAgent !== '') add('user-agent', http.userAgent);
  if (http.host !== '') add('host', http.host);
  for (const [k, v] of http.headers) {
    const key = k.toLowerCase();
    if (key === 'content-type' || key === 'content-length') continue;
    add(key, v);
  }
  return md;
}

/** fortio's PayloadUTF8: a payload that is not valid UTF-8 loses its invalid bytes (gRPC strings are UTF-8). */
function payloadUtf8(p: Uint8Array | null): string {
  if (!p || p.length === 0) return '';
  return new TextDecoder('utf-8').decode(p).replace(/\uFFFD/g, '');
}

/**
 * The gRPC runner's options from what loadOptions made of the load knobs. The destination is
 * the URL as typed (host:port, host, or http(s)://…); with -connect-to the channel dials there.
 */
export function grpcLoadOptions(urlTyped: string, choice: GrpcChoice, http: HttpOptions, run: RunOptions): GrpcLoadOptions {
  const streams = Math.max(1, Math.trunc(choice.streams));
  const md = grpcMetadata(http);
  const sent: [string, string][] = [];
  for (const [k, vs] of Object.entries(md)) if (k !== 'user-agent' && k !== 'host') for (const v of vs) sent.push([k, v]);
  return {
    destination: urlTyped,
    target: http.connectTo !== '' ? http.connectTo : grpcDestination(urlTyped),
    tls: grpcUsesTls(urlTyped, http.caCert) ? { caCert: http.caCert, clientCert: http.clientCert, clientKey: http.clientKey, insecure: http.insecure } : null,
    ping: choice.ping,
    healthService: choice.healthService,
    payload: payloadUtf8(http.payload),
    delayNs: choice.delayNs,
    streams,
    compression: choice.compression,
    metadata: sent,
    userAgent: http.userAgent,
    // with -connect-to (a pod's interception) the calls still name the destination, as the Host header does for HTTP
    authority: http.host !== '' ? http.host : http.connectTo !== '' ? grpcDestination(urlTyped) : '',
    activeThreads: buildPlan(grpcRunOptions(run, streams)).threads,
    firstCall: run.exactly <= 0,
    allowInitialErrors: run.allowInitialErrors,
    setupTsNs: (BigInt(Date.now()) * 1_000_000n).toString(),
  };
}

export function grpcRunnableUrl(): URL {
  return compiledUrl('../grpc/grpcRunnable.js', import.meta.url);
}

export async function runGrpcLoad(req: GrpcLoadRequest): Promise<GrpcLoadOutcome> {
  // RunGRPCTest reads no AbortOn (an HTTPRunnerOptions field), and makes its first calls in its
  // setup loop, one connection after the other, returning at the first error
  const run: RunOptions = { ...grpcRunOptions(req.run, req.grpc.streams), abortOn: 0, sequentialWarmup: true };
  const engine = await runEngine({
    options: run,
    runnableUrl: grpcRunnableUrl(),
    runnableOptions: req.grpc,
    targetLabel: req.grpc.destination,
    threadGroup: req.grpc.streams,
    // RunGRPCTest returns the first call's error itself: `Aborting because of rpc error: …`
    warmupAbortText: (code, detail) => detail ?? `rpc error: code ${code}`,
    ...engineHooks(req),
  });
  const stats = mergeGrpcStats(engine.threads.map((t) => t.protocol as GrpcThreadStats));
  const common = buildRunCommon(grpcRunType(req.grpc), engine, {
    run,
    labels: req.labels ?? req.grpc.destination,
    runId: req.runId ?? 0,
    threadsFlag: req.run.threads,
  });
  // fortio_main prints `(plus <-c> warmup)`: the flag, not the c*s threads nor the first calls made
  (common.Tripbench as TripbenchExtras).WarmupCalls = run.exactly > 0 ? 0 : req.run.threads;
  const result: FortioGrpcResult = {
    ...common,
    RetCodes: stats.retCodes,
    Destination: req.grpc.destination,
    Streams: req.grpc.streams,
    Ping: req.grpc.ping,
    Metadata: req.metadata,
  };
  // Tripbench last, as every runner's JSON has it
  const { Tripbench, ...rest } = result;
  return { result: { ...rest, ...(Tripbench ? { Tripbench } : {}) } as FortioGrpcResult, engine };
}
