/**
 * An Envoy-style admin endpoint (envoy-circuit-breaking.md §3.2): /stats (text, ?filter=,
 * ?usedonly, ?format=json|prometheus), /stats/prometheus, /clusters, /ready, /server_info and
 * POST /reset_counters. Loopback only unless allowed, like Envoy inside a pod. Everything here
 * costs time bounded by the number of stats, except `?filter=` (statFilter.ts), which runs on a
 * worker thread so that no admin request can hold up the data path sharing this event loop.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Cluster } from './cluster.js';
import { renderJson, renderPrometheus, renderText } from './stats.js';
import type { StatStore } from './stats.js';
import { StatFilter } from './statFilter.js';

export interface AdminContext {
  store: StatStore;
  cluster: Cluster;
  startedAt: number;
  concurrency: number;
}

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=UTF-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-cache, max-age=0', 'x-content-type-options': 'nosniff' });
  res.end(body);
}

const STATS_USAGE = 'usage: /stats?format=(html|active-html|json|prometheus|text)\n';

/** /stats in every format; `?filter=` runs on the StatFilter's worker, never on this event loop. */
async function statsResponse(ctx: AdminContext, filter: StatFilter, q: URLSearchParams, res: ServerResponse, forceFormat?: string): Promise<void> {
  const format = forceFormat ?? q.get('format') ?? 'text';
  let entries = ctx.store.snapshot({ usedOnly: q.has('usedonly') });
  const f = q.get('filter');
  if (f !== null && f !== '') {
    const r = await filter.filter(f, entries.map((e) => e.name));
    if (!r.ok) return send(res, r.status, r.body);
    entries = entries.filter((_, i) => r.keep[i] === true);
  }
  if (format === 'json') send(res, 200, renderJson(entries), 'application/json');
  else if (format === 'prometheus') send(res, 200, renderPrometheus(entries, [ctx.cluster.config.statName]), 'text/plain; version=0.0.4');
  else if (format === 'text') send(res, 200, renderText(entries));
  else send(res, 400, STATS_USAGE);
}

function clustersText(ctx: AdminContext): string {
  const c = ctx.cluster;
  const n = c.config.name;
  const lines: string[] = [`${n}::observability_name::${n}`];
  const pri = (p: string, t: { maxConnections: number; maxPendingRequests: number; maxRequests: number; maxRetries: number }): void => {
    lines.push(`${n}::${p}::max_connections::${t.maxConnections}`);
    lines.push(`${n}::${p}::max_pending_requests::${t.maxPendingRequests}`);
    lines.push(`${n}::${p}::max_requests::${t.maxRequests}`);
    lines.push(`${n}::${p}::max_retries::${t.maxRetries}`);
  };
  pri('default_priority', c.config.thresholds);
  pri('high_priority', c.config.highThresholds);
  lines.push(`${n}::added_via_api::true`);
  for (const h of c.hosts) {
    const p = `${n}::${h.key}`;
    lines.push(`${p}::cx_active::${h.cxActive}`, `${p}::cx_connect_fail::${h.cxConnectFail}`, `${p}::cx_total::${h.cxTotal}`);
    lines.push(`${p}::rq_active::${h.rqActive}`, `${p}::rq_error::${h.rqError}`, `${p}::rq_success::${h.rqSuccess}`);
    lines.push(`${p}::rq_timeout::${h.rqTimeout}`, `${p}::rq_total::${h.rqTotal}`);
    lines.push(`${p}::hostname::`, `${p}::health_flags::${h.ejected ? '/failed_outlier_check' : 'healthy'}`);
    lines.push(`${p}::weight::1`, `${p}::region::`, `${p}::zone::`, `${p}::sub_zone::`, `${p}::canary::false`, `${p}::priority::0`);
    lines.push(`${p}::success_rate::-1`, `${p}::local_origin_success_rate::-1`);
  }
  return lines.join('\n') + '\n';
}

function clustersJson(ctx: AdminContext): string {
  const c = ctx.cluster;
  const t = (x: typeof c.config.thresholds, priority: string): Record<string, unknown> => ({
    priority,
    max_connections: x.maxConnections,
    max_pending_requests: x.maxPendingRequests,
    max_requests: x.maxRequests,
    max_retries: x.maxRetries,
  });
  const body = {
    cluster_statuses: [
      {
        name: c.config.name,
        observability_name: c.config.name,
        added_via_api: true,
        circuit_breakers: { thresholds: [t(c.config.thresholds, 'DEFAULT'), t(c.config.highThresholds, 'HIGH')] },
        host_statuses: c.hosts.map((h) => ({
          address: { socket_address: { address: h.address, port_value: h.port } },
          stats: [
            { name: 'cx_connect_fail', value: String(h.cxConnectFail) },
            { name: 'cx_total', value: String(h.cxTotal) },
            { name: 'rq_error', value: String(h.rqError) },
            { name: 'rq_success', value: String(h.rqSuccess) },
            { name: 'rq_timeout', value: String(h.rqTimeout) },
            { name: 'rq_total', value: String(h.rqTotal) },
            { type: 'GAUGE', name: 'cx_active', value: String(h.cxActive) },
            { type: 'GAUGE', name: 'rq_active', value: String(h.rqActive) },
          ],
          health_status: h.ejected ? { failed_outlier_check: true, eds_health_status: 'HEALTHY' } : { eds_health_status: 'HEALTHY' },
          weight: 1,
        })),
      },
    ],
  };
  return JSON.stringify(body, null, 1) + '\n';
}

const HELP = `admin commands are:
  /: help text
  /clusters: upstream cluster status (?format=json)
  /ready: print server state, return 200 if LIVE, otherwise return 503
  /reset_counters (POST): reset all counters to zero
  /server_info: print server version/status information
  /stats: print server stats (?filter=REGEX, ?usedonly, ?format=json|prometheus)
  /stats/prometheus: print server stats in prometheus format
`;

export function createAdminServer(ctx: AdminContext): Server {
  const statFilter = new StatFilter();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://admin');
    } catch {
      // An absolute-form target that is no URL (`GET http://[x/`) must not take the sidecar down.
      return send(res, 400, 'invalid request target\n');
    }
    const path = url.pathname;
    const q = url.searchParams;
    switch (path) {
      case '/':
      case '/help':
        return send(res, 200, HELP);
      case '/ready':
        return send(res, 200, 'LIVE\n');
      case '/server_info':
        return send(
          res,
          200,
          JSON.stringify({ version: 'tripbench-sidecar-emulator', state: 'LIVE', uptime_current_epoch: `${Math.floor((Date.now() - ctx.startedAt) / 1000)}s`, command_line_options: { concurrency: ctx.concurrency } }, null, 1) + '\n',
          'application/json',
        );
      case '/stats':
      case '/stats/prometheus':
        return void statsResponse(ctx, statFilter, q, res, path === '/stats' ? undefined : 'prometheus').catch(() => {
          if (!res.headersSent) send(res, 500, 'stats failed\n');
        });
      case '/clusters':
        return q.get('format') === 'json' ? send(res, 200, clustersJson(ctx), 'application/json') : send(res, 200, clustersText(ctx));
      case '/reset_counters':
        if (req.method !== 'POST') return send(res, 405, 'This endpoint requires POST\n');
        ctx.store.resetCounters();
        return send(res, 200, 'OK\n');
      default:
        return send(res, 404, `invalid path. ${HELP}`);
    }
  });
  server.on('close', () => void statFilter.close());
  return server;
}
