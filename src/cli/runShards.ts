/**
 * `tripbench run` across processes: `--shard i/N` measures one share and writes a shard record;
 * `--merge DIR` judges the records of every shard once (scenario/shards.ts). With `--shards N`
 * the merge first waits for each shard's marker in DIR: `shard-<i>.done` or `shard-<i>.failed`
 * (the shard's exit code, written by the pod's wrapper after tripbench exits), failing at the
 * first `.failed` or at `--deadline`, naming the shards, so a dead shard never leaves the merge
 * waiting and a partial merge is never judged.
 */
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { FlagError, flagNumber, flagString, type ParsedFlags } from './flags.js';
import { parseShard, parseStartAt } from './loadFlags.js';
import type { Shard } from '../load/shard.js';
import { parseShardRecord, renderShardRecord, shardFileName, shardRecord, type ShardRecord } from '../scenario/shards.js';
import type { ScenarioRun } from '../scenario/run.js';
import { writeFileAtomic } from '../shared/atomicWrite.js';
import { TripbenchError, UsageError, errorMessage } from '../shared/errors.js';
import { formatRfc3339Nano } from '../shared/goFormat.js';

export interface ShardFlags {
  shard?: Shard;
  startAtMs?: number;
  /** --merge DIR */
  merge?: string;
  /** --shards N: wait for N markers first */
  shards?: number;
  /** --deadline, epoch ms */
  deadlineMs?: number;
}

/** The merge could not be made: a shard failed or did not finish. Exit 1, one line. */
export class ShardFailure extends TripbenchError {
  constructor(message: string) {
    super('SHARD', message);
  }
}

function flagged<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw e instanceof FlagError ? new UsageError(e.message) : e;
  }
}

export function shardFlags(p: ParsedFlags): ShardFlags {
  const shard = flagged(() => parseShard(flagString(p, 'shard')));
  const startAtMs = flagged(() => parseStartAt(flagString(p, 'start-at')));
  const deadlineMs = flagged(() => parseStartAt(flagString(p, 'deadline'), '-deadline'));
  const merge = flagString(p, 'merge');
  const shards = flagNumber(p, 'shards');
  if (merge !== '' && (shard || startAtMs !== undefined)) throw new UsageError('--merge judges shards that ran already: it takes no --shard or --start-at');
  if (merge === '' && (shards !== 0 || deadlineMs !== undefined)) throw new UsageError('--shards and --deadline go with --merge DIR');
  if (shards < 0) throw new UsageError('--shards must be at least 1');
  if (deadlineMs !== undefined && shards === 0) throw new UsageError('--deadline needs --shards N (the markers to wait for)');
  const judged = ['junit', 'summary', 'json', 'html', 'prometheus', 'pushgateway'].filter((f) => p.set.has(f));
  if (shard && judged.length > 0) throw new UsageError(`--shard only measures: ${judged.map((f) => `--${f}`).join(', ')} belong to the run --merge that judges the shards`);
  return {
    ...(shard && shard.count > 0 ? { shard } : {}),
    ...(startAtMs !== undefined ? { startAtMs } : {}),
    ...(merge !== '' ? { merge } : {}),
    ...(shards > 0 ? { shards } : {}),
    ...(deadlineMs !== undefined ? { deadlineMs } : {}),
  };
}

export const POLL_MS = 250;

async function markerOf(dir: string, i: number): Promise<{ done: boolean } | { failed: string } | undefined> {
  const names = await readdir(dir).catch(() => [] as string[]);
  if (names.includes(`shard-${i}.failed`)) {
    const rc = (await readFile(join(dir, `shard-${i}.failed`), 'utf8').catch(() => '')).trim();
    return { failed: rc === '' ? 'no exit code recorded' : `exit code ${rc}` };
  }
  return names.includes(`shard-${i}.done`) ? { done: true } : undefined;
}

/** Resolves once every shard is done; throws ShardFailure at the first failed one or at the deadline. */
export async function waitForShards(dir: string, n: number, deadlineMs: number | undefined, log: (line: string) => void): Promise<void> {
  let told = false;
  for (;;) {
    const pending: number[] = [];
    for (let i = 0; i < n; i++) {
      const m = await markerOf(dir, i);
      if (m && 'failed' in m) throw new ShardFailure(`shard ${i}/${n} failed (${m.failed}, ${join(dir, `shard-${i}.failed`)}): the merge is not made`);
      if (!m) pending.push(i);
    }
    if (pending.length === 0) return;
    const now = Date.now();
    if (deadlineMs !== undefined && now >= deadlineMs) {
      throw new ShardFailure(`shard ${pending.map((i) => `${i}/${n}`).join(', ')} did not finish by the deadline ${formatRfc3339Nano(deadlineMs)} (no marker in ${dir}): the merge is not made`);
    }
    if (!told) {
      log(`tripbench run: waiting for shard ${pending.map((i) => `${i}/${n}`).join(', ')} in ${dir}${deadlineMs !== undefined ? ` until ${formatRfc3339Nano(deadlineMs)}` : ''}\n`);
      told = true;
    }
    await new Promise((resolve) => setTimeout(resolve, deadlineMs !== undefined ? Math.max(1, Math.min(POLL_MS, deadlineMs - now)) : POLL_MS));
  }
}

/** Every shard record of the scenario in DIR/<scenario>/. */
export async function readShardRecords(dir: string, scenario: string): Promise<ShardRecord[]> {
  const folder = join(dir, scenario);
  let names: string[];
  try {
    names = (await readdir(folder)).filter((n) => /^shard-\d+-of-\d+\.json$/.test(n)).sort();
  } catch (e) {
    throw new UsageError(`--merge ${dir}: no shard records of ${scenario}: ${errorMessage(e)}`);
  }
  const out: ShardRecord[] = [];
  for (const n of names) out.push(parseShardRecord(await readFile(join(folder, n), 'utf8'), join(folder, n)));
  return out;
}

export async function writeShardRecord(reports: string, run: ScenarioRun, shard: Shard): Promise<string> {
  const file = join(reports, shardFileName(run.scenario.name, shard));
  await mkdir(join(reports, run.scenario.name), { recursive: true });
  await writeFileAtomic(file, renderShardRecord(shardRecord(run, shard)));
  return file;
}
