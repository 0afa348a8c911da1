/**
 * Istio's names for what a mesh's resources describe: the outbound cluster a DestinationRule,
 * ServiceEntry or target URL stands for. One derivation for the sidecar emulator (rehearsal) and
 * for a scenario's checks against a real `--target` mesh (scenario), so both read the same stats.
 */
import { urlPort } from '../shared/urlPort.js';

/** What a cluster name reads of a mesh resource: parsed rules and a scenario's YAML maps alike. */
export interface HostResource {
  kind: string;
  metadata?: { namespace?: string | undefined };
  spec: { host?: unknown; hosts?: unknown };
}

/**
 * Istio's outbound cluster name `outbound|<port>||<fqdn>`, e.g.
 * `outbound|8000||httpbin.default.svc.cluster.local`: the host of the first DestinationRule, else
 * of the first ServiceEntry, else `fallbackHost`; a short name (no dot) is completed with its
 * resource's namespace, as Istio does.
 */
export function defaultClusterName(mesh: readonly HostResource[], port: number, fallbackHost = 'httpbin'): string {
  const dr = mesh.find((r) => r.kind === 'DestinationRule');
  const se = mesh.find((r) => r.kind === 'ServiceEntry');
  const seHost = Array.isArray(se?.spec.hosts) ? (se.spec.hosts[0] as unknown) : undefined;
  let host = fallbackHost;
  let ns: string | undefined;
  if (typeof dr?.spec.host === 'string') {
    host = dr.spec.host;
    ns = dr.metadata?.namespace;
  } else if (typeof seHost === 'string') {
    host = seHost;
    ns = se?.metadata?.namespace;
  }
  const fqdn = host.includes('.') ? host : `${host}.${ns ?? 'default'}.svc.cluster.local`;
  return `outbound|${port}||${fqdn}`;
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
