/**
 * Reading an Envoy admin endpoint's `/stats` (text, or `?format=json`) for the before/after
 * snapshots of a step. Failures come back as an Error value, never thrown: an unreachable admin
 * endpoint makes the Envoy expectations INCONCLUSIVE with the reason, it must not stop the run.
 */
import { errorMessage } from '../shared/errors.js';
import { parseStats, type StatMap } from './envoyStats.js';

export type StatsFormat = 'text' | 'json';
export const STATS_FORMATS: readonly StatsFormat[] = ['text', 'json'];

/**
 * A snapshot slower than this makes the Envoy checks INCONCLUSIVE. Generous on purpose: on a
 * busy 2-core runner a local admin answer took over 5 s (load average 20); a hung endpoint
 * still cannot hold a step for long.
 */
export const STATS_TIMEOUT_MS = 20_000;

export interface StatsRequest {
  format?: StatsFormat;
  timeoutMs?: number;
  /** only these stats: everything under `cluster.<cluster>.`, plus absolute names */
  cluster?: string;
  names?: readonly string[];
}

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Envoy's `filter` (a partial-match regex) keeps a sidecar's thousands of stats out of the
 * snapshot; only an exact cluster prefix and exact names, so RE2 and ECMAScript agree on it.
 */
export function statsFilter(cluster: string, names: readonly string[] = []): string {
  // `;?`: Istio >= 1.23 names cluster stats by alt_stat_name, the cluster name + ";".
  const alts = [`^cluster\\.${escapeRe(cluster)};?\\.`, ...names.map((n) => `^${escapeRe(n)}$`)];
  return alts.join('|');
}

export function statsUrl(adminUrl: string, req: StatsRequest = {}): string {
  const u = new URL('stats', adminUrl.endsWith('/') ? adminUrl : `${adminUrl}/`);
  if (req.format === 'json') u.searchParams.set('format', 'json');
  if (req.cluster !== undefined) u.searchParams.set('filter', statsFilter(req.cluster, req.names));
  return u.toString();
}

/** One snapshot as name → value, or why it could not be read. */
export async function fetchEnvoyStats(adminUrl: string, req: StatsRequest = {}): Promise<StatMap | Error> {
  const url = statsUrl(adminUrl, req);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(req.timeoutMs ?? STATS_TIMEOUT_MS) });
    const body = await res.text();
    if (res.status !== 200) return new Error(`GET ${url}: HTTP ${res.status} ${body.trim().slice(0, 120)}`);
    return parseStats(body);
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause;
    return new Error(`GET ${url}: ${errorMessage(e)}${cause ? ` (${errorMessage(cause)})` : ''}`);
  }
}
