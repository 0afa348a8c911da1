/**
 * The library form of `tripbench load tcp://…` and `udp://…`: fortio's RunTCPTest / RunUDPTest
 * (tcprunner/tcprunner.go, udprunner/udprunner.go) as the pacing engine driving the echo
 * runnable of src/netload/. Returns data; printing is the CLI's.
 */
import { runEngine } from '../engine/index.js';
import type { EngineResults } from '../engine/results.js';
import type { RunOptions } from '../engine/options.js';
import type { HttpOptions } from '../http/options.js';
import { connectHostOf, connectPortOf } from '../http/resolve.js';
import { parseNetDestination, UDP_TIMEOUT_DEFAULT_MS, type NetLoadOptions } from '../netload/options.js';
import { mergeNetStats, type NetThreadStats } from '../netload/stats.js';
import type { FortioNetResult } from '../report/fortioNetResult.js';
import { compiledUrl } from '../shared/modulePath.js';
import { buildRunCommon } from './buildResult.js';
import { engineHooks, type RunHooks } from './runHooks.js';

export interface NetLoadRequest extends RunHooks {
  run: RunOptions;
  net: NetLoadOptions;
}

export interface NetLoadOutcome {
  result: FortioNetResult;
  engine: EngineResults;
}

/**
 * The echo runner's options (fortio's TCPOptions / UDPOptions) from what loadOptions made of the
 * load knobs: -payload and -timeout (the TCP read timeout; UDP has its own -udp-timeout). With
 * `connectTo` (host:port, as `-connect-to` for HTTP: a pod's iptables redirect) the connections go
 * there while Destination stays the URL as written.
 */
export function netLoadOptions(url: string, http: HttpOptions, udpTimeoutMs = UDP_TIMEOUT_DEFAULT_MS): NetLoadOptions {
  const d = parseNetDestination(url);
  return {
    proto: d.proto,
    host: connectHostOf(http, d.host),
    port: connectPortOf(http, d.port),
    destination: url,
    payload: http.payload,
    timeoutMs: d.proto === 'tcp' ? http.timeoutMs : udpTimeoutMs,
  };
}

export function netRunnableUrl(): URL {
  return compiledUrl('../netload/netRunnable.js', import.meta.url);
}

export async function runNetLoad(req: NetLoadRequest): Promise<NetLoadOutcome> {
  // fortio's tcp/udp warmup Fetch only logs its error (Run*Test: "first hit of …"): never an
  // abort; and -abort-on is an HTTPRunnerOptions field the tcp/udp runners never read.
  const run: RunOptions = { ...req.run, allowInitialErrors: true, abortOn: 0 };
  const engine = await runEngine({
    options: run,
    runnableUrl: netRunnableUrl(),
    runnableOptions: req.net,
    targetLabel: req.net.destination,
    ...engineHooks(req),
  });
  const stats = mergeNetStats(engine.threads.map((t) => t.protocol as NetThreadStats));
  const tcp = req.net.proto === 'tcp';
  const result: FortioNetResult = {
    ...buildRunCommon(tcp ? 'TCP' : 'UDP', engine, {
      run: req.run,
      labels: req.labels ?? req.net.destination,
      runId: req.runId ?? 0,
      threadsFlag: req.run.threads,
    }),
    Destination: req.net.destination,
    // the real fortio (v1.33) writes a nil []byte as null when no payload flag is given
    Payload: req.net.payload ? Buffer.from(req.net.payload).toString('base64') : null,
    ...(tcp ? { UnixDomainSocket: '' } : {}),
    ReqTimeout: Math.round(req.net.timeoutMs * 1e6),
    RetCodes: stats.retCodes,
    SocketCount: stats.socketCount,
    BytesSent: stats.bytesSent,
    BytesReceived: stats.bytesReceived,
  };
  return { result, engine };
}
