/**
 * The run folder's reader and validator (layout.ts names the files). A folder is a run folder
 * when it holds a tripbench verdicts.json whose fields the readers use have their types; anything
 * else is a RunFolderError with one line naming the file. Nothing here prints: what a command
 * shows of a step it could not read is in `warnings`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseFortioJson } from '../report/fortioJson.js';
import type { FortioResult } from '../report/fortioResult.js';
import type { ScenarioResult, StepResult } from '../scenario/results.js';
import { errorMessage, oneLineMessage, UsageError } from '../shared/errors.js';
import { stepDataFiles, VERDICTS_FILE } from './layout.js';

/** What is wrong with a file of the run folder: absent, unreadable, not JSON, not ours, or a field of the wrong type. */
export type RunFolderProblem = 'missing' | 'unreadable' | 'json' | 'format' | 'shape';

/** `<path>: <detail>`, one line; `problem` lets a reader word a missing file its own way (a run still going). */
export class RunFolderError extends UsageError {
  constructor(
    readonly path: string,
    readonly problem: RunFolderProblem,
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
    this.name = 'RunFolderError';
  }
}

export interface RunFolder {
  dir: string;
  /** verdicts.json as written (every field, including those the validator does not check) */
  doc: Record<string, unknown>;
  /** verdicts.json validated: the fields the readers use have their types */
  scenario: ScenarioResult;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A tripbench verdicts document, any version (`"format": "tripbench.verdicts/…"`). */
export function isVerdictsDocument(v: unknown): v is Record<string, unknown> {
  return isObj(v) && typeof v['format'] === 'string' && v['format'].startsWith('tripbench.verdicts/');
}

/** The fields the readers use, checked so a hand-edited file fails with its name, not a stack. */
export function validateVerdicts(doc: Record<string, unknown>, path: string): ScenarioResult {
  const bad = (what: string): never => {
    throw new RunFolderError(path, 'shape', what);
  };
  if (typeof doc['scenario'] !== 'string') bad('scenario: expected a string');
  if (!Array.isArray(doc['steps'])) bad('steps: expected an array');
  (doc['steps'] as unknown[]).forEach((s, i) => {
    if (!isObj(s)) bad(`steps[${i}]: expected an object`);
    const st = s as Record<string, unknown>;
    for (const k of ['step', 'key', 'label', 'status']) if (typeof st[k] !== 'string') bad(`steps[${i}].${k}: expected a string`);
    if (!Array.isArray(st['results'])) bad(`steps[${i}].results: expected an array`);
    (st['results'] as unknown[]).forEach((r, j) => {
      if (!isObj(r) || typeof r['verdict'] !== 'string' || typeof r['expected'] !== 'string') bad(`steps[${i}].results[${j}]: expected an expectation result`);
    });
  });
  const str = (k: string): string => (typeof doc[k] === 'string' ? (doc[k] as string) : '');
  return {
    ...(doc as unknown as ScenarioResult),
    description: str('description'),
    file: str('file'),
    target: str('target'),
    meshYaml: str('meshYaml'),
    startedAt: str('startedAt'),
    finishedAt: str('finishedAt'),
    interrupted: doc['interrupted'] === true,
  };
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new RunFolderError(path, 'missing', 'no such file or directory');
    throw new RunFolderError(path, 'unreadable', code === 'EACCES' ? 'permission denied' : errorMessage(e));
  }
}

/** A run folder's verdicts.json, read and validated. */
export async function readRunFolder(dir: string): Promise<RunFolder> {
  const path = join(dir, VERDICTS_FILE);
  const text = await readText(path);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new RunFolderError(path, 'json', `not valid JSON: ${oneLineMessage(e)}`);
  }
  if (!isVerdictsDocument(doc)) throw new RunFolderError(path, 'format', 'not a tripbench verdicts file (no "format": "tripbench.verdicts/…")');
  return { dir, doc, scenario: validateVerdicts(doc, path) };
}

/** One fortio result file of the run folder; a missing file is a RunFolderError ('missing'), a bad one parseFortioJson's UsageError. */
export async function readStepFile(dir: string, name: string, source = join(dir, name)): Promise<FortioResult> {
  const path = join(dir, name);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RunFolderError(path, code === 'ENOENT' ? 'missing' : 'unreadable', code === 'ENOENT' ? 'missing' : errorMessage(e));
  }
  return parseFortioJson(text, source);
}

/** Every file that holds the step's data (layout.ts stepDataFiles); undefined when one is missing or unreadable. */
export async function readStepData(dir: string, step: Pick<StepResult, 'key' | 'files'>): Promise<FortioResult[] | undefined> {
  const out: FortioResult[] = [];
  for (const f of stepDataFiles(step)) {
    try {
      out.push(await readStepFile(dir, f, f));
    } catch {
      return undefined;
    }
  }
  return out;
}

/**
 * The result each step that ran shows (its first data file), for charts; a step whose file is
 * missing or unreadable is left out, with a warning line saying so.
 */
export async function readStepResults(run: RunFolder): Promise<{ steps: Record<string, FortioResult>; warnings: string[] }> {
  const steps: Record<string, FortioResult> = {};
  const warnings: string[] = [];
  for (const s of run.scenario.steps) {
    if (s.status === 'not-run') continue;
    try {
      steps[s.key] = await readStepFile(run.dir, stepDataFiles(s)[0] as string);
    } catch (e) {
      const what = e instanceof RunFolderError && e.problem === 'missing' ? `${e.path}: missing,` : `${errorMessage(e)};`;
      warnings.push(`${what} step ${s.label} is shown without charts`);
    }
  }
  return { steps, warnings };
}
