/**
 * Pushes a text exposition to a Prometheus Pushgateway under a grouping key
 * (`/metrics/job/<job>[/instance/<instance>]`). PUT replaces the whole group, so series of
 * steps that a scenario no longer has disappear with the next scheduled run; POST replaces only
 * the metric names pushed.
 */

export interface PushOptions {
  /** Pushgateway base URL, e.g. http://pushgateway.monitoring:9091 (a path prefix is kept) */
  url: string;
  job: string;
  /** omitted from the grouping key when absent, so CronJob pods (new names each run) share a group */
  instance?: string;
  method?: 'PUT' | 'POST';
  timeoutMs?: number;
}

/**
 * One grouping-key path segment pair. Values with a `/` (or empty ones) use the Pushgateway's
 * `@base64` form (URL-safe alphabet), since a slash would split the path.
 */
export function groupingSegment(name: string, value: string): string {
  if (value === '') return `${name}@base64/=`;
  if (value.includes('/')) return `${name}@base64/${Buffer.from(value, 'utf8').toString('base64url')}`;
  return `${name}/${encodeURIComponent(value)}`;
}

export function pushUrl(o: Pick<PushOptions, 'url' | 'job' | 'instance'>): string {
  const base = o.url.replace(/\/+$/, '');
  let path = `/metrics/${groupingSegment('job', o.job)}`;
  if (o.instance !== undefined) path += `/${groupingSegment('instance', o.instance)}`;
  return base + path;
}

export class PushError extends Error {}

/** Sends the exposition; resolves on a 2xx answer, throws PushError with the gateway's reason otherwise. */
export async function pushMetrics(text: string, o: PushOptions): Promise<void> {
  if (o.job === '') throw new PushError('pushgateway: the job name must not be empty');
  const url = pushUrl(o);
  let res: Response;
  try {
    res = await fetch(url, {
      method: o.method ?? 'PUT',
      headers: { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' },
      body: text,
      signal: AbortSignal.timeout(o.timeoutMs ?? 10_000),
    });
  } catch (e) {
    const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
    throw new PushError(`pushgateway ${url}: ${e instanceof Error ? e.message : String(e)}${cause}`);
  }
  if (res.status < 200 || res.status > 299) {
    const body = (await res.text().catch(() => '')).trim().slice(0, 300);
    throw new PushError(`pushgateway ${url}: HTTP ${res.status}${body ? `: ${body}` : ''}`);
  }
  await res.body?.cancel().catch(() => undefined);
}
