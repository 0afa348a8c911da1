/**
 * `tripbench report`: re-read saved results. For result JSON (ours or any fortio version's) it
 * prints fortio's text report to stderr, as `fortio load` did when it ran; with `-o` it writes the
 * HTML page (one result, or a comparison of several). For a run directory it writes the run's
 * HTML page, by default beside its verdicts.json; several runs of one scenario are compared step
 * by step with the first.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ExitCode } from '../shared/exitCodes.js';
import { FlagError, type FlagSpecs, type ParsedFlags, formatUsage, parseFlags } from './flags.js';
import { parseFortioJson } from '../report/fortioJson.js';
import type { FortioResult } from '../report/fortioResult.js';
import { formatGrpcReport, formatReport } from '../report/fortioText.js';
import { isGrpcResult } from '../report/fortioGrpcResult.js';
import type { InconclusiveAs } from '../scenario/verdict.js';
import { renderResultHtml } from '../html/resultReport.js';
import { shortLabels } from '../html/labels.js';
import { renderRunHtml } from '../html/runReport.js';
import { compareRows, formatCompareText } from '../html/summary.js';
import { Level } from '../shared/log.js';
import { UsageError, errorMessage } from '../shared/errors.js';
import { writeFileAtomic } from '../shared/atomicWrite.js';
import { HTML_FILE, VERDICTS_FILE } from '../runs/layout.js';
import { isVerdictsDocument, readRunFolder, readStepResults } from '../runs/read.js';
import type { RunFolder } from '../runs/read.js';

export interface ReportIo {
  err: (s: string) => void;
}

const FLAGS: FlagSpecs = {
  o: { type: 'string', default: '', usage: 'write the HTML report to this file (for a run directory: default DIR/report.html)' },
  title: { type: 'string', default: '', usage: 'title of the HTML page' },
  inconclusive: { type: 'string', default: '', usage: 'run directories: what INCONCLUSIVE counts as, pass|fail|inconclusive (default: as the run recorded)' },
};

const USAGE = `Usage: tripbench report [flags] RESULT.json [RESULT2.json ...] | RUN_DIR [RUN_DIR ...]

Prints the fortio text report of each result JSON (tripbench's or fortio's own, any version);
with several results (or runs of one scenario) also a comparison with the first. -o writes a
self-contained HTML page: charts of one result, a comparison of several, or scenario runs
(RUN_DIR holds verdicts.json; runs of the same scenario are compared step by step).
`;

/** Go flag syntax, but flags may also follow the files: `report A.json -o a.html`. */
function parseArgs(argv: readonly string[]): ParsedFlags {
  const merged = parseFlags([], FLAGS);
  const positional: string[] = [];
  let rest = argv;
  for (;;) {
    const p = parseFlags(rest, FLAGS);
    for (const k of p.set) {
      merged.values[k] = p.values[k] as string;
      merged.set.add(k);
    }
    const [first, ...after] = p.positional;
    if (first === undefined) break;
    positional.push(first);
    rest = after;
  }
  return { ...merged, positional };
}

// ---- inputs ----

type RunInput = RunFolder & { steps: Record<string, FortioResult> };

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : errorMessage(e);
    throw new UsageError(`${path}: ${why}`);
  }
}

/** A run directory: verdicts.json and each step's load JSON; what could not be read is said on stderr. */
async function readRunDir(dir: string, err: (s: string) => void): Promise<RunInput> {
  const run = await readRunFolder(dir);
  const { steps, warnings } = await readStepResults(run);
  for (const w of warnings) err(`tripbench report: ${w}
`);
  return { ...run, steps };
}

type Located = { kind: 'result'; path: string; result: FortioResult } | { kind: 'run'; dir: string };

/** What a path names: a run directory (or its verdicts.json), else a result JSON, parsed. */
async function locate(path: string): Promise<Located> {
  let isDir = false;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    // readText names the problem
  }
  if (isDir) return { kind: 'run', dir: path };
  const text = await readText(path);
  if (basename(path) === VERDICTS_FILE) {
    try {
      if (isVerdictsDocument(JSON.parse(text))) return { kind: 'run', dir: dirname(path) };
    } catch {
      // not JSON: parseFortioJson below reports it
    }
  }
  return { kind: 'result', path, result: parseFortioJson(text, path) };
}

const withoutJson = (name: string): string => name.replace(/\.json$/i, '');

/** Each step that several runs of one scenario share, compared with the first of them. */
function runsCompareText(runs: readonly RunInput[], labels: readonly string[]): string {
  let text = '';
  runs.forEach((first, i) => {
    if (runs.findIndex((r) => r.scenario.scenario === first.scenario.scenario) !== i) return;
    const same = runs.flatMap((r, j) => (r.scenario.scenario === first.scenario.scenario ? [j] : []));
    if (same.length < 2) return;
    const keys = [...new Set(same.flatMap((j) => (runs[j] as RunInput).scenario.steps.map((s) => s.key)))];
    for (const key of keys) {
      const have = same.filter((j) => (runs[j] as RunInput).steps[key] !== undefined);
      if (have.length < 2) continue;
      const rows = compareRows(have.map((j) => (runs[j] as RunInput).steps[key] as FortioResult));
      text += `\n${first.scenario.scenario} ${key}, compared with ${labels[have[0] as number] ?? ''}:\n`;
      text += formatCompareText(have.map((j) => labels[j] ?? ''), rows);
    }
  });
  return text;
}

function inconclusiveAs(flag: string, docs: readonly Record<string, unknown>[]): InconclusiveAs {
  const ok = (v: unknown): v is InconclusiveAs => v === 'pass' || v === 'fail' || v === 'inconclusive';
  if (flag !== '') {
    if (!ok(flag)) throw new UsageError(`invalid value "${flag}" for flag -inconclusive: use pass, fail or inconclusive`);
    return flag;
  }
  const recorded = docs.map((d) => d['inconclusiveAs']).find(ok);
  return recorded ?? 'inconclusive';
}

async function writeHtml(path: string, html: string, err: (s: string) => void): Promise<number> {
  try {
    await writeFileAtomic(path, html);
  } catch (e) {
    err(`tripbench report: unable to write ${path}: ${errorMessage(e)}\n`);
    return ExitCode.FAILURE;
  }
  err(`Successfully wrote ${Buffer.byteLength(html)} bytes of HTML report to ${path}\n`);
  return ExitCode.OK;
}

// ---- the command ----

async function run(argv: string[], err: (s: string) => void): Promise<number> {
  const args = parseArgs(argv);
  const out = args.values['o'] as string;
  const title = args.values['title'] as string;
  if (args.positional.length === 0) throw new UsageError('report: give a RESULT.json or a RUN_DIR (see tripbench report -h)');
  const flagIa = args.values['inconclusive'] as string;
  if (flagIa !== '') inconclusiveAs(flagIa, []);
  const located: Located[] = [];
  for (const p of args.positional) located.push(await locate(p));
  const results = located.filter((i): i is Extract<Located, { kind: 'result' }> => i.kind === 'result');
  const dirs = located.filter((i): i is Extract<Located, { kind: 'run' }> => i.kind === 'run');
  if (results.length > 0 && dirs.length > 0) throw new UsageError('report: give either result files or run directories, not both');

  if (dirs.length > 0) {
    if (out === '' && dirs.length > 1) throw new UsageError('report: with several run directories, name the page with -o');
    const runs: RunInput[] = [];
    for (const d of dirs) runs.push(await readRunDir(d.dir, err));
    const first = runs[0] as RunInput;
    const target = out !== '' ? out : join(first.dir, HTML_FILE);
    const curve = first.doc['curveCode'];
    const runLabels = shortLabels(runs.map((r) => r.dir));
    if (runs.length > 1) err(runsCompareText(runs, runLabels));
    const html = renderRunHtml({
      scenarios: runs.map((r) => r.scenario),
      steps: {},
      scenarioSteps: runs.map((r) => r.steps),
      ...(runs.length > 1 ? { runLabels, runSources: runs.map((r) => r.dir) } : {}),
      inconclusiveAs: inconclusiveAs(flagIa, runs.map((r) => r.doc)),
      ...(typeof curve === 'string' ? { curveCode: curve } : {}),
      ...(title !== '' ? { title } : {}),
    });
    return writeHtml(target, html, err);
  }

  const labels = shortLabels(results.map((r) => r.path), withoutJson);
  results.forEach((r, i) => {
    if (results.length > 1) err(`${i > 0 ? '\n' : ''}==> ${r.path} <==\n`);
    err(isGrpcResult(r.result) ? formatGrpcReport(r.result, { level: Level.Info }) : formatReport(r.result, { level: Level.Info }));
  });
  if (results.length > 1) err(`\nComparison with ${labels[0] ?? ''}:\n${formatCompareText(labels, compareRows(results.map((r) => r.result)))}`);
  if (out === '') return ExitCode.OK;
  const html = renderResultHtml(
    results.map((r) => r.result),
    labels,
    { sources: results.map((r) => r.path), ...(title !== '' ? { title } : {}) },
  );
  return writeHtml(out, html, err);
}

export async function reportCommand(argv: string[], io: ReportIo = { err: (s) => void process.stderr.write(s) }): Promise<number> {
  try {
    return await run(argv, io.err);
  } catch (e) {
    if (e instanceof FlagError && e.message === 'help requested') {
      io.err(`${USAGE}\nFlags:\n${formatUsage(FLAGS)}`);
      return ExitCode.OK;
    }
    if (e instanceof UsageError) {
      io.err(`tripbench report: ${e.message}\n`);
      return ExitCode.USAGE;
    }
    throw e;
  }
}
