/**
 * The run folder's writer (layout.ts names the files): each step's fortio JSON and text as soon
 * as the step ends (so a hard kill still leaves the finished steps), then scenario.yaml,
 * verdicts.json, junit.xml, summary.md and report.html. Every file is written atomically, so a
 * reader never sees half a file; nothing here prints.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { renderRunHtml } from '../html/runReport.js';
import { encodeAnyFortioJson } from '../report/fortioJson.js';
import type { FortioResult } from '../report/fortioResult.js';
import { isGrpcResult } from '../report/fortioGrpcResult.js';
import { formatGrpcReport, formatReport } from '../report/fortioText.js';
import { renderJUnit } from '../scenario/render/junit.js';
import { renderMarkdownSummary } from '../scenario/render/markdown.js';
import { renderVerdictsJson } from '../scenario/render/verdictsJson.js';
import type { ScenarioRun } from '../scenario/run.js';
import type { StepLoads } from '../scenario/stepRunner.js';
import type { StepResult } from '../scenario/results.js';
import type { InconclusiveAs } from '../scenario/verdict.js';
import { writeFileAtomic } from '../shared/atomicWrite.js';
import type { Level } from '../shared/log.js';
import { VERSION } from '../shared/version.js';
import { HTML_FILE, JUNIT_FILE, runFolderName, SCENARIO_FILE, stepBatchFile, stepJsonFile, stepTextFile, SUMMARY_FILE, VERDICTS_FILE } from './layout.js';

/** A fresh folder for this run; two runs in the same second get `…Z-2`, `…Z-3`. */
export async function makeRunDir(reportsRoot: string, scenario: string, startedAt: Date): Promise<string> {
  const parent = join(reportsRoot, scenario);
  await mkdir(parent, { recursive: true });
  const name = runFolderName(startedAt);
  for (let i = 1; ; i++) {
    const dir = join(parent, i === 1 ? name : `${name}-${i}`);
    try {
      await mkdir(dir);
      return dir;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || i > 100) throw e;
    }
  }
}

/** The result a step's `<key>.json` holds: the pooled batches, else what an interrupted batch did. */
export function stepResultJson(loads: StepLoads | undefined): FortioResult | undefined {
  return loads?.pooled ?? loads?.partial;
}

/**
 * `<key>.json` and `<key>.txt`, plus `<key>.batchN.json` when the step ran in several batches
 * (those are not listed in `files`: readers that merge the listed JSON would count them twice).
 * When the batches could not be pooled there is no `<key>.json`; the batch files are listed.
 * `printed` is the text the terminal showed for the step's batches.
 */
export async function writeStepFiles(dir: string, step: StepResult, loads: StepLoads | undefined, printed: string, level: Level): Promise<string[]> {
  if (!loads) return [];
  const result = stepResultJson(loads);
  const all = [...loads.batches, ...(loads.partial ? [loads.partial] : [])];
  if (!result && all.length === 0) return [];
  const files: string[] = [];
  if (result) {
    await writeFileAtomic(join(dir, stepJsonFile(step.key)), encodeAnyFortioJson(result));
    files.push(stepJsonFile(step.key));
  }
  if (all.length > 1 || !result) {
    for (const [i, r] of all.entries()) {
      const name = stepBatchFile(step.key, i + 1);
      await writeFileAtomic(join(dir, name), encodeAnyFortioJson(r));
      // Without a pooled file the batches are the step's data: listed, so readers merge them.
      if (!result) files.push(name);
    }
  }
  let text = printed;
  if (loads.batches.length > 1 && loads.pooled) {
    // a gRPC result has no HTTP sizes: its text is RunGRPCTest's, as `tripbench report` prints it
    const pooled = isGrpcResult(loads.pooled) ? formatGrpcReport(loads.pooled, { level }) : formatReport(loads.pooled, { level });
    text += `\n# ${step.label}: ${loads.batches.length} batches pooled (what the verdicts were judged on)\n${pooled}`;
  }
  await writeFileAtomic(join(dir, stepTextFile(step.key)), text);
  files.push(stepTextFile(step.key));
  return files;
}

export interface ScenarioFilesOptions {
  inconclusiveAs: InconclusiveAs;
  html: boolean;
}

/** scenario.yaml, verdicts.json, junit.xml, summary.md (and report.html): the whole run of one scenario. */
export async function writeScenarioFiles(dir: string, run: ScenarioRun, opts: ScenarioFilesOptions): Promise<string[]> {
  const sr = run.result;
  const ia = opts.inconclusiveAs;
  const written: string[] = [];
  const put = async (name: string, text: string): Promise<void> => {
    await writeFileAtomic(join(dir, name), text);
    written.push(name);
  };
  // The file exactly as run, so the folder alone reproduces the experiment: the text that was
  // validated, not what the file holds after a long run (someone may be editing it meanwhile).
  await put(SCENARIO_FILE, run.scenario.source);
  await put(VERDICTS_FILE, renderVerdictsJson(sr, { version: VERSION, inconclusiveAs: ia }));
  await put(JUNIT_FILE, renderJUnit([sr], { inconclusiveAs: ia }));
  await put(SUMMARY_FILE, renderMarkdownSummary([sr], { inconclusiveAs: ia }));
  if (opts.html) {
    const steps: Record<string, FortioResult> = {};
    for (const s of sr.steps) {
      const r = stepResultJson(run.loads[s.key]);
      if (r) steps[s.key] = r;
    }
    await put(HTML_FILE, renderRunHtml({ scenarios: [sr], steps, inconclusiveAs: ia, version: VERSION }));
  }
  return written;
}
