/**
 * `tripbench load` and `tripbench curl`: fortio's command lines, fortio's output. The report and
 * logs go to stderr; stdout carries only `-json -` output and curl bodies.
 */
import { FlagError, formatUsage } from './flags.js';
import { LOAD_FLAGS, LoadSetupError, parseLoadFlags, type LoadConfig } from './loadFlags.js';
import { ExitCode } from '../shared/exitCodes.js';
import { loadFirstLine, loadReport } from './loadOutput.js';
import { checkTarget, runLoad } from '../load/runLoad.js';
import { netScheme } from '../http/urlScheme.js';
import { Level, LEVEL_NAMES, configureLog, info, setLevel, warn, error as logError } from '../shared/log.js';
import { UsageError, errorMessage } from '../shared/errors.js';
import { jsonWritten, writeJsonAndReport } from './jsonOutput.js';
import { runAttached } from './attachedRun.js';

const err = (s: string): void => void process.stderr.write(s);

function usageText(cmd: string): string {
  return `Usage: tripbench ${cmd} [flags] url\n${formatUsage(LOAD_FLAGS)}`;
}

/** Parses flags; prints fortio-style errors. Returns the config or an exit code. */
function parseOrExit(argv: string[], cmd: 'load' | 'curl'): LoadConfig | number {
  try {
    return parseLoadFlags(argv, cmd);
  } catch (e) {
    if (e instanceof FlagError) {
      if (e.message === 'help requested') {
        err(usageText(cmd));
        return ExitCode.OK;
      }
      err(`tripbench ${cmd}: ${e.message}\nRun 'tripbench ${cmd} -h' for usage.\n`);
      return ExitCode.USAGE;
    }
    if (e instanceof LoadSetupError || e instanceof UsageError) {
      err(`${e.message}\nRun 'tripbench ${cmd} -h' for usage.\n`);
      return ExitCode.FAILURE;
    }
    throw e;
  }
}

function setupLogging(cfg: LoadConfig): void {
  configureLog({ level: Level.Info, json: cfg.loggerJson });
  if (cfg.levelChanged) info(`Log level is now ${cfg.level} ${LEVEL_NAMES[cfg.level]} (was 2 Info)`);
  setLevel(cfg.level);
  for (const w of cfg.warnings) warn(w);
}

async function runCurl(cfg: LoadConfig): Promise<number> {
  const net = netScheme(cfg.http.url);
  if (net !== undefined) {
    // fortio's curl is HTTP only (its `nc` command talks to tcp/udp echo): a load mode, not a fetch.
    err(`Error: curl fetches one HTTP URL; ${net}:// is fortio's ${net.toUpperCase()} load mode: run tripbench load ${cfg.urlTyped}\n`);
    return ExitCode.FAILURE;
  }
  let prepared;
  try {
    prepared = await checkTarget({ options: cfg.http, warnings: cfg.httpWarnings });
  } catch (e) {
    logError(`Unable to create client: ${errorMessage(e)}`);
    return ExitCode.FAILURE;
  }
  for (const w of prepared.warnings) warn(w);
  const { curl, curlExitCode } = await import('../http/curl.js');
  const r = await curl(prepared.options);
  if (r.ok) {
    process.stderr.write(r.head);
    process.stdout.write(r.body);
  } else {
    if (r.head.length > 0) process.stdout.write(r.head);
    process.stdout.write(r.body);
  }
  if (r.code !== 200) {
    const summary = r.code === -1 ? r.error : r.body.subarray(0, 256).toString('latin1');
    logError(`Error status ${r.code} : ${summary.replace(/\r/g, '\\r').replace(/\n/g, '\\n')}`);
    if (r.errorKind === 'timeout') {
      // The egress task's /delay/5 with a 3s route timeout: fortio's default -timeout is 3s too.
      warn(`the client gave up after -timeout ${cfg.http.timeoutMs}ms; a sidecar route timeout not below it answers 504 only later: set -timeout above the route timeout to see it`);
    }
  }
  return curlExitCode(r);
}

export async function curlCommand(argv: string[]): Promise<number> {
  const cfg = parseOrExit(argv, 'curl');
  if (typeof cfg === 'number') return cfg;
  setupLogging(cfg);
  return runCurl(cfg);
}

export async function loadCommand(argv: string[]): Promise<number> {
  const cfg = parseOrExit(argv, 'load');
  if (typeof cfg === 'number') return cfg;
  setupLogging(cfg);
  if (cfg.curl) return runCurl(cfg);
  // fortio_main's fortioLoad: -grpc first, then the tcp:// / udp:// prefixes, else HTTP.
  // The other two modes are imported when chosen: a plain HTTP run's start-up reads only its own modules.
  if (cfg.grpc.grpc) return (await import('./grpcLoad.js')).grpcLoadCommand(cfg);
  if (netScheme(cfg.http.url) !== undefined) return (await import('./netLoad.js')).netLoadCommand(cfg);

  const run = cfg.run;
  err(loadFirstLine(run, cfg.qpsTyped, cfg.urlTyped));
  info('Starting http test', {
    run: cfg.runId,
    url: cfg.urlTyped,
    threads: run.threads,
    qps: run.qps > 0 ? run.qps.toFixed(1) : '-1.0',
    warmup: run.sequentialWarmup ? 'sequential' : 'parallel',
    'conn-reuse': cfg.flags.values['connection-reuse'] as string,
  });

  let prepared;
  try {
    prepared = await checkTarget({ options: cfg.http, warnings: cfg.httpWarnings });
  } catch (e) {
    err(`Aborting because of ${errorMessage(e)}\n`);
    return ExitCode.FAILURE;
  }
  for (const w of prepared.warnings) warn(w);

  const attached = await runAttached(cfg, '', (hooks) =>
    runLoad({ ...hooks, run, http: cfg.http, urlTyped: cfg.urlTyped, userCredentials: cfg.user, shard: cfg.shard, hdr: jsonWritten(cfg) }, prepared),
  );
  if ('exit' in attached) return attached.exit;
  const { outcome } = attached;

  const encode = async (r: typeof outcome.result): Promise<string> => (await import('../report/fortioJson.js')).encodeFortioJson(r);
  return writeJsonAndReport(cfg, outcome.result, encode, (written) => loadReport(outcome.result, run, cfg.level, written));
}
