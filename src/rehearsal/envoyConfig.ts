/**
 * The Envoy-side configuration the emulator runs on: what pilot would have pushed for one
 * outbound cluster and its HTTP routes. Times are milliseconds; 0 means "none" where noted.
 */
import type { PortProtocol } from '../istio/protocol.js';
import type { Re2Matcher } from '../istio/re2.js';
import type { Behaviour, EjectionRule, MeshVersion } from './versions.js';

/** Envoy's own threshold defaults (what a pre-1.5 Istio left in place, and always the HIGH priority). */
export const ENVOY_DEFAULT_THRESHOLDS: Thresholds = {
  maxConnections: 1024,
  maxPendingRequests: 1024,
  maxRequests: 1024,
  maxRetries: 3,
};

/** Envoy's outlier detection defaults (current Envoy: capped, decaying ejection multiplier). */
export const ENVOY_DEFAULT_OUTLIER: Readonly<OutlierConfig> = Object.freeze({
  consecutive5xx: 5,
  enforcingConsecutive5xx: 100,
  consecutiveGatewayFailure: 5,
  enforcingConsecutiveGatewayFailure: 0,
  consecutiveLocalOriginFailure: 5,
  enforcingConsecutiveLocalOriginFailure: 100,
  splitExternalLocalOriginErrors: false,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionPercent: 10,
  maxEjectionTimeMs: 300_000,
  legacyBackoff: false,
  ejectionRule: 'after-le',
});

/** Istio >= 1.5 starts every DEFAULT threshold from "unlimited". */
export const UNLIMITED = 4294967295;

export interface Thresholds {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  maxRetries: number;
}

export interface OutlierConfig {
  consecutive5xx: number;
  enforcingConsecutive5xx: number;
  consecutiveGatewayFailure: number;
  enforcingConsecutiveGatewayFailure: number;
  consecutiveLocalOriginFailure: number;
  enforcingConsecutiveLocalOriginFailure: number;
  splitExternalLocalOriginErrors: boolean;
  intervalMs: number;
  baseEjectionTimeMs: number;
  maxEjectionPercent: number;
  /** cap on base × multiplier (Envoy >= 1.17); ignored when legacyBackoff */
  maxEjectionTimeMs: number;
  /** old Envoy: multiplier = number of ejections, never decremented, uncapped */
  legacyBackoff: boolean;
  /** how max_ejection_percent is checked in this Envoy */
  ejectionRule: EjectionRule;
}

export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM';

export interface ClusterConfig {
  name: string;
  /** the name in stat names (Istio >= 1.23 sets alt_stat_name = name + ";") */
  statName: string;
  /** the version-dependent behaviours of this cluster's Envoy and pilot */
  behaviour: Behaviour;
  /**
   * a ServiceEntry outside the mesh: no server-side sidecar consumes the metadata exchange
   * headers, so the upstream sees them (in the mesh the server's sidecar strips them)
   */
  meshExternal?: boolean;
  connectTimeoutMs: number;
  thresholds: Thresholds;
  highThresholds: Thresholds;
  /** 0 = unlimited */
  maxRequestsPerConnection: number;
  /** the upstream speaks HTTP/2 (Istio writes http2_protocol_options: grpc/http2 port, or h2UpgradePolicy UPGRADE) */
  http2?: boolean | undefined;
  /** http2_protocol_options.max_concurrent_streams; 0 = Envoy's default (2^31 − 1) */
  maxConcurrentStreams: number;
  /** upstream connection idle timeout; 0 = none */
  idleTimeoutMs: number;
  /** 0 = none */
  maxConnectionDurationMs: number;
  lbPolicy: LbPolicy;
  outlier: OutlierConfig | undefined;
  /** percent; 0 disables panic mode */
  healthyPanicThreshold: number;
  /** TLS origination (DestinationRule tls SIMPLE): SNI sent and the CA trusted (PEM; undefined = Node's roots) */
  tls?: { sni: string; caPem?: string };
}

export type StringMatcher = { exact: string } | { prefix: string } | { regex: Re2Matcher };

export interface RouteMatch {
  uri?: StringMatcher;
  method?: StringMatcher;
  authority?: StringMatcher;
  scheme?: StringMatcher;
  headers: Array<{ name: string; match: StringMatcher }>;
  withoutHeaders: Array<{ name: string; match: StringMatcher }>;
  queryParams: Array<{ name: string; match: StringMatcher }>;
  ignoreUriCase: boolean;
}

export interface RetryPolicy {
  numRetries: number;
  /** Envoy retry_on policies, e.g. connect-failure, 5xx, gateway-error, reset, retriable-status-codes */
  retryOn: Set<string>;
  retriableStatusCodes: Set<number>;
  /** 0 = none (the route timeout bounds the attempt) */
  perTryTimeoutMs: number;
  /** previous_hosts retry predicate */
  avoidPreviousHosts: boolean;
  hostSelectionMaxAttempts: number;
  baseIntervalMs: number;
  maxIntervalMs: number;
}

export interface FaultConfig {
  delay?: { fixedDelayMs: number; percent: number };
  abort?: { httpStatus: number; percent: number };
}

export interface RouteConfig {
  name: string;
  /** %ROUTE_NAME% (Istio: the VirtualService route's name, "default" for a service's own route; undefined = none) */
  logName?: string;
  /** any of these matches (an empty list matches everything) */
  matches: RouteMatch[];
  /** 0 = disabled (Istio's default) */
  timeoutMs: number;
  retry: RetryPolicy | undefined;
  fault: FaultConfig | undefined;
}

/** meshConfig / Sidecar `outboundTrafficPolicy.mode`: where a host outside the registry goes. */
export type OutboundTrafficPolicy = 'ALLOW_ANY' | 'REGISTRY_ONLY';
export const OUTBOUND_TRAFFIC_POLICIES: readonly OutboundTrafficPolicy[] = ['REGISTRY_ONLY', 'ALLOW_ANY'];

/** A TLS port of a ServiceEntry: the SNI filter chain pilot writes for it (tcp_proxy to its cluster). */
export interface TlsPassthrough {
  /** the SNI names the chain matches (the ServiceEntry's hosts; `*.x` wildcards as suffixes) */
  sniHosts: string[];
  port: number;
  /** `outbound|<port>||<host>` */
  clusterName: string;
  /** the name in stat names (alt_stat_name from Istio 1.23) */
  statName: string;
}

/** A DestinationRule `tls: { mode: SIMPLE }` on the cluster: the sidecar opens TLS upstream. */
export interface TlsOrigination {
  /** the SNI sent upstream (`tls.sni`, else the DestinationRule host) */
  sni: string;
}

export interface SidecarConfig {
  /** the Istio/Envoy pair emulated */
  version: MeshVersion;
  cluster: ClusterConfig;
  /** the port of the cluster's service (listener stat prefix `outbound_0.0.0.0_<port>`) */
  servicePort: number;
  /**
   * that port's protocol as Istio selects it (Service port name/appProtocol, ServiceEntry
   * protocol, or declared); undefined = auto-detected. `tcp`: the listener is a tcp_proxy to the
   * cluster, not the HTTP connection manager (isTcpProxyProtocol).
   */
  servicePortProtocol?: PortProtocol | undefined;
  /** unknown outside hosts: BlackHoleCluster (REGISTRY_ONLY) or PassthroughCluster (ALLOW_ANY) */
  outboundPolicy: OutboundTrafficPolicy;
  /** where outboundPolicy came from, for messages: "Sidecar default", "mesh", "Istio 1.30 default" */
  outboundPolicySource: string;
  /** the hosts the registry knows for HTTP (ServiceEntry, VirtualService and DestinationRule hosts), lowercase */
  registeredHosts: string[];
  /** SNI filter chains, one per ServiceEntry TLS/HTTPS port */
  tlsPassthrough: TlsPassthrough[];
  tlsOrigination?: TlsOrigination;
  routes: RouteConfig[];
  /** the VirtualService's domains and the service's default routes for any other authority (none without a VirtualService) */
  virtualHost?: { domains: string[]; fallback: RouteConfig[] };
  /** things the resources asked for that the emulator does not model (printed as warnings) */
  warnings: string[];
}
