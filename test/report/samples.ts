/**
 * Real fortio 1.33 outputs (copied verbatim from the shared reference fortio-samples/ into
 * fixtures/fortio-1.33/, see its README.md) and helpers to read them.
 */
import { readFileSync, readdirSync } from 'node:fs';

export const SAMPLE_DIR = new URL('./fixtures/fortio-1.33/', import.meta.url);

export function readSample(file: string): string {
  return readFileSync(new URL(file, SAMPLE_DIR), 'utf8');
}

/** Base names that have both a .txt and a .json. */
export function samplePairs(): string[] {
  const files = new Set(readdirSync(SAMPLE_DIR));
  return [...files].filter((f) => f.endsWith('.json') && files.has(f.replace(/\.json$/, '.txt'))).map((f) => f.replace(/\.json$/, '')).sort();
}

export function sampleJsonFiles(): string[] {
  return readdirSync(SAMPLE_DIR).filter((f) => f.endsWith('.json')).sort();
}

// 1.33 log lines: "HH:MM:SS L file.go:NNN> message".
const LOG_LINE = /^\d\d:\d\d:\d\d [DVIWECF] \S+\.go:\d+> /;

/**
 * The report lines of a sample's stderr: timestamped log lines dropped, and the `exit=N`
 * annotation the older pair carries (written by the capture script, not by fortio).
 */
export function reportLines(txt: string): string[] {
  const lines = txt.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.filter((l) => !LOG_LINE.test(l) && !/^exit=\d+$/.test(l));
}

/** Resolution (-r) each sample was run with, per the README's command lines. */
export function sampleResolution(name: string): number {
  if (name.includes('r0.0001')) return 0.0001;
  if (name.includes('r1e-7')) return 1e-7;
  return 0.001;
}
