/**
 * The run folder's layout (reports/README.md): `reports/<scenario>/<YYYY-MM-DDTHHMMSSZ>/` holding
 * each step's fortio JSON and text, then scenario.yaml, verdicts.json, junit.xml, summary.md and
 * report.html. The one place the names are spelled: the writer, the reader, `report` and
 * `history` all take them from here.
 */
import type { StepResult } from '../scenario/results.js';

/** The scenario file exactly as run. */
export const SCENARIO_FILE = 'scenario.yaml';
/** The run's verdicts (tripbench.verdicts/v1): what makes a folder a run folder. */
export const VERDICTS_FILE = 'verdicts.json';
export const JUNIT_FILE = 'junit.xml';
export const SUMMARY_FILE = 'summary.md';
export const HTML_FILE = 'report.html';

/** A step's result: its pooled batches, else what an interrupted batch did. */
export const stepJsonFile = (key: string): string => `${key}.json`;
/** What the terminal showed for the step. */
export const stepTextFile = (key: string): string => `${key}.txt`;
/** Batch `n` (from 1) of a step that ran in several. */
export const stepBatchFile = (key: string, n: number): string => `${key}.batch${n}.json`;

/** `2026-11-25T172822Z`: sorts by time, and has no ':' (not allowed in Windows names or CI artifacts). */
export function runFolderName(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '');
}

/** A name runFolderName made (with or without the `-2` of a second run in the same second). */
export function isRunFolderName(name: string): boolean {
  return /^\d{4}-\d\d-\d\dT/.test(name);
}

/**
 * The fortio JSON files that hold a step's data: `<key>.json` when the step lists it or lists no
 * JSON at all, else the batch files it lists (its batches could not be pooled into one).
 */
export function stepDataFiles(step: Pick<StepResult, 'key' | 'files'>): string[] {
  const listed = (step.files ?? []).filter((f) => f.endsWith('.json'));
  const own = stepJsonFile(step.key);
  return listed.length === 0 || listed.includes(own) ? [own] : listed;
}
