/**
 * Istio's protocol selection for a service port (istio.io "Protocol Selection"; pilot
 * pkg/config/protocol/instance.go Parse, pkg/config/kube/conversion.go ConvertProtocol): the
 * Service port's `appProtocol`, else its name's prefix before the first '-' (`grpc`, `grpc-web`,
 * `http2-api`), else a ServiceEntry port's `protocol`, case-insensitive. A `tcp` port (name
`tcp`/`tcp-*`, appProtocol `tcp`, ServiceEntry protocol `TCP`) is a tcp_proxy. Unnamed ports are
 * auto-detected in a cluster; the rehearsal treats them as HTTP/1.1, as detection finds for it.
 */
import type { IstioResources } from './resources.js';

export type PortProtocol = 'http' | 'http2' | 'grpc' | 'grpc-web' | 'https' | 'tcp' | 'tls' | 'udp' | 'other';

const KNOWN: Record<string, PortProtocol> = {
  http: 'http',
  http2: 'http2',
  grpc: 'grpc',
  'grpc-web': 'grpc-web',
  https: 'https',
  tcp: 'tcp',
  tls: 'tls',
  udp: 'udp',
};

function parse(s: string | undefined): PortProtocol | undefined {
  if (s === undefined || s === '') return undefined;
  return KNOWN[s.toLowerCase()] ?? 'other';
}

/** `grpc-web` is a protocol of its own; any other name is read up to its first '-'. */
function fromPortName(name: string | undefined): PortProtocol | undefined {
  if (name === undefined || name === '') return undefined;
  const n = name.toLowerCase();
  if (n === 'grpc-web' || n.startsWith('grpc-web-')) return 'grpc-web';
  const i = n.indexOf('-');
  const p = parse(i >= 0 ? n.slice(0, i) : n);
  return p === 'other' ? undefined : p;
}

/** The protocol Istio gives `port` of the resources' service; undefined when nothing names it (auto-detection). */
export function servicePortProtocol(res: IstioResources, port: number): PortProtocol | undefined {
  for (const svc of res.services ?? []) {
    for (const p of svc.spec.ports ?? []) {
      if (p.port !== port) continue;
      if (p.protocol === 'UDP') return 'udp';
      return parse(p.appProtocol) ?? fromPortName(p.name);
    }
  }
  for (const se of res.serviceEntries ?? []) {
    for (const p of se.spec.ports ?? []) if (p.number === port) return parse(p.protocol) ?? fromPortName(p.name);
  }
  return undefined;
}

/**
 * The port protocol with an override: `declared` (a tcp:// scenario target, `tripbench sidecar
 * -service-protocol`) stands for the port's name, so it wins over what the resources say.
 */
export function selectPortProtocol(res: IstioResources, port: number, declared?: PortProtocol): PortProtocol | undefined {
  return declared ?? servicePortProtocol(res, port);
}

/** The protocols `-service-protocol` takes, each what a port of that name gets. */
export const DECLARABLE_PROTOCOLS: readonly PortProtocol[] = ['http', 'http2', 'grpc', 'tcp'];

/** pilot's listener for the port: a TCP port is Envoy's tcp_proxy, not the HTTP connection manager. */
export function isTcpProxyProtocol(p: PortProtocol | undefined): boolean {
  return p === 'tcp';
}

/** Protocol::IsHTTP2: the cluster gets http2_protocol_options (HTTP/2 upstream). */
export function isHttp2Protocol(p: PortProtocol | undefined): boolean {
  return p === 'http2' || p === 'grpc' || p === 'grpc-web';
}
