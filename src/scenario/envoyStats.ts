/**
 * Envoy admin `/stats` bodies (plain text and `?format=json`) as a name → value map and the
 * before/after deltas a step is judged on. Pure parsing: fetching the admin endpoint belongs to
 * the orchestrator.
 */
import type { Expectation } from './types.js';
import type { EnvoyObserved } from './results.js';

export type StatMap = Map<string, number>;

/**
 * `name: value` lines. Histograms (`P0(…) …` / `No recorded values`) and quoted text readouts are
 * skipped: they are not counters. The value follows the last ": " because names may hold ':'.
 */
export function parseStatsText(body: string): StatMap {
  const out: StatMap = new Map();
  for (const raw of body.split('\n')) {
    const line = raw.trimEnd();
    const i = line.lastIndexOf(': ');
    if (i <= 0) continue;
    const value = line.slice(i + 2).trim();
    if (!/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(value)) continue;
    out.set(line.slice(0, i).trim(), Number(value));
  }
  return out;
}

/** `{"stats":[{"name":…,"value":…}, …, {"histograms":{…}}]}`; entries without a numeric value are skipped. */
export function parseStatsJson(body: string | unknown): StatMap {
  const doc: unknown = typeof body === 'string' ? JSON.parse(body) : body;
  const out: StatMap = new Map();
  const stats = (doc as { stats?: unknown }).stats;
  if (!Array.isArray(stats)) throw new Error('Envoy stats JSON has no "stats" list');
  for (const s of stats as unknown[]) {
    if (typeof s !== 'object' || s === null) continue;
    const { name, value } = s as { name?: unknown; value?: unknown };
    if (typeof name !== 'string') continue;
    const v = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
    if (Number.isFinite(v)) out.set(name, v);
  }
  return out;
}

/** Either format, told apart by the first character. */
export function parseStats(body: string): StatMap {
  return body.trimStart().startsWith('{') ? parseStatsJson(body) : parseStatsText(body);
}

/**
 * after − before for stats under `cluster.<cluster>.` plus any absolute names asked for. A stat
 * missing before but present after counts from 0: `/stats?usedonly` only lists touched stats.
 */
export function statDeltas(before: StatMap, after: StatMap, cluster: string, extraNames: readonly string[] = []): Record<string, number> {
  const prefix = `cluster.${cluster}.`;
  // Istio >= 1.23 names cluster stats by alt_stat_name = cluster name + ";": read both spellings as one.
  const altPrefix = `cluster.${cluster};.`;
  const out: Record<string, number> = {};
  for (const [name, v] of after) {
    const key = name.startsWith(altPrefix) ? prefix + name.slice(altPrefix.length) : name;
    if (!key.startsWith(prefix) && !extraNames.includes(name)) continue;
    out[key] = v - (before.get(name) ?? 0);
  }
  return out;
}

/** Stat names the expectations read, to pass as statDeltas' extraNames (absolute names live outside the cluster prefix). */
export function envoyStatNames(es: readonly Expectation[]): string[] {
  return es.flatMap((e) => (e.metric.kind === 'envoy' ? [e.metric.stat] : []));
}

/** Sums per-batch deltas (until-conclusive pools batches, and snapshots each one). */
export function addDeltas(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** What observe() takes: the pooled deltas, or why the admin endpoint could not be read. */
export function envoyObserved(cluster: string, deltas: Record<string, number> | Error | string): EnvoyObserved {
  if (deltas instanceof Error) return { error: deltas.message };
  if (typeof deltas === 'string') return { error: deltas };
  return { cluster, deltas };
}
