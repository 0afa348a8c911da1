/**
 * Istio's names for what a mesh's resources describe: the outbound cluster a DestinationRule,
 * ServiceEntry, VirtualService or target URL stands for. One derivation for the sidecar emulator
 * (rehearsal) and for a scenario's checks against a real `--target` mesh (scenario), so both read
 * the same stats.
 */
import { urlPort } from '../shared/urlPort.js';

/** What a cluster name reads of a mesh resource: parsed rules and a scenario's YAML maps alike. */
export interface HostResource {
  kind: string;
  metadata?: { namespace?: string | undefined };
  spec: { host?: unknown; hosts?: unknown; ports?: unknown; http?: unknown };
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const record = (v: unknown): Record<string, unknown> | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);

/** ServiceEntry port protocols whose traffic is TLS the sidecar does not terminate (SNI routed). */
export const TLS_PROTOCOLS: ReadonlySet<string> = new Set(['HTTPS', 'TLS']);

/** A host outside the cluster's DNS: neither a short name nor `….svc[.cluster.local]`. */
export function isExternalHost(host: string): boolean {
  const h = host.toLowerCase();
  return h.includes('.') && !/\.svc(\.cluster\.local)?$/.test(h) && !/^[\d.]+$/.test(h) && h !== 'localhost';
}

/** A ServiceEntry's ports as Istio reads them (number, upper-case protocol). */
export function serviceEntryPorts(se: HostResource): Array<{ number: number; protocol: string }> {
  const out: Array<{ number: number; protocol: string }> = [];
  if (!Array.isArray(se.spec.ports)) return out;
  for (const p of se.spec.ports as unknown[]) {
    const r = record(p);
    if (typeof r?.number === 'number') out.push({ number: r.number, protocol: typeof r.protocol === 'string' ? r.protocol.toUpperCase() : '' });
  }
  return out;
}

/** The first HTTP route's destination of a VirtualService (host, port). */
function vsDestination(vs: HostResource | undefined): { host?: string; port?: number } {
  const http = Array.isArray(vs?.spec.http) ? (vs.spec.http as unknown[]) : [];
  const route = record(http[0])?.route;
  const dest = record(Array.isArray(route) ? (route[0] as unknown) : undefined)?.destination;
  const d = record(dest);
  const port = record(d?.port)?.number;
  return { ...(typeof d?.host === 'string' ? { host: d.host } : {}), ...(typeof port === 'number' ? { port } : {}) };
}

/**
 * The host and port of the one HTTP cluster, as pilot names it from the resources: the host of
 * the first DestinationRule, else of the first ServiceEntry, else the VirtualService's route
 * destination, else its first host, else `fallbackHost`; the port given, else the route
 * destination's, else the ServiceEntry's first plain (non-TLS) port for that host, else 80 for an
 * outside host and 8000 (the httpbin sample Service's port) for a mesh one.
 */
export function clusterHostPort(mesh: readonly HostResource[], port?: number, fallbackHost = 'httpbin'): { fqdn: string; host: string; port: number } {
  const dr = mesh.find((r) => r.kind === 'DestinationRule');
  const se = mesh.find((r) => r.kind === 'ServiceEntry');
  const vs = mesh.find((r) => r.kind === 'VirtualService');
  const dest = vsDestination(vs);
  let host = fallbackHost;
  let ns: string | undefined;
  const pick = (h: unknown, r: HostResource | undefined): boolean => {
    if (typeof h !== 'string' || h === '') return false;
    host = h;
    ns = r?.metadata?.namespace;
    return true;
  };
  void (pick(dr?.spec.host, dr) || pick(strings(se?.spec.hosts)[0], se) || pick(dest.host, vs) || pick(strings(vs?.spec.hosts)[0], vs));
  let p = port;
  if (p === undefined && dest.port !== undefined && dest.host === host) p = dest.port;
  if (p === undefined) {
    const owner = mesh.find((r) => r.kind === 'ServiceEntry' && strings(r.spec.hosts).includes(host));
    const ports = owner ? serviceEntryPorts(owner) : [];
    p = (ports.find((x) => !TLS_PROTOCOLS.has(x.protocol)) ?? ports[0])?.number;
  }
  p ??= isExternalHost(host) ? 80 : 8000;
  const fqdn = host.includes('.') ? host : `${host}.${ns ?? 'default'}.svc.cluster.local`;
  return { fqdn, host, port: p };
}

/**
 * Istio's outbound cluster name `outbound|<port>||<fqdn>`, e.g. `outbound|80||httpbin.org` for a
 * VirtualService on httpbin.org or `outbound|8000||httpbin.default.svc.cluster.local`; a short
 * name (no dot) is completed with its resource's namespace, as Istio does (see clusterHostPort).
 */
export function defaultClusterName(mesh: readonly HostResource[], port?: number, fallbackHost = 'httpbin'): string {
  const c = clusterHostPort(mesh, port, fallbackHost);
  return `outbound|${c.port}||${c.fqdn}`;
}

/** The cluster a target URL reaches through this mesh (the URL's host when no rule names one); undefined for a bad URL. */
export function targetClusterName(target: string, mesh: readonly HostResource[]): string | undefined {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return undefined;
  }
  return defaultClusterName(mesh, urlPort(url), url.hostname);
}
