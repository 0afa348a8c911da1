/**
 * `tripbench grpcping [flags] host[:port]`: fortio's grpcping command (cli/fortio_main.go
 * grpcClient): -n pings (default 1) after a warmup one, each logged as `Ping RTT … clock skew …`,
 * then the clock skew and RTT histograms (µs) on stdout; with -health, -n health checks of
 * -healthservice, the RTT histogram and `Health STATUS : N`, exit 1 unless all were SERVING.
 * The load flags are accepted as fortio's shared flag set has them; -payload, -grpc-ping-delay,
 * -H (metadata), -cacert/-cert/-key/-k and an https:// prefix act here.
 */
import { FlagError, flagBool, formatUsage, type FlagSpecs } from './flags.js';
import { LOAD_FLAGS, LoadSetupError, parseLoadFlags, type LoadConfig } from './loadFlags.js';
import { grpcLoadOptions } from '../load/runGrpcLoad.js';
import { grpcHealthCheck, pingClientCall, GrpcPingError } from '../grpc/grpcping.js';
import { calcPercentiles } from '../stats/fortioHistogram.js';
import { formatHistogram } from '../report/fortioText.js';
import { ExitCode } from '../shared/exitCodes.js';
import { UsageError, errorMessage } from '../shared/errors.js';
import { Level, LEVEL_NAMES, configureLog, error as logError, info, setLevel, warn } from '../shared/log.js';

const GRPCPING_FLAGS: FlagSpecs = {
  health: { type: 'bool', default: false, usage: 'gRPC ping client mode: use health instead of ping' },
};

const err = (s: string): void => void process.stderr.write(s);

function parse(argv: string[]): LoadConfig | number {
  try {
    return parseLoadFlags(argv, 'grpcping', GRPCPING_FLAGS);
  } catch (e) {
    if (e instanceof FlagError) {
      if (e.message === 'help requested') {
        err(`Usage: tripbench grpcping [flags] host[:port]\n${formatUsage({ ...LOAD_FLAGS, ...GRPCPING_FLAGS })}`);
        return ExitCode.OK;
      }
      err(`tripbench grpcping: ${e.message}\nRun 'tripbench grpcping -h' for usage.\n`);
      return ExitCode.USAGE;
    }
    if (e instanceof LoadSetupError || e instanceof UsageError) {
      // fortio: "Error: fortio grpcping needs host argument in the form of host, host:port or ip:port"
      const m = /needs a (single )?url or destination/.test(e.message) ? 'Error: tripbench grpcping needs host argument in the form of host, host:port or ip:port' : e.message;
      err(`${m}\nRun 'tripbench grpcping -h' for usage.\n`);
      return ExitCode.FAILURE;
    }
    throw e;
  }
}

export async function grpcpingCommand(argv: string[]): Promise<number> {
  const cfg = parse(argv);
  if (typeof cfg === 'number') return cfg;
  configureLog({ level: Level.Info, json: cfg.loggerJson });
  if (cfg.levelChanged) info(`Log level is now ${cfg.level} ${LEVEL_NAMES[cfg.level]} (was 2 Info)`);
  setLevel(cfg.level);
  for (const w of cfg.warnings) warn(w);
  const count = cfg.run.exactly > 0 ? cfg.run.exactly : 1;
  const o = grpcLoadOptions(cfg.urlTyped, cfg.grpc, cfg.http, cfg.run);
  const conn = { target: o.target, tls: o.tls, compression: o.compression, userAgent: o.userAgent, authority: o.authority, metadata: o.metadata };
  try {
    if (flagBool(cfg.flags, 'health')) {
      info(`GrpcHealthCheck for ${cfg.urlTyped} svc '${o.healthService}', ${count} iterations`);
      const r = await grpcHealthCheck(conn, o.healthService, count);
      let out = formatHistogram('RTT histogram usec', r.rtt, calcPercentiles(r.rtt, [50]));
      for (const [k, v] of Object.entries(r.statuses)) out += `Health ${k} : ${v}\n`;
      process.stdout.write(out);
      const serving = r.statuses['SERVING'] ?? 0;
      if (serving !== count) {
        logError(`Unexpected SERVING count ${serving} vs ${count}`);
        return ExitCode.FAILURE;
      }
      return ExitCode.OK;
    }
    const r = await pingClientCall(conn, count, o.payload, o.delayNs, (p) =>
      info(`Ping RTT ${p.avgRttNs} (avg of ${p.rt1}, ${p.rtR}, ${p.rt2} ns) clock skew ${p.skewNs}`),
    );
    process.stdout.write(formatHistogram('Clock skew histogram usec', r.skew, calcPercentiles(r.skew, [50])) + formatHistogram('RTT histogram usec', r.rtt, calcPercentiles(r.rtt, [50])));
    return ExitCode.OK;
  } catch (e) {
    if (e instanceof GrpcPingError) {
      logError(e.message);
      return ExitCode.FAILURE;
    }
    logError(errorMessage(e));
    return ExitCode.FAILURE;
  }
}
