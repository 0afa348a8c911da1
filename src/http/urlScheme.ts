/**
 * Which URLs tripbench sends load to, decided here only. fortio's URLSchemeCheck prepends
 * `http://` to anything that does not start with http(s)://, so `ftp://h:21/x` became host `ftp`
 * port 80; here only a URL without any `scheme://` gets `http://` (fortio's "Assuming http://"),
 * and any other scheme is refused by name. tcp:// and udp:// are fortio's echo load modes
 * (cli/fortio_main.go dispatches on these prefixes): `tripbench load` runs them (src/netload/),
 * HTTP-only paths (curl, scenarios) refuse them by name; grpc is a fortio mode tripbench may add
 * later: "not supported yet" rather than "unknown".
 */
import { UsageError } from '../shared/errors.js';

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const FORTIO_MODES: Readonly<Record<string, string>> = { tcp: 'TCP', udp: 'UDP', grpc: 'gRPC', grpcs: 'gRPC' };

/** The scheme written before `://`, lowercased; undefined when there is none. */
export function explicitScheme(url: string): string | undefined {
  return SCHEME.exec(url)?.[1]?.toLowerCase();
}

/** 'tcp' or 'udp' for fortio's echo load modes (tcprunner.TCPURLPrefix, udprunner.UDPURLPrefix), else undefined. */
export function netScheme(url: string): 'tcp' | 'udp' | undefined {
  const s = explicitScheme(url);
  return s === 'tcp' || s === 'udp' ? s : undefined;
}

/** Why tripbench will not send HTTP load to `url`'s scheme, or undefined for http, https and no scheme. */
export function schemeProblem(url: string): string | undefined {
  const s = explicitScheme(url);
  if (s === undefined || s === 'http' || s === 'https') return undefined;
  const mode = FORTIO_MODES[s];
  if (netScheme(url) !== undefined) return `${s}:// (fortio's ${mode} mode) is run by \`tripbench load ${s}://host:port\` only; this sends HTTP load to http:// and https:// URLs`;
  if (mode !== undefined) return `${s}:// (fortio's ${mode} mode) is not supported yet; tripbench sends HTTP load to http:// and https:// URLs`;
  return `unsupported scheme "${s}" in '${url}': tripbench sends HTTP load to http:// and https:// URLs`;
}

export interface SchemedUrl {
  url: string;
  /** fortio's warning when `http://` was added. */
  warning?: string;
}

/**
 * The URL with its scheme: http(s), tcp and udp kept (a load's options carry them to the one
 * dispatch in cli/load.ts), none → `http://` (with fortio's warning), anything else a UsageError.
 */
export function withScheme(url: string): SchemedUrl {
  if (netScheme(url) !== undefined) return { url };
  const p = schemeProblem(url);
  if (p !== undefined) throw new UsageError(p);
  if (explicitScheme(url) !== undefined) return { url };
  return { url: `http://${url}`, warning: `Assuming http:// on missing scheme for '${url}'` };
}
