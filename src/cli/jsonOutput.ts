/** `-json FILE|-` and `-a`: where a load's fortio JSON goes, written as fortio writes it. */
import { join } from 'node:path';
import type { LoadConfig } from './loadFlags.js';
import type { FortioRunCommon } from '../report/fortioResult.js';
import { ExitCode } from '../shared/exitCodes.js';
import { errorMessage, oneLineMessage } from '../shared/errors.js';
import { Level, log } from '../shared/log.js';

/** Whether the run's result is written as JSON (-json, -a): only then does anything read its HDR histograms. */
export function jsonWritten(cfg: LoadConfig): boolean {
  return cfg.jsonPath !== '' || cfg.autoSave;
}

/** Encodes the result only when it goes somewhere: a run without -json or auto-save skips the encoding. */
export async function writeJson<R extends FortioRunCommon>(cfg: LoadConfig, result: R, encode: (r: R) => string | Promise<string>): Promise<{ bytes: number; target: string } | null> {
  if (!jsonWritten(cfg)) return null;
  const path = cfg.jsonPath !== '' ? cfg.jsonPath : join(cfg.dataDir, `${result.ID}.json`);
  const json = await encode(result);
  const bytes = Buffer.byteLength(json);
  if (path === '-') {
    process.stdout.write(json);
    return { bytes, target: 'stdout' };
  }
  // imported here: a run that writes no file never loads the atomic writer
  const { writeFileAtomic } = await import('../shared/atomicWrite.js');
  try {
    // fortio opens the file as given: a missing directory is an error, never created; a device
    // or FIFO (/dev/null) is written into (atomicWrite.ts)
    await writeFileAtomic(path, json, { createDirs: false });
  } catch (e) {
    throw new Error(`Unable to create ${path}: ${systemReason(e)}`, { cause: e });
  }
  return { bytes, target: path };
}

/**
 * The end of a load as fortio ends it: the JSON written (or its error kept), the report printed
 * (naming the file when written), then the write error logged fatally and exit 2.
 */
export async function writeJsonAndReport<R extends FortioRunCommon>(
  cfg: LoadConfig,
  result: R,
  encode: (r: R) => string | Promise<string>,
  report: (written: { bytes: number; target: string } | undefined) => string,
): Promise<ExitCode> {
  let written: { bytes: number; target: string } | null = null;
  let writeError = '';
  try {
    written = await writeJson(cfg, result, encode);
  } catch (e) {
    writeError = oneLineMessage(e);
  }
  process.stderr.write(report(written ?? undefined));
  if (writeError !== '') {
    log(Level.Fatal, writeError);
    return ExitCode.USAGE;
  }
  return ExitCode.OK;
}

/** "no such file or directory" from Node's "ENOENT: no such file or directory, open '….tmp'" (the temp name is ours). */
function systemReason(e: unknown): string {
  const m = /^[A-Z]+: ([^,]+),/.exec(errorMessage(e));
  return m?.[1] ?? errorMessage(e);
}

