/**
 * Past runs of one scenario, read back from `reports/<scenario>/<timestamp>/` by the run folder's
 * reader (runs/read.ts):
 * verdicts.json gives the verdicts and observed codes of every step; the step JSON files (fortio
 * results) give latency when verdicts.json has no p99. A run folder that cannot be read becomes a
 * row saying why, so one damaged run never hides the others.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { latencyPercentiles } from '../report/latencyPercentiles.js';
import { codeCount } from '../scenario/expectEvaluate.js';
import type { ScenarioResult, StepResult, StepStatus } from '../scenario/results.js';
import { OUTCOMES, type Outcome, type Tally, scenarioOutcome, stepOutcome, tally, allResults } from '../scenario/verdict.js';
import { isRunFolderName, VERDICTS_FILE } from '../runs/layout.js';
import { readRunFolder, readStepData, RunFolderError } from '../runs/read.js';
import { UsageError } from '../shared/errors.js';

export interface HistoryStep {
  key: string;
  label: string;
  status: StepStatus;
  outcome: Outcome;
  calls: number;
  /** calls that got the trip code */
  tripped: number;
  /** tripped / calls; absent without calls */
  tripRatio?: number;
  /** seconds */
  p99?: number;
  /** where p99 came from: what the verdicts judged, or the step's JSON result(s) by HDR / fortio's buckets */
  p99Source?: 'verdicts' | 'hdr' | 'histogram';
}

export interface HistoryRun {
  /** the run folder's name, `YYYY-MM-DDTHHMMSSZ` */
  id: string;
  dir: string;
  startedAt?: string;
  interrupted?: boolean;
  outcome?: Outcome;
  counts?: Tally;
  steps: HistoryStep[];
  /** why the run could not be read */
  error?: string;
}

export interface HistoryOptions {
  /** the trip code (a code or a class such as 5xx); default: the run's own curveCode, else 503 */
  code?: string;
  /** only the newest `last` runs */
  last?: number;
}

async function isDir(p: string): Promise<boolean> {
  return stat(p).then((s) => s.isDirectory(), () => false);
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(() => true, () => false);
}

/** p99 from the step's result files, by the one estimator (latencyPercentiles: HDR, else fortio's buckets). */
async function p99FromFiles(dir: string, step: StepResult): Promise<Pick<HistoryStep, 'p99' | 'p99Source'>> {
  const results = await readStepData(dir, step);
  if (results === undefined) return {};
  const at = latencyPercentiles(results, [99]);
  if (!at || 'note' in at) return {};
  return { p99: at.seconds[0] as number, p99Source: at.source };
}

async function readRun(dir: string, opts: HistoryOptions): Promise<HistoryRun> {
  const id = basename(dir);
  let doc: ScenarioResult & { format?: string; curveCode?: string; outcome?: string };
  try {
    doc = (await readRunFolder(dir)).doc as unknown as typeof doc;
  } catch (e) {
    if (!(e instanceof RunFolderError)) throw e;
    const why = e.problem === 'missing' ? `no ${VERDICTS_FILE} (run still going, or stopped hard)` : `${VERDICTS_FILE}: ${e.detail}`;
    return { id, dir, steps: [], error: why };
  }
  const code = opts.code ?? doc.curveCode ?? '503';
  const steps: HistoryStep[] = [];
  for (const s of doc.steps) {
    const calls = s.observed?.calls ?? 0;
    const tripped = s.observed ? codeCount(s.observed.codes, code) : 0;
    const h: HistoryStep = { key: s.key, label: s.label, status: s.status, outcome: stepOutcome(s), calls, tripped };
    if (calls > 0) h.tripRatio = tripped / calls;
    const lat = s.observed?.latency;
    const judged = lat?.percentiles['99'];
    // Files written before one estimator was used everywhere judged a -p percentile on fortio's
    // interpolation ("listed"): recompute those from the step's files, so the column is one method.
    const older = (lat?.percentileSource?.['99'] as string | undefined) === 'listed';
    const fromFiles = s.status !== 'not-run' && (judged === undefined || older) ? await p99FromFiles(dir, s) : {};
    if (fromFiles.p99 !== undefined) Object.assign(h, fromFiles);
    else if (judged !== undefined) Object.assign(h, { p99: judged, p99Source: 'verdicts' });
    steps.push(h);
  }
  return {
    id,
    dir,
    startedAt: doc.startedAt,
    interrupted: doc.interrupted,
    // The outcome the run itself reported (it knew its --inconclusive setting); computed for older
    // files, and for unreachable runs that older versions recorded as INCONCLUSIVE.
    outcome: doc.unreachable === undefined && OUTCOMES.includes(doc.outcome as Outcome) ? (doc.outcome as Outcome) : scenarioOutcome(doc),
    counts: tally(allResults(doc)),
    steps,
  };
}

/**
 * Reads `reports/<scenario>`: every run folder in it, oldest first. A reports root holding
 * several scenarios, or a single run folder, is a usage error that names what to pass instead.
 */
export async function readHistory(scenarioDir: string, opts: HistoryOptions = {}): Promise<HistoryRun[]> {
  if (!(await isDir(scenarioDir))) throw new UsageError(`${scenarioDir}: not a directory (expected reports/<scenario>)`);
  if (await exists(join(scenarioDir, VERDICTS_FILE))) {
    throw new UsageError(`${scenarioDir} is one run; give its scenario folder: tripbench history ${join(scenarioDir, '..')}`);
  }
  const names = (await readdir(scenarioDir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const runs: string[] = [];
  const scenarios: string[] = [];
  for (const n of names) {
    const p = join(scenarioDir, n);
    if (isRunFolderName(n) || (await exists(join(p, VERDICTS_FILE)))) runs.push(p);
    else if ((await readdir(p)).some(isRunFolderName)) scenarios.push(n);
  }
  if (runs.length === 0 && scenarios.length > 0) {
    const what = scenarios.length === 1 ? 'a scenario folder, not runs' : 'several scenarios';
    throw new UsageError(`${scenarioDir} holds ${what} (${scenarios.join(', ')}); give one, e.g. tripbench history ${join(scenarioDir, scenarios[0] as string)}`);
  }
  const chosen = opts.last !== undefined && opts.last > 0 ? runs.slice(-opts.last) : runs;
  const out: HistoryRun[] = [];
  for (const r of chosen) out.push(await readRun(r, opts));
  return out;
}
