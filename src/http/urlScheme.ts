/**
 * Which URLs tripbench sends load to, decided here only. fortio's URLSchemeCheck prepends
 * `http://` to anything that does not start with http(s)://, so `ftp://h:21/x` became host `ftp`
 * port 80; here only a URL without any `scheme://` gets `http://` (fortio's "Assuming http://"),
 * and any other scheme is refused by name. tcp://, udp:// and grpc are fortio modes tripbench
 * may add later: they get "not supported yet" rather than "unknown".
 */
import { UsageError } from '../shared/errors.js';

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const FORTIO_MODES: Readonly<Record<string, string>> = { tcp: 'TCP', udp: 'UDP', grpc: 'gRPC', grpcs: 'gRPC' };

/** The scheme written before `://`, lowercased; undefined when there is none. */
export function explicitScheme(url: string): string | undefined {
  return SCHEME.exec(url)?.[1]?.toLowerCase();
}

/** Why tripbench will not load `url`'s scheme, or undefined for http, https and no scheme. */
export function schemeProblem(url: string): string | undefined {
  const s = explicitScheme(url);
  if (s === undefined || s === 'http' || s === 'https') return undefined;
  const mode = FORTIO_MODES[s];
  if (mode !== undefined) return `${s}:// (fortio's ${mode} mode) is not supported yet; tripbench sends HTTP load to http:// and https:// URLs`;
  return `unsupported scheme "${s}" in '${url}': tripbench sends HTTP load to http:// and https:// URLs`;
}

export interface SchemedUrl {
  url: string;
  /** fortio's warning when `http://` was added. */
  warning?: string;
}

/** The URL with its scheme: http(s) kept, none → `http://` (with fortio's warning), anything else a UsageError. */
export function withScheme(url: string): SchemedUrl {
  const p = schemeProblem(url);
  if (p !== undefined) throw new UsageError(p);
  if (explicitScheme(url) !== undefined) return { url };
  return { url: `http://${url}`, warning: `Assuming http:// on missing scheme for '${url}'` };
}
