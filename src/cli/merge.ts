/**
 * `tripbench merge a.json b.json ... [-o merged.json]`: one report from the JSON results of
 * several shards, pods or runs (ours or fortio's). The fortio text report of the whole goes to
 * stdout (stderr when `-o -` puts the JSON there); notes on approximation go to stderr.
 */
import { readFile } from 'node:fs/promises';
import { FlagError, flagBool, flagString, formatUsage, parseFlags, type FlagSpecs } from './flags.js';
import { flagsFirst } from './argOrder.js';
import { ExitCode } from '../shared/exitCodes.js';
import { parsePercentiles } from './loadFlags.js';
import { mergeResults, type MergeInfo, type MergeInput, type MergeOutcome } from '../merge/mergeResults.js';
import { encodeAnyFortioJson, parseFortioJson } from '../report/fortioJson.js';
import { isGrpcResult } from '../report/fortioGrpcResult.js';
import { formatGrpcReport, formatReport } from '../report/fortioText.js';
import { formatPrecG, formatG } from '../shared/goFormat.js';
import { Level } from '../shared/log.js';
import { UsageError, errorMessage } from '../shared/errors.js';
import { writeFileAtomic } from '../shared/atomicWrite.js';

export const MERGE_FLAGS: FlagSpecs = {
  o: { type: 'string', default: '', usage: "write the merged JSON result to this file ('-' for stdout)" },
  force: { type: 'bool', default: false, usage: 'merge runs of different URLs or histogram settings anyway' },
  p: { type: 'string', default: '', usage: "percentiles to report, e.g. '50,90,99' (default: the first input's list)" },
  quiet: { type: 'bool', default: false, usage: 'print only the summary lines of the report' },
};

const USAGE = `Usage: tripbench merge [flags] result.json... \n${formatUsage(MERGE_FLAGS)}`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function readInput(source: string): Promise<MergeInput> {
  let text: string;
  try {
    text = source === '-' ? await readStdin() : await readFile(source, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${source}: ${errorMessage(e)}`);
  }
  return { source, result: parseFortioJson(text, source) };
}

function header(outcome: MergeOutcome, inputs: readonly MergeInput[]): string {
  const r = outcome.result;
  const shards = inputs.map((i) => i.result.Tripbench?.Shard).filter((s): s is string => !!s);
  const what = shards.length > 0 ? ` (shards ${shards.join(', ')})` : '';
  const how = outcome.exact ? 'exact (HDR histograms)' : 'bucket-approximate';
  return `Merged ${inputs.length} result(s)${what}, ${how}: ${r.URL}\n${rangeLine(r)}`;
}

/** The start skew and time range of the inputs (MergeInfo): what `-start-at` is judged by. */
export function rangeLine(r: MergeOutcome['result']): string {
  const m = r.Tripbench?.['Merged'] as MergeInfo | undefined;
  if (!m) return '';
  return `Start skew ${m.StartSkewSeconds.toFixed(3)} s (latest minus earliest start); covers ${m.RangeStart} to ${m.RangeEnd} (${m.RangeSeconds.toFixed(3)} s)\n`;
}

function hdrLines(outcome: MergeOutcome): string {
  if (!outcome.hdrPercentiles) return '';
  return outcome.hdrPercentiles.map((p) => `# hdr target ${formatG(p.Percentile)}% ${formatPrecG(p.Value, 6)}\n`).join('');
}

export async function mergeCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(flagsFirst(argv, MERGE_FLAGS), MERGE_FLAGS);
  } catch (e) {
    if (e instanceof FlagError) {
      if (e.message === 'help requested') {
        process.stderr.write(USAGE);
        return ExitCode.OK;
      }
      process.stderr.write(`tripbench merge: ${e.message}\nRun 'tripbench merge -h' for usage.\n`);
      return ExitCode.USAGE;
    }
    throw e;
  }
  const files = parsed.positional;
  if (files.length === 0) {
    process.stderr.write(`tripbench merge: no result files given\n${USAGE}`);
    return ExitCode.USAGE;
  }
  const pFlag = flagString(parsed, 'p');
  let percentiles: number[] | undefined;
  try {
    percentiles = pFlag !== '' ? parsePercentiles(pFlag) : undefined;
  } catch (e) {
    throw new UsageError(errorMessage(e));
  }
  const inputs: MergeInput[] = [];
  for (const f of files) inputs.push(await readInput(f));
  const outcome = mergeResults(inputs, { force: flagBool(parsed, 'force'), ...(percentiles ? { percentiles } : {}) });
  for (const n of outcome.notes) process.stderr.write(`tripbench merge: note: ${n}\n`);

  const out = flagString(parsed, 'o');
  // gRPC shards merge into a gRPC result: fortio's GRPCRunnerResults shape and report lines
  const json = encodeAnyFortioJson(outcome.result);
  let written: { bytes: number; target: string } | undefined;
  if (out === '-') {
    process.stdout.write(json);
    written = { bytes: Buffer.byteLength(json), target: 'stdout' };
  } else if (out !== '') {
    try {
      await writeFileAtomic(out, json);
    } catch (e) {
      process.stderr.write(`tripbench merge: cannot write ${out}: ${errorMessage(e)}\n`);
      return ExitCode.FAILURE;
    }
    written = { bytes: Buffer.byteLength(json), target: out };
  }
  const reportOpts = {
    level: flagBool(parsed, 'quiet') ? Level.Error : Level.Info,
    ...(percentiles ? { percentiles } : {}),
    ...(written ? { jsonWritten: written } : {}),
  };
  const r = outcome.result;
  const report = header(outcome, inputs) + (isGrpcResult(r) ? formatGrpcReport(r, reportOpts) : formatReport(r, reportOpts)) + hdrLines(outcome);
  (out === '-' ? process.stderr : process.stdout).write(report);
  return ExitCode.OK;
}
