/**
 * `tripbench load -grpc [-ping] host:port`: fortio_main.go's fortioLoad for its `case *grpcFlag`
 * branch (cli/fortio_main.go): -s streams per connection, -healthservice, -grpc-ping-delay,
 * -payload, -grpc-compression, TLS for https:// or -cacert (with -cert/-key, -k), -H as metadata.
 * A failed first call aborts with `Aborting because of <grpc error>` and exit 1 (unless
 * -allow-initial-errors); a run that starts exits 0 whatever its calls returned.
 */
import type { LoadConfig } from './loadFlags.js';
import { writeJsonAndReport } from './jsonOutput.js';
import { loadFirstLine, loadStartLine, grpcLoadReport } from './loadOutput.js';
import { createProgressLine } from './progress.js';
import { installStopSignals } from './signals.js';
import { grpcLoadOptions, grpcMetadata, grpcRunType, runGrpcLoad } from '../load/runGrpcLoad.js';
import { applyShard } from '../load/shard.js';
import { encodeFortioGrpcJson } from '../report/fortioJson.js';
import { ExitCode } from '../shared/exitCodes.js';
import { StartError } from '../shared/errors.js';
import { configureLog, info } from '../shared/log.js';

const err = (s: string): void => void process.stderr.write(s);

export async function grpcLoadCommand(cfg: LoadConfig): Promise<number> {
  const run = applyShard(cfg.run, cfg.shard);
  err(loadFirstLine(run, cfg.qpsTyped, cfg.urlTyped));
  const grpc = grpcLoadOptions(cfg.urlTyped, cfg.grpc, cfg.http, run);
  const type = grpcRunType(grpc);
  info(`Starting ${type} test for ${cfg.urlTyped} with ${grpc.streams}*${run.threads < 1 ? 4 : run.threads} threads at ${run.qps > 0 ? run.qps.toFixed(1) : '-1.0'} qps, compression: ${grpc.compression}`);

  const progress = createProgressLine(cfg.level, 0);
  configureLog({ write: (line) => progress.log(line) });
  const stop = installStopSignals((line) => progress.log(line));
  let outcome;
  try {
    outcome = await runGrpcLoad({
      run,
      grpc,
      metadata: grpcMetadata(cfg.http),
      labels: cfg.labels,
      runId: cfg.runId,
      signal: stop.graceful,
      forceSignal: stop.forced,
      onStart: (plan, workers) => err(loadStartLine(plan, workers, cfg.level)),
      onProgress: (p) => progress.update({ calls: p.calls, codes: p.codes, elapsedNs: p.elapsedNs }),
      log: { level: cfg.level, json: cfg.loggerJson, write: (line) => progress.log(line) },
      inline: true,
    });
  } catch (e) {
    progress.stop();
    stop.dispose();
    if (e instanceof StartError) {
      err(`Aborting because of ${e.message}\n`);
      return ExitCode.FAILURE;
    }
    throw e;
  }
  progress.stop();
  stop.dispose();
  if (cfg.shard) outcome.result.Tripbench = { ...(outcome.result.Tripbench as NonNullable<typeof outcome.result.Tripbench>), Shard: `${cfg.shard.index}/${cfg.shard.count}` };

  return writeJsonAndReport(cfg, outcome.result, encodeFortioGrpcJson, (written) => grpcLoadReport(outcome.result, run, cfg.level, written));
}
