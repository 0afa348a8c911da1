/**
 * VirtualService HTTP match conditions, evaluated like Envoy's route table: routes in order,
 * the first whose any match block holds wins; no match → 404 (flag NR).
 */
import type { RouteConfig, RouteMatch, StringMatcher } from './envoyConfig.js';

export interface MatchInput {
  method: string;
  /** path with query */
  path: string;
  authority: string;
  scheme: string;
  /** lowercased header name → value (first occurrence) */
  headers: ReadonlyMap<string, string>;
}

function test(m: StringMatcher, v: string | undefined): boolean {
  if (v === undefined) return false;
  if ('exact' in m) return v === m.exact;
  if ('prefix' in m) return v.startsWith(m.prefix);
  return m.regex.test(v);
}

function queryParams(path: string): Map<string, string> {
  const q = path.indexOf('?');
  const out = new Map<string, string>();
  if (q < 0) return out;
  for (const [k, v] of new URLSearchParams(path.slice(q + 1))) if (!out.has(k)) out.set(k, v);
  return out;
}

function matches(m: RouteMatch, input: MatchInput): boolean {
  const q = input.path.indexOf('?');
  let uri = q < 0 ? input.path : input.path.slice(0, q);
  if (m.ignoreUriCase) uri = uri.toLowerCase();
  if (m.uri && !test(m.uri, uri)) return false;
  if (m.method && !test(m.method, input.method)) return false;
  if (m.authority && !test(m.authority, input.authority)) return false;
  if (m.scheme && !test(m.scheme, input.scheme)) return false;
  for (const h of m.headers) if (!test(h.match, input.headers.get(h.name))) return false;
  for (const h of m.withoutHeaders) if (test(h.match, input.headers.get(h.name))) return false;
  if (m.queryParams.length > 0) {
    const qp = queryParams(input.path);
    for (const p of m.queryParams) if (!test(p.match, qp.get(p.name))) return false;
  }
  return true;
}

export function matchRoute(routes: readonly RouteConfig[], input: MatchInput): RouteConfig | undefined {
  for (const r of routes) {
    if (r.matches.length === 0 || r.matches.some((m) => matches(m, input))) return r;
  }
  return undefined;
}
