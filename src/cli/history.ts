/**
 * `tripbench history reports/<scenario>`: past runs of a scenario as a table (date, outcome,
 * verdicts, trip ratio and p99 per step), or as JSON with -json, so a scheduled check's drift
 * is visible without a dashboard.
 */
import { FlagError, flagBool, flagNumber, flagString, formatUsage, parseFlags, type FlagSpecs } from './flags.js';
import { flagsFirst } from './argOrder.js';
import { ExitCode } from '../shared/exitCodes.js';
import { readHistory } from '../history/readRuns.js';
import { renderHistoryTable } from '../history/table.js';
import { UsageError } from '../shared/errors.js';

export const HISTORY_FLAGS: FlagSpecs = {
  n: { type: 'int', default: 30, usage: 'show the newest N runs (0 = all)' },
  code: { type: 'string', default: '', usage: "the trip code: a status code or a class like 5xx (default: each run's curve code, 503)" },
  steps: { type: 'string', default: '', usage: 'only these steps, comma separated (a sweep step name selects all its points)' },
  json: { type: 'bool', default: false, usage: 'print the runs as JSON instead of a table' },
};

const USAGE = `Usage: tripbench history [flags] reports/<scenario>\n${formatUsage(HISTORY_FLAGS)}`;

export async function historyCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(flagsFirst(argv, HISTORY_FLAGS), HISTORY_FLAGS);
  } catch (e) {
    if (e instanceof FlagError) {
      if (e.message === 'help requested') {
        process.stderr.write(USAGE);
        return ExitCode.OK;
      }
      process.stderr.write(`tripbench history: ${e.message}\nRun 'tripbench history -h' for usage.\n`);
      return ExitCode.USAGE;
    }
    throw e;
  }
  const [dir, ...extra] = parsed.positional;
  if (dir === undefined || extra.length > 0) {
    process.stderr.write(`tripbench history: give exactly one scenario folder\n${USAGE}`);
    return ExitCode.USAGE;
  }
  const code = flagString(parsed, 'code');
  if (code !== '' && !/^(-1|[1-5]\d\d|[1-5]xx)$/.test(code)) throw new UsageError(`-code ${code}: use -1, a status code 100..599 or a class 1xx..5xx`);
  const n = flagNumber(parsed, 'n');
  if (n < 0) throw new UsageError('-n must be 0 (all runs) or more');
  const runs = await readHistory(dir, { ...(code !== '' ? { code } : {}), last: n });
  if (flagBool(parsed, 'json')) {
    process.stdout.write(`${JSON.stringify(runs, null, 2)}\n`);
    return ExitCode.OK;
  }
  if (runs.length === 0) {
    process.stdout.write(`no runs in ${dir} yet\n`);
    return ExitCode.OK;
  }
  const steps = flagString(parsed, 'steps').split(',').map((s) => s.trim()).filter((s) => s !== '');
  process.stdout.write(renderHistoryTable(runs, { code: code !== '' ? code : '503', ...(steps.length > 0 ? { steps } : {}) }));
  return ExitCode.OK;
}
