/**
 * `tripbench load tcp://host:port` and `udp://host:port`: fortio_main.go's fortioLoad for its
 * tcprunner / udprunner branches (cli/fortio_main.go, `case strings.HasPrefix(url,
 * tcprunner.TCPURLPrefix)`): -timeout is the TCP read timeout, -udp-timeout the UDP one, -payload
 * (or -payload-size / -payload-file) the message, and a run that starts exits 0 whatever its
 * errors; only a destination that cannot be resolved aborts, exit 1.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { LoadConfig } from './loadFlags.js';
import { flagNumber } from './flags.js';
import { writeJsonAndReport } from './jsonOutput.js';
import { runAttached } from './attachedRun.js';
import { loadFirstLine, netLoadReport } from './loadOutput.js';
import { netLoadOptions, runNetLoad } from '../load/runNetLoad.js';
import { applyShard } from '../load/shard.js';
import type { NetLoadOptions } from '../netload/options.js';
import { encodeFortioNetJson } from '../report/fortioJson.js';
import { ExitCode } from '../shared/exitCodes.js';
import { errorMessage } from '../shared/errors.js';
import { isLoopback } from '../shared/loopback.js';
import { info, warn } from '../shared/log.js';

const err = (s: string): void => void process.stderr.write(s);

/** The destination checked as NewTCPClient / NewUDPClient do (fnet.ResolveDestination): fortio aborts when it fails. */
async function netOptions(cfg: LoadConfig): Promise<NetLoadOptions> {
  const net = netLoadOptions(cfg.http.url, cfg.http, flagNumber(cfg.flags, 'udp-timeout') / 1e6);
  if (isIP(net.host) === 0) {
    try {
      await lookup(net.host);
    } catch (e) {
      throw new Error(`lookup ${net.host}: ${errorMessage(e)}`, { cause: e });
    }
  }
  return net;
}

export async function netLoadCommand(cfg: LoadConfig): Promise<number> {
  let net: NetLoadOptions;
  try {
    net = await netOptions(cfg);
  } catch (e) {
    err(loadFirstLine(cfg.run, cfg.qpsTyped, cfg.urlTyped));
    err(`Aborting because of unable to create client 0 for ${cfg.urlTyped}: ${errorMessage(e)}\n`);
    return ExitCode.FAILURE;
  }
  const sharded = applyShard(cfg.run, cfg.shard);
  const run = { ...sharded, reserveCores: sharded.reserveCores ?? (isLoopback(net.host) ? 1 : 0) };
  err(loadFirstLine(run, cfg.qpsTyped, cfg.urlTyped));
  if (net.timeoutMs <= 0) {
    warn(`Invalid timeout ${net.timeoutMs}ms, setting to default`);
    net.timeoutMs = net.proto === 'tcp' ? 3000 : 750;
  }
  info(`Starting ${net.proto} test for ${net.destination} with ${run.threads} threads at ${run.qps > 0 ? run.qps.toFixed(1) : '-1.0'} qps`);

  const attached = await runAttached(cfg, 'Aborting because of ', (hooks) => runNetLoad({ ...hooks, run, net }));
  if ('exit' in attached) return attached.exit;
  const { outcome } = attached;
  if (cfg.shard) outcome.result.Tripbench = { ...(outcome.result.Tripbench as NonNullable<typeof outcome.result.Tripbench>), Shard: `${cfg.shard.index}/${cfg.shard.count}` };

  return writeJsonAndReport(cfg, outcome.result, encodeFortioNetJson, (written) => netLoadReport(outcome.result, run, cfg.level, written));
}
