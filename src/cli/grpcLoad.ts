/**
 * `tripbench load -grpc [-ping] host:port`: fortio_main.go's fortioLoad for its `case *grpcFlag`
 * branch (cli/fortio_main.go): -s streams per connection, -healthservice, -grpc-ping-delay,
 * -payload, -grpc-compression, TLS for https:// or -cacert (with -cert/-key, -k), -H as metadata.
 * A failed first call aborts with `Aborting because of <grpc error>` and exit 1 (unless
 * -allow-initial-errors); a run that starts exits 0 whatever its calls returned.
 */
import type { LoadConfig } from './loadFlags.js';
import { writeJsonAndReport } from './jsonOutput.js';
import { runAttached } from './attachedRun.js';
import { loadFirstLine, grpcLoadReport } from './loadOutput.js';
import { grpcLoadOptions, grpcMetadata, grpcRunType, runGrpcLoad } from '../load/runGrpcLoad.js';
import { applyShard } from '../load/shard.js';
import { encodeFortioGrpcJson } from '../report/fortioJson.js';
import { info } from '../shared/log.js';

const err = (s: string): void => void process.stderr.write(s);

export async function grpcLoadCommand(cfg: LoadConfig): Promise<number> {
  const run = applyShard(cfg.run, cfg.shard);
  err(loadFirstLine(run, cfg.qpsTyped, cfg.urlTyped));
  const grpc = grpcLoadOptions(cfg.urlTyped, cfg.grpc, cfg.http, run);
  const type = grpcRunType(grpc);
  info(`Starting ${type} test for ${cfg.urlTyped} with ${grpc.streams}*${run.threads < 1 ? 4 : run.threads} threads at ${run.qps > 0 ? run.qps.toFixed(1) : '-1.0'} qps, compression: ${grpc.compression}`);

  const attached = await runAttached(cfg, 'Aborting because of ', (hooks) => runGrpcLoad({ ...hooks, run, grpc, metadata: grpcMetadata(cfg.http) }));
  if ('exit' in attached) return attached.exit;
  const { outcome } = attached;
  if (cfg.shard) outcome.result.Tripbench = { ...(outcome.result.Tripbench as NonNullable<typeof outcome.result.Tripbench>), Shard: `${cfg.shard.index}/${cfg.shard.count}` };

  return writeJsonAndReport(cfg, outcome.result, encodeFortioGrpcJson, (written) => grpcLoadReport(outcome.result, run, cfg.level, written));
}
