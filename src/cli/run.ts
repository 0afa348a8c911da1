/**
 * `tripbench run FILE|DIR...`: runs scenarios (locally against the in-process rehearsal, or
 * with --target against a real service), prints each step's fortio report and then the verdicts,
 * writes the report files, and exits 0 PASS / 1 FAIL / 2 bad input / 3 INCONCLUSIVE / 4 target
 * unreachable. Ctrl-C stops the current load, judges what finished, marks the rest NOT RUN and
 * still writes every file.
 */
import { netScheme, schemeProblem } from '../http/urlScheme.js';
import { parseNetDestination } from '../netload/options.js';
import { appendFile } from 'node:fs/promises';
import { ExitCode } from '../shared/exitCodes.js';
import { flagsFirst } from './argOrder.js';
import { FlagError, flagBool, flagNumber, flagString, flagStrings, formatUsage, parseFlags, type FlagSpecs } from './flags.js';
import { loadFirstLine, loadReport, loadStartLine } from './loadOutput.js';
import { DEFAULT_PUSH_JOB, writeMetrics } from './metrics.js';
import { createProgressLine, type ProgressLine } from './progress.js';
import { dryRunText, stepBanner, verdictText } from './runOutput.js';
import { makeRunDir, writeScenarioFiles, writeStepFiles } from '../runs/write.js';
import { installStopSignals } from './signals.js';
import { readShardRecords, shardFlags, waitForShards, writeShardRecord } from './runShards.js';
import type { Shard } from '../load/shard.js';
import { judgeShards } from '../scenario/shards.js';
import { rangeLine } from './merge.js';
import { planScenario } from '../scenario/plan.js';
import { loadRequestFor } from '../scenario/loadRequest.js';
import type { StepLoads } from '../scenario/stepRunner.js';
import { STATS_FORMATS, type StatsFormat } from '../scenario/envoyAdmin.js';
import { renderJUnit } from '../scenario/render/junit.js';
import { renderMarkdownSummary } from '../scenario/render/markdown.js';
import { renderVerdictsJson, verdictsDocument } from '../scenario/render/verdictsJson.js';
import { SCENARIO_TARGET, type ScenarioRun } from '../scenario/run.js';
import type { StepContext } from '../scenario/stepRunner.js';
import { loadRunFiles, runScenarios } from '../scenario/runFiles.js';
import type { StepResult } from '../scenario/results.js';
import type { Scenario } from '../scenario/types.js';
import { combineOutcomes, runExitCode, scenarioOutcome, type InconclusiveAs } from '../scenario/verdict.js';
import { writeFileAtomic } from '../shared/atomicWrite.js';
import { UsageError, errorMessage } from '../shared/errors.js';
import { Level, configureLog, parseLevel, warn } from '../shared/log.js';
import { VERSION } from '../shared/version.js';

export const RUN_FLAGS: FlagSpecs = {
  target: { type: 'string', default: '', usage: "run against this URL instead of a local rehearsal (a URL without a path keeps each scenario's path; \"scenario\" = each scenario's own target)" },
  reports: { type: 'string', default: 'reports', usage: 'write each run to DIR/<scenario>/<timestamp>/' },
  junit: { type: 'string', default: '', usage: 'also write the JUnit XML of every scenario to this file' },
  summary: { type: 'string', default: '', usage: 'also write the Markdown summary to this file (default: append to $GITHUB_STEP_SUMMARY when set)' },
  json: { type: 'bool', default: false, usage: 'print the verdicts JSON on stdout (the tables go to stderr)' },
  only: { type: 'strings', default: [], usage: 'run only this step (repeatable, or comma separated)' },
  'dry-run': { type: 'bool', default: false, usage: 'validate the scenarios and print the plan as tripbench load command lines; load nothing' },
  parallel: { type: 'int', default: 1, usage: 'scenarios run at once (they usually load the same target)' },
  inconclusive: { type: 'string', default: 'inconclusive', usage: 'what INCONCLUSIVE and NOT RUN count as: pass, fail or inconclusive (exit 3)' },
  html: { type: 'bool', default: false, usage: 'also write a self-contained report.html per run' },
  prometheus: { type: 'string', default: '', usage: 'write the verdicts as Prometheus text to this file (textfile collector)' },
  pushgateway: { type: 'string', default: '', usage: 'push the verdicts to this Prometheus Pushgateway URL' },
  'pushgateway-job': { type: 'string', default: DEFAULT_PUSH_JOB, usage: 'Pushgateway grouping key: job' },
  'pushgateway-instance': { type: 'string', default: '', usage: 'Pushgateway grouping key: instance (default: none)' },
  'envoy-admin': { type: 'string', default: '', usage: 'Envoy admin URL for expect.envoy ("none" = do not read; default: the rehearsal\'s, else the scenario\'s envoyAdmin)' },
  'stats-format': { type: 'string', default: 'text', usage: 'how /stats is read: text or json' },
  loglevel: { type: 'string', default: 'Warning', usage: 'log level of the step reports and logs, one of [Debug Verbose Info Warning Error Critical Fatal]' },
  v: { type: 'bool', default: false, usage: 'verbose: same as -loglevel Info' },
  'logger-json': { type: 'bool', default: !process.stderr.isTTY, usage: 'Log in JSON format, defaults to true when stderr is not a terminal' },
  'log-errors': { type: 'bool', default: true, usage: 'log each non-2xx answer as it occurs (as tripbench load does)' },
  seed: { type: 'int', default: 0, usage: 'seed of the local rehearsal (0 = random)' },
  shard: { type: 'string', default: '', usage: 'measure shard i/N of every step (-n and -qps split as in load -shard), judge nothing; writes REPORTS/<scenario>/shard-i-of-N.json' },
  'start-at': { type: 'string', default: '', usage: 'begin the first step\'s timed run at this RFC 3339 time (the shared start of the shards)' },
  merge: { type: 'string', default: '', usage: 'judge the shard records in DIR (written by --shard) once, as one run, instead of running loads' },
  shards: { type: 'int', default: 0, usage: 'with --merge: first wait for DIR/shard-<i>.done of shards 0..N-1; fail at the first shard-<i>.failed' },
  deadline: { type: 'string', default: '', usage: 'with --shards: fail when a shard has no marker by this RFC 3339 time' },
};

const USAGE = `Usage: tripbench run [flags] FILE|DIR...
Runs scenario files and judges every expectation: PASS, FAIL or INCONCLUSIVE.
Exit codes: 0 all PASS, 1 some FAIL, 2 bad scenario or flags, 3 INCONCLUSIVE/NOT RUN without FAIL, 4 UNREACHABLE (target unreachable before the first step).
${formatUsage(RUN_FLAGS)}`;

const INCONCLUSIVE_AS: readonly InconclusiveAs[] = ['pass', 'fail', 'inconclusive'];

interface RunConfig {
  files: string[];
  target?: string;
  reports: string;
  only: string[];
  ia: InconclusiveAs;
  level: Level;
  statsFormat: StatsFormat;
  envoyAdmin?: string | false;
}

function parse(argv: string[]): ReturnType<typeof parseFlags> | number {
  try {
    return parseFlags(flagsFirst(argv, RUN_FLAGS), RUN_FLAGS);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    if (e.message === 'help requested') {
      process.stderr.write(USAGE);
      return ExitCode.OK;
    }
    process.stderr.write(`tripbench run: ${e.message}\nRun 'tripbench run -h' for usage.\n`);
    return ExitCode.USAGE;
  }
}

function config(p: ReturnType<typeof parseFlags>): RunConfig {
  const ia = flagString(p, 'inconclusive') as InconclusiveAs;
  if (!INCONCLUSIVE_AS.includes(ia)) throw new UsageError(`invalid value "${ia}" for flag -inconclusive: use pass, fail or inconclusive`);
  const lv = parseLevel(flagString(p, 'loglevel'));
  if (lv === undefined) throw new UsageError(`invalid value "${flagString(p, 'loglevel')}" for flag -loglevel: must be one of Debug Verbose Info Warning Error Critical Fatal`);
  const statsFormat = flagString(p, 'stats-format') as StatsFormat;
  if (!STATS_FORMATS.includes(statsFormat)) throw new UsageError(`invalid value "${statsFormat}" for flag -stats-format: use text or json`);
  if (flagNumber(p, 'parallel') < 1) throw new UsageError('-parallel must be at least 1');
  const url = (flag: string, net = false): string => {
    const v = flagString(p, flag);
    // -target may name a tcp:// or udp:// service (a scenario of fortio's echo load)
    if (net && netScheme(v) !== undefined) {
      try {
        parseNetDestination(v);
      } catch (e) {
        throw new UsageError(`invalid value ${JSON.stringify(v)} for flag -${flag}: ${errorMessage(e)}`);
      }
      return v;
    }
    const scheme = schemeProblem(v);
    if (scheme !== undefined) throw new UsageError(`invalid value ${JSON.stringify(v)} for flag -${flag}: ${scheme}`);
    try {
      const u = new URL(v);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      throw new UsageError(`invalid value "${v}" for flag -${flag}: want an http(s) URL`);
    }
    return v;
  };
  const admin = flagString(p, 'envoy-admin');
  // Checked before any load: a typo here would otherwise surface only after the whole run, and
  // a scheduled check would then lose its metrics while its Job still succeeds.
  if (flagString(p, 'pushgateway') !== '') url('pushgateway');
  if (flagString(p, 'pushgateway-job').trim() === '') throw new UsageError('-pushgateway-job must not be empty (it is the grouping key the Pushgateway requires)');
  return {
    files: p.positional,
    ...(flagString(p, 'target') === SCENARIO_TARGET ? { target: SCENARIO_TARGET } : flagString(p, 'target') !== '' ? { target: url('target', true) } : {}),
    reports: flagString(p, 'reports'),
    only: flagStrings(p, 'only').flatMap((o) => o.split(',')).map((o) => o.trim()).filter((o) => o !== ''),
    ia,
    level: flagBool(p, 'v') && !p.set.has('loglevel') ? Level.Info : lv,
    statsFormat,
    ...(admin === 'none' ? { envoyAdmin: false as const } : admin !== '' ? { envoyAdmin: url('envoy-admin') } : {}),
  };
}

export async function runCommand(argv: string[]): Promise<number> {
  const p = parse(argv);
  if (typeof p === 'number') return p;
  const cfg = config(p);
  const sh = shardFlags(p);
  configureLog({ level: cfg.level, json: flagBool(p, 'logger-json') });
  const { selected, skipped } = await loadRunFiles(cfg.files, { only: cfg.only, local: cfg.target === undefined && sh.merge === undefined });
  for (const s of skipped) warn(`${s.file}: none of the --only steps, skipped`);

  if (flagBool(p, 'dry-run')) {
    for (const sel of selected) process.stdout.write(`${dryRunText(sel.scenario, sel.only, cfg.target)}\n`);
    return ExitCode.OK;
  }

  const err = (s: string): void => void process.stderr.write(s);
  const out = flagBool(p, 'json') ? err : (s: string): void => void process.stdout.write(s);
  const stop = installStopSignals();
  const dirs = new Map<string, Promise<string>>();
  const dirOf = (s: Scenario): Promise<string> => {
    let d = dirs.get(s.name);
    if (!d) {
      d = makeRunDir(cfg.reports, s.name, new Date());
      dirs.set(s.name, d);
    }
    return d;
  };
  /** What the terminal showed for each step (`scenario/step`), for the step's .txt file. */
  const printed = new Map<string, string>();
  const stepKey = (scenario: string, step: string): string => `${scenario}/${step}`;
  const keyOf = (ctx: StepContext): string => stepKey(ctx.scenario.name, ctx.run.key);
  const show = (key: string, text: string): void => {
    printed.set(key, (printed.get(key) ?? '') + text);
    err(text);
  };
  const writeErrors: string[] = [];
  const progress = new Map<string, ProgressLine>();
  const html = flagBool(p, 'html');
  const onStepEnd = async (s: Scenario, step: StepResult, loads: StepLoads): Promise<void> => {
    try {
      step.files = await writeStepFiles(await dirOf(s), step, loads, printed.get(stepKey(s.name, step.key)) ?? '', cfg.level);
    } catch (e) {
      writeErrors.push(`${stepKey(s.name, step.key)}: ${errorMessage(e)}`);
    }
  };
  const onScenarioEnd = async (run: ScenarioRun): Promise<void> => {
    let dir: string | undefined;
    try {
      dir = await dirOf(run.scenario);
      await writeScenarioFiles(dir, run, { inconclusiveAs: cfg.ia, html });
    } catch (e) {
      writeErrors.push(`${run.scenario.name}: ${errorMessage(e)}`);
    }
    out(verdictText(run, cfg.ia, dir, cfg.target));
  };

  if (sh.merge !== undefined) {
    const dir = sh.merge;
    if (sh.shards !== undefined) await waitForShards(dir, sh.shards, sh.deadlineMs, err);
    const runs: ScenarioRun[] = [];
    for (const sel of selected) {
      const run = judgeShards(sel.scenario, await readShardRecords(dir, sel.scenario.name), { only: sel.only, ...(sh.shards !== undefined ? { shards: sh.shards } : {}) });
      const plan = planScenario(sel.scenario, sel.only);
      for (const step of run.result.steps) {
        const loads = run.loads[step.key];
        const load = plan.find((r) => r.key === step.key)?.load;
        // each batch's shards: how far apart they started (the barrier's result), then the step's report
        const ranges = (loads?.batches ?? []).map((b) => rangeLine(b)).join('');
        if (loads?.pooled && load) show(stepKey(sel.scenario.name, step.key), `==> ${sel.scenario.name}: ${step.label}, ${sel.scenario.name} shards merged <==\n${ranges}${loadReport(loads.pooled, loadRequestFor(load, run.result.target).run, cfg.level)}`);
        if (loads) await onStepEnd(sel.scenario, step, loads);
      }
      await onScenarioEnd(run);
      runs.push(run);
    }
    await writeRunWide(runs, p, cfg, writeErrors);
    stop.dispose();
    return exitCode(runs, cfg.ia, writeErrors, out);
  }

  const runs = await runScenarios(selected, {
    ...(sh.shard ? { shard: sh.shard } : {}),
    ...(sh.startAtMs !== undefined ? { startAtMs: sh.startAtMs } : {}),
    ...(cfg.target !== undefined ? { target: cfg.target } : {}),
    ...(cfg.envoyAdmin !== undefined ? { envoyAdmin: cfg.envoyAdmin } : {}),
    statsFormat: cfg.statsFormat,
    parallel: flagNumber(p, 'parallel'),
    signal: stop.graceful,
    forceSignal: stop.forced,
    log: { level: cfg.level, json: flagBool(p, 'logger-json') },
    logErrors: flagBool(p, 'log-errors'),
    seed: flagNumber(p, 'seed'),
    onRehearsal: (s, rig) => {
      for (const w of rig.warnings) warn(`${s.file}: rehearsal: ${w}`);
    },
    // Made when the first step starts, so its name is the run's start; a failure surfaces when the step's files are written.
    ...(sh.shard ? {} : { onStepStart: (s: Scenario) => void dirOf(s).catch(() => undefined) }),
    onBatchStart: (ctx) => {
      err(stepBanner(ctx.scenario.name, ctx.run, ctx.batch));
      show(keyOf(ctx), loadFirstLine(ctx.request.run, ctx.request.qpsTyped, ctx.url));
      progress.set(keyOf(ctx), createProgressLine(cfg.level, 0));
    },
    onLoadStart: (ctx, plan, workers) => show(keyOf(ctx), loadStartLine(plan, workers, cfg.level)),
    onProgress: (ctx, pr) => progress.get(keyOf(ctx))?.update({ calls: pr.calls, codes: pr.codes, elapsedNs: pr.elapsedNs }),
    onBatchEnd: (ctx, result) => {
      progress.get(keyOf(ctx))?.stop();
      show(keyOf(ctx), loadReport(result, ctx.request.run, cfg.level));
    },
    // A shard measures only: its record is what the merge judges; the verdict files are the merge's.
    ...(sh.shard ? {} : { onStepEnd }),
    onScenarioEnd: sh.shard ? (run) => shardEnd(run, sh.shard as Shard, cfg.reports, writeErrors, err) : onScenarioEnd,
  });
  if (sh.shard) {
    stop.dispose();
    return shardExitCode(runs, writeErrors);
  }
  await writeRunWide(runs, p, cfg, writeErrors);
  stop.dispose();
  return exitCode(runs, cfg.ia, writeErrors, out);
}

/** The files and pushes that cover every scenario of the command: --junit, --summary, --json, metrics. */
async function writeRunWide(runs: ScenarioRun[], p: ReturnType<typeof parseFlags>, cfg: RunConfig, writeErrors: string[]): Promise<void> {
  const results = runs.map((r) => r.result);
  const attempt = async (what: string, f: () => Promise<unknown>): Promise<void> => {
    try {
      await f();
    } catch (e) {
      writeErrors.push(`${what}: ${errorMessage(e)}`);
    }
  };
  const junit = flagString(p, 'junit');
  if (junit !== '') await attempt(junit, () => writeFileAtomic(junit, renderJUnit(results, { inconclusiveAs: cfg.ia })));
  const summary = flagString(p, 'summary');
  const gh = process.env['GITHUB_STEP_SUMMARY'];
  const md = renderMarkdownSummary(results, { inconclusiveAs: cfg.ia });
  if (summary !== '') await attempt(summary, () => writeFileAtomic(summary, md));
  else if (gh) await attempt(gh, () => appendFile(gh, `${md}\n`));
  if (flagBool(p, 'json')) {
    const docs = results.map((r) => verdictsDocument(r, { version: VERSION, inconclusiveAs: cfg.ia }));
    process.stdout.write(docs.length === 1 ? renderVerdictsJson(results[0] as ScenarioRun['result'], { version: VERSION, inconclusiveAs: cfg.ia }) : `${JSON.stringify(docs, null, 2)}\n`);
  }
  const prometheusFile = flagString(p, 'prometheus');
  const pushgateway = flagString(p, 'pushgateway');
  if (prometheusFile !== '' || pushgateway !== '') {
    const instance = flagString(p, 'pushgateway-instance');
    try {
      await writeMetrics(results, {
        ...(prometheusFile !== '' ? { prometheusFile } : {}),
        ...(pushgateway !== '' ? { pushgateway } : {}),
        job: flagString(p, 'pushgateway-job'),
        ...(instance !== '' ? { instance } : {}),
        inconclusiveAs: cfg.ia,
      });
    } catch (e) {
      // The verdict stands; a missing push shows up as a stale tripbench_run_timestamp_seconds.
      process.stderr.write(`tripbench run: metrics: ${errorMessage(e)}\n`);
    }
  }
}

async function shardEnd(run: ScenarioRun, shard: Shard, reports: string, writeErrors: string[], err: (s: string) => void): Promise<void> {
  try {
    const file = await writeShardRecord(reports, run, shard);
    const done = run.result.steps.filter((st) => st.status === 'completed').length;
    err(`tripbench run: shard ${shard.index}/${shard.count} of ${run.scenario.name}: ${done}/${run.result.steps.length} step(s) measured, not judged (tripbench run --merge judges all shards): ${file}\n`);
  } catch (e) {
    writeErrors.push(`${run.scenario.name} shard record: ${errorMessage(e)}`);
  }
}

/** A shard's exit code says whether it measured everything: 0, else 1 (4 when the target was unreachable). */
function shardExitCode(runs: ScenarioRun[], writeErrors: string[]): number {
  for (const e of writeErrors) process.stderr.write(`tripbench run: cannot write ${e}\n`);
  if (runs.some((r) => r.unreachable !== undefined)) return ExitCode.UNREACHABLE;
  const whole = runs.every((r) => r.result.steps.every((st) => st.status === 'completed'));
  return whole && writeErrors.length === 0 ? ExitCode.OK : ExitCode.FAILURE;
}

function exitCode(runs: ScenarioRun[], ia: InconclusiveAs, writeErrors: string[], out: (s: string) => void): number {
  for (const e of writeErrors) process.stderr.write(`tripbench run: cannot write ${e}\n`);
  const unreachable = runs.filter((r) => r.unreachable !== undefined);
  const outcome = combineOutcomes(runs.map((r) => scenarioOutcome(r.result, ia)));
  let code: number = runExitCode(runs.map((r) => r.result), ia);
  if (writeErrors.length > 0 && code === ExitCode.OK) code = ExitCode.FAILURE;
  // The scenario's own outcome line says exit 0 before a failed write turns it into 1: say the final code.
  if (runs.length > 1 || unreachable.length > 0 || writeErrors.length > 0) {
    const verdicts = unreachable.length > 0 ? `${outcome}: target unreachable (${unreachable.map((r) => r.scenario.name).join(', ')})` : outcome;
    const why = writeErrors.length > 0 ? `${verdicts}, ${writeErrors.length} report file(s) not written` : verdicts;
    out(`\ntripbench run: ${runs.length} scenario(s): ${why} (exit ${code})\n`);
  }
  for (const r of unreachable) process.stderr.write(`tripbench run: ${r.scenario.name}: ${r.unreachable}\n`);
  return code;
}
