/**
 * Where an outbound HTTP request goes before any route is matched: a host the registry knows (the
 * service, a ServiceEntry, a VirtualService or DestinationRule host) takes the cluster's virtual
 * hosts; any other host takes Istio's catch-all virtual host, `block_all` (REGISTRY_ONLY: a direct
 * 502, pilot's BuildCatchAllVirtualHost) or `allow_any` (ALLOW_ANY: a route to PassthroughCluster,
 * the original destination — here the rehearsal's upstream, which stands in for every outside host).
 */
import type { Rng } from '../shared/random.js';
import { Cluster } from './cluster.js';
import type { ClusterConfig, OutboundTrafficPolicy, RouteConfig, SidecarConfig } from './envoyConfig.js';
import { authorityMatches, virtualHostDomains } from './envoyHeaders.js';
import type { LocalReply } from './localReply.js';
import { Router } from './router.js';
import type { DownstreamRequest, DownstreamResponder } from './router.js';
import type { StatStore } from './stats.js';

export const BLACK_HOLE_CLUSTER = 'BlackHoleCluster';
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';

/** Envoy's direct response on the block_all route: 502, no body. */
export const BLOCK_ALL: LocalReply = { status: 502, body: '', flag: '', headers: {}, details: 'direct_response' };

/** A host the cluster's DNS would answer: a short name, `….svc[.cluster.local]`, an IP or localhost (the app calling the emulator's own address). */
function inMesh(host: string): boolean {
  return !host.includes('.') || /\.svc(\.cluster\.local)?$/.test(host) || /^[\d.]+$/.test(host) || host.startsWith('[');
}

/** The host part of an authority, lowercase, without the port. */
export function authorityHost(authority: string): string {
  const a = authority.toLowerCase().trim();
  if (a.startsWith('[')) return a.slice(0, a.indexOf(']') + 1);
  const i = a.lastIndexOf(':');
  return i >= 0 ? a.slice(0, i) : a;
}

/** Whether pilot has a virtual host for this authority (or it is an in-mesh name the registry holds as a Kubernetes Service). */
export function isRegistered(domains: readonly string[], authority: string): boolean {
  const h = authorityHost(authority);
  return h === '' || inMesh(h) || authorityMatches(domains, authority);
}

export interface OutboundOptions {
  config: SidecarConfig;
  /** the service's cluster and router */
  router: Router;
  endpoints: ReadonlyArray<{ address: string; port: number }>;
  lanes: number;
  store: StatStore;
  rng: Rng;
  httpPrefix: string;
  hopLatencyMs: () => number;
}

/** Istio's PassthroughCluster: built by pilot apart from the services (no alt_stat_name), Envoy's defaults otherwise. */
function passthroughConfig(base: ClusterConfig): ClusterConfig {
  return { ...base, name: PASSTHROUGH_CLUSTER, statName: PASSTHROUGH_CLUSTER, outlier: undefined, maxRequestsPerConnection: 0, healthyPanicThreshold: 50 };
}

const ALLOW_ANY_ROUTE: RouteConfig = { name: 'allow_any', logName: 'allow_any', matches: [], timeoutMs: 0, retry: undefined, fault: undefined };

export class OutboundHttp {
  readonly policy: OutboundTrafficPolicy;
  readonly passthrough: Cluster | undefined;
  private readonly passthroughRouter: Router | undefined;
  private readonly domains: string[];

  constructor(private readonly o: OutboundOptions) {
    this.policy = o.config.outboundPolicy;
    this.domains = virtualHostDomains(o.config.registeredHosts, 'default', o.config.servicePort);
    if (this.policy === 'ALLOW_ANY') {
      this.passthrough = new Cluster({
        config: passthroughConfig(o.router.cluster.config),
        endpoints: o.endpoints,
        lanes: o.lanes,
        store: o.store,
        rng: o.rng,
        handshakeMs: () => 0,
      });
      this.passthroughRouter = new Router(this.passthrough, [ALLOW_ANY_ROUTE], o.rng, o.store, o.httpPrefix, o.hopLatencyMs);
    }
  }

  handle(req: DownstreamRequest, res: DownstreamResponder): void {
    let authority = '';
    for (const [k, v] of req.headers) {
      if (k.toLowerCase() === 'host') {
        authority = v;
        break;
      }
    }
    if (isRegistered(this.domains, authority)) {
      this.o.router.handle(req, res);
      return;
    }
    if (this.passthroughRouter) {
      this.passthroughRouter.handle(req, res);
      return;
    }
    res.log.routeName = 'block_all';
    res.localReply(BLOCK_ALL);
  }

  start(): void {
    this.passthrough?.start();
  }

  close(): void {
    this.passthrough?.close();
  }
}
