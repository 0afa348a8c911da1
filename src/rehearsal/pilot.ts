/**
 * Istio DestinationRule / VirtualService → the Envoy settings pilot would push for one outbound
 * cluster, including the version-dependent parts (envoy-circuit-breaking.md §1, §2.8):
 * thresholds default to Envoy's 1024/1024/1024/3 before Istio 1.5 and to 2^32−1 after, a DR
 * value of 0 means "unset", and the deprecated `consecutiveErrors` maps as the selected
 * Istio version mapped it.
 */
import { parseGoDuration } from '../shared/duration.js';
import { compileRe2 } from '../istio/re2.js';
import { clusterHostPort, defaultClusterName, serviceEntryPorts, TLS_PROTOCOLS } from '../istio/naming.js';
import type { HostResource } from '../istio/naming.js';
import { ENVOY_DEFAULT_OUTLIER, ENVOY_DEFAULT_THRESHOLDS, UNLIMITED } from './envoyConfig.js';
import type {
  ClusterConfig,
  FaultConfig,
  LbPolicy,
  OutlierConfig,
  RetryPolicy,
  RouteConfig,
  RouteMatch,
  OutboundTrafficPolicy,
  SidecarConfig,
  StringMatcher,
  Thresholds,
  TlsOrigination,
  TlsPassthrough,
} from './envoyConfig.js';
import { virtualHostDomains } from './envoyHeaders.js';
import { isHttp2Protocol, selectPortProtocol } from '../istio/protocol.js';
import type { PortProtocol } from '../istio/protocol.js';
import { IstioConfigError, loadIstioResources } from '../istio/resources.js';
import type { DestinationRule, HttpRoute, IstioResources, Percent, ServiceEntry, SourceText, StringMatch, TrafficPolicy, VirtualService } from '../istio/resources.js';
import { behaviourOf, DEFAULT_ISTIO_VERSION, meshVersion, NEWEST_ISTIO_MINOR, parseEnvoyMinor, parseIstioMinor } from './versions.js';
import type { Behaviour, MeshVersion } from './versions.js';

// ---- Istio version ----

/** The release pair being emulated (versions.ts holds the table). */
export type IstioVersion = MeshVersion;

export const CURRENT_ISTIO: IstioVersion = meshVersion(NEWEST_ISTIO_MINOR);
export { DEFAULT_ISTIO_VERSION };

/** `-istio-version` (1.N, 1.N.P, current) and the optional `-envoy-version` override; undefined if either is unreadable. */
export function parseIstioVersion(s: string, envoy?: string): IstioVersion | undefined {
  const i = parseIstioMinor(s);
  if (i === undefined) return undefined;
  if (envoy === undefined || envoy.trim() === '') return meshVersion(i);
  const e = parseEnvoyMinor(envoy);
  return e === undefined ? undefined : meshVersion(i, e);
}

// ---- mapping ----

const ms = (d: string | undefined): number | undefined => {
  if (d === undefined) return undefined;
  const ns = parseGoDuration(d);
  return ns === undefined ? undefined : ns / 1e6;
};

function thresholds(tp: TrafficPolicy | undefined, b: Behaviour): Thresholds {
  const base = b.thresholdsUnlimited
    ? { maxConnections: UNLIMITED, maxPendingRequests: UNLIMITED, maxRequests: UNLIMITED, maxRetries: UNLIMITED }
    : { ...ENVOY_DEFAULT_THRESHOLDS, ...(b.maxRetries1024 ? { maxRetries: 1024 } : {}) };
  const cp = tp?.connectionPool;
  // Istio cannot express a limit of 0: only values > 0 override.
  const set = (x: number | undefined, fallback: number): number => (x !== undefined && x > 0 ? x : fallback);
  return {
    maxConnections: set(cp?.tcp?.maxConnections, base.maxConnections),
    maxPendingRequests: set(cp?.http?.http1MaxPendingRequests, base.maxPendingRequests),
    maxRequests: set(cp?.http?.http2MaxRequests, base.maxRequests),
    maxRetries: set(cp?.http?.maxRetries, base.maxRetries),
  };
}

function outlier(od: NonNullable<TrafficPolicy['outlierDetection']>, v: IstioVersion, b: Behaviour, warnings: string[]): OutlierConfig {
  // Envoy's defaults where Istio leaves a field unset.
  const d = ENVOY_DEFAULT_OUTLIER;
  const out: OutlierConfig = {
    ...d,
    intervalMs: ms(od.interval) ?? d.intervalMs,
    baseEjectionTimeMs: ms(od.baseEjectionTime) ?? d.baseEjectionTimeMs,
    maxEjectionPercent: od.maxEjectionPercent !== undefined && od.maxEjectionPercent > 0 ? od.maxEjectionPercent : d.maxEjectionPercent,
    legacyBackoff: b.legacyBackoff,
    ejectionRule: b.ejectionRule,
  };
  out.maxEjectionTimeMs = Math.max(d.maxEjectionTimeMs, out.baseEjectionTimeMs);
  const ce = od.consecutiveErrors;
  if (ce !== undefined && ce > 0) {
    if (b.consecutiveErrors === '5xx') {
      out.consecutive5xx = ce;
    } else if (b.consecutiveErrors === 'gateway') {
      // istio/api#617: only gateway errors count, plain 5xx never eject.
      out.consecutiveGatewayFailure = ce;
      out.enforcingConsecutiveGatewayFailure = 100;
      out.enforcingConsecutive5xx = 0;
    } else {
      warnings.push(`outlierDetection.consecutiveErrors is ignored by Istio ${v.istio.label} pilot (use consecutive5xxErrors); Envoy defaults apply`);
    }
  }
  if (od.consecutive5xxErrors !== undefined) {
    out.consecutive5xx = od.consecutive5xxErrors;
    out.enforcingConsecutive5xx = od.consecutive5xxErrors > 0 ? 100 : 0;
  }
  if (od.consecutiveGatewayErrors !== undefined) {
    out.consecutiveGatewayFailure = od.consecutiveGatewayErrors;
    out.enforcingConsecutiveGatewayFailure = od.consecutiveGatewayErrors > 0 ? 100 : 0;
  }
  if (od.splitExternalLocalOriginErrors) {
    out.splitExternalLocalOriginErrors = true;
    const lo = od.consecutiveLocalOriginFailures;
    if (lo !== undefined && lo > 0) out.consecutiveLocalOriginFailure = lo;
  }
  return out;
}

function lbPolicy(tp: TrafficPolicy | undefined, b: Behaviour, warnings: string[]): LbPolicy {
  const simple = tp?.loadBalancer?.simple;
  if (tp?.loadBalancer?.consistentHash !== undefined) warnings.push('loadBalancer.consistentHash is not modelled; using round robin');
  switch (simple) {
    case 'LEAST_CONN':
    case 'LEAST_REQUEST':
      return 'LEAST_REQUEST';
    case 'RANDOM':
      return 'RANDOM';
    case 'ROUND_ROBIN':
      return 'ROUND_ROBIN';
    case 'PASSTHROUGH':
      warnings.push('loadBalancer PASSTHROUGH is not modelled; using round robin over the -upstream endpoints');
      return 'ROUND_ROBIN';
    default:
      return b.defaultLeastRequest ? 'LEAST_REQUEST' : 'ROUND_ROBIN';
  }
}

/**
 * Whether pilot makes the cluster HTTP/2 (cluster_builder.go setUpstreamProtocol): a grpc/http2
 * port always; an HTTP (or not yet detected) port when the DR says h2UpgradePolicy UPGRADE
 * (the mesh default DO_NOT_UPGRADE is assumed, §1.1).
 */
function upstreamHttp2(protocol: PortProtocol | undefined, http: { h2UpgradePolicy?: string } | undefined, b: Behaviour): boolean {
  if (isHttp2Protocol(protocol)) return true;
  if (protocol !== undefined && protocol !== 'http') return false;
  return b.h2UpgradePolicy && http?.h2UpgradePolicy === 'UPGRADE';
}

export function clusterConfig(dr: DestinationRule | undefined, name: string, v: IstioVersion, warnings: string[], protocol?: PortProtocol): ClusterConfig {
  const b = behaviourOf(v);
  const tp = dr?.spec.trafficPolicy;
  const http = tp?.connectionPool?.http;
  const tcp = tp?.connectionPool?.tcp;
  if (dr?.spec.subsets?.length) warnings.push('DestinationRule subsets are not modelled; the top-level trafficPolicy applies to every endpoint');
  if (tp?.portLevelSettings?.some((x) => Object.keys(x as object).some((k) => k !== 'port' && k !== 'tls'))) warnings.push('trafficPolicy.portLevelSettings are not modelled (only their tls)');
  if (http?.useClientProtocol) warnings.push('http.useClientProtocol is not modelled; the upstream protocol follows the port and h2UpgradePolicy');
  const http2 = upstreamHttp2(protocol, http, b);
  if (http?.maxConcurrentStreams !== undefined && !http2) warnings.push('http.maxConcurrentStreams applies to HTTP/2 clusters only (a grpc/http2 port or h2UpgradePolicy UPGRADE); ignored');
  if (http?.maxConcurrentStreams !== undefined && http2 && !b.maxConcurrentStreamsField) warnings.push(`http.maxConcurrentStreams is read by pilot from Istio 1.21; Istio ${v.istio.label} ignores it`);
  if (tp?.tls?.mode === 'MUTUAL') warnings.push('tls.mode MUTUAL is not modelled (SIMPLE is: TLS origination); only the -mtls-handshake delay is');
  const od = tp?.outlierDetection;
  const out = od ? outlier(od, v, b, warnings) : undefined;
  let panic = 50; // Envoy's default healthy_panic_threshold
  if (od) {
    const mhp = od.minHealthPercent ?? 0;
    // 1.1-1.2 pilot only overrode it when > 0; from 1.3 it is always written, so 0 turns panic mode off.
    if (b.panicThresholdAlwaysWritten || mhp > 0) panic = mhp;
  }
  return {
    name,
    statName: b.statNameSemicolon ? `${name};` : name,
    behaviour: b,
    connectTimeoutMs: ms(tcp?.connectTimeout) ?? 10_000,
    thresholds: thresholds(tp, b),
    highThresholds: { ...ENVOY_DEFAULT_THRESHOLDS },
    maxRequestsPerConnection: http?.maxRequestsPerConnection ?? 0,
    http2,
    maxConcurrentStreams: http2 && b.maxConcurrentStreamsField ? (http?.maxConcurrentStreams ?? 0) : 0,
    idleTimeoutMs: ms(http?.idleTimeout) ?? ms(tcp?.idleTimeout) ?? 3_600_000,
    maxConnectionDurationMs: ms(tcp?.maxConnectionDuration) ?? 0,
    lbPolicy: lbPolicy(tp, b, warnings),
    outlier: out,
    healthyPanicThreshold: panic,
  };
}

const DEFAULT_RETRY_ON = ['connect-failure', 'refused-stream', 'unavailable', 'cancelled'];

/** Istio's default outbound retry policy (route/retry/retry.go): 503 is retriable through 1.23 only. */
export function defaultRetryPolicy(retry503 = true): RetryPolicy {
  return {
    numRetries: 2,
    retryOn: new Set(retry503 ? [...DEFAULT_RETRY_ON, 'retriable-status-codes'] : DEFAULT_RETRY_ON),
    retriableStatusCodes: new Set(retry503 ? [503] : []),
    perTryTimeoutMs: 0,
    avoidPreviousHosts: true,
    hostSelectionMaxAttempts: 5,
    baseIntervalMs: 25,
    maxIntervalMs: 250,
  };
}

function retryPolicy(r: HttpRoute['retries'], v: IstioVersion): RetryPolicy | undefined {
  const b = behaviourOf(v);
  if (r === undefined) return v.istio.minor >= 1 ? defaultRetryPolicy(b.defaultRetry503) : undefined;
  const attempts = r.attempts ?? 0;
  if (attempts <= 0) return undefined;
  const p = defaultRetryPolicy(b.defaultRetry503);
  p.numRetries = attempts;
  if (r.retryOn !== undefined && r.retryOn.trim() !== '') {
    p.retryOn = new Set();
    p.retriableStatusCodes = new Set();
    for (const part of r.retryOn.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
      if (/^\d{3}$/.test(part)) p.retriableStatusCodes.add(Number(part));
      else p.retryOn.add(part);
    }
    if (p.retriableStatusCodes.size > 0) p.retryOn.add('retriable-status-codes');
  }
  p.perTryTimeoutMs = ms(r.perTryTimeout) ?? 0;
  return p;
}

function matcher(m: StringMatch | undefined, ignoreCase = false): StringMatcher | undefined {
  if (!m) return undefined;
  if (m.exact !== undefined) return { exact: ignoreCase ? m.exact.toLowerCase() : m.exact };
  if (m.prefix !== undefined) return { prefix: ignoreCase ? m.prefix.toLowerCase() : m.prefix };
  if (m.regex !== undefined) return { regex: compileRe2(m.regex, ignoreCase) };
  return undefined;
}

function namedMatchers(rec: Record<string, StringMatch> | undefined, lower: boolean): Array<{ name: string; match: StringMatcher }> {
  const out: Array<{ name: string; match: StringMatcher }> = [];
  for (const [name, m] of Object.entries(rec ?? {})) {
    const sm = matcher(m);
    if (sm) out.push({ name: lower ? name.toLowerCase() : name, match: sm });
  }
  return out;
}

const pct = (p: Percent | undefined, legacy: number | undefined): number => p?.value ?? legacy ?? 0;

function fault(f: HttpRoute['fault'], where: string, warnings: string[]): FaultConfig | undefined {
  if (!f) return undefined;
  const out: FaultConfig = {};
  if (f.delay) {
    if (f.delay.exponentialDelay !== undefined) warnings.push(`${where}.fault.delay.exponentialDelay is not modelled`);
    if (f.delay.percentage === undefined && f.delay.percent === undefined) warnings.push(`${where}.fault.delay has no percentage: Envoy injects it into 0 % of requests`);
    out.delay = { fixedDelayMs: ms(f.delay.fixedDelay) ?? 0, percent: pct(f.delay.percentage, f.delay.percent) };
  }
  if (f.abort) {
    if (f.abort.httpStatus === undefined) warnings.push(`${where}.fault.abort without httpStatus (gRPC/HTTP2 aborts) is not modelled`);
    if (f.abort.percentage === undefined && f.abort.percent === undefined) warnings.push(`${where}.fault.abort has no percentage: Envoy aborts 0 % of requests`);
    if (f.abort.httpStatus !== undefined) out.abort = { httpStatus: f.abort.httpStatus, percent: pct(f.abort.percentage, f.abort.percent) };
  }
  return out;
}

const IGNORED_ROUTE_FIELDS = ['redirect', 'directResponse', 'delegate', 'rewrite', 'mirror', 'mirrors', 'mirrorPercent', 'mirrorPercentage', 'mirror_percent', 'corsPolicy', 'headers'];
const IGNORED_MATCH_FIELDS = ['sourceLabels', 'gateways', 'port', 'sourceNamespace'];

export function routeConfigs(vs: VirtualService | undefined, v: IstioVersion, warnings: string[]): RouteConfig[] {
  const http = vs?.spec.http;
  if (!vs || !http || http.length === 0) {
    if (vs?.spec.tcp?.length) warnings.push('VirtualService tcp routes are not modelled');
    return [{ name: 'default', logName: 'default', matches: [], timeoutMs: 0, retry: retryPolicy(undefined, v), fault: undefined }];
  }
  if (vs.spec.tcp?.length) warnings.push('VirtualService tcp routes are not modelled');
  return http.map((r, i) => {
    const where = `spec.http[${i}]`;
    for (const f of IGNORED_ROUTE_FIELDS) if (r[f] !== undefined) warnings.push(`${where}.${f} is not modelled`);
    if ((r.route?.length ?? 0) > 1) warnings.push(`${where}.route has several destinations; all go to the one emulated cluster`);
    if (r.retries?.retryRemoteLocalities !== undefined) warnings.push(`${where}.retries.retryRemoteLocalities is not modelled`);
    const matches: RouteMatch[] = (r.match ?? []).map((m, j) => {
      for (const f of IGNORED_MATCH_FIELDS) if (m[f] !== undefined) warnings.push(`${where}.match[${j}].${f} is not modelled (treated as matching)`);
      const ic = m.ignoreUriCase === true;
      const rm: RouteMatch = {
        headers: namedMatchers(m.headers, true),
        withoutHeaders: namedMatchers(m.withoutHeaders, true),
        queryParams: namedMatchers(m.queryParams, false),
        ignoreUriCase: ic,
      };
      const uri = matcher(m.uri, ic);
      if (uri) rm.uri = uri;
      const method = matcher(m.method);
      if (method) rm.method = method;
      const authority = matcher(m.authority);
      if (authority) rm.authority = authority;
      const scheme = matcher(m.scheme);
      if (scheme) rm.scheme = scheme;
      return rm;
    });
    return {
      name: r.name ?? `route-${i}`,
      ...(r.name !== undefined ? { logName: r.name } : {}),
      matches,
      timeoutMs: ms(r.timeout) ?? 0,
      retry: retryPolicy(r.retries, v),
      fault: fault(r.fault, where, warnings),
    };
  });
}

export interface MappingOptions {
  istioVersion: IstioVersion;
  /** defaults to Istio's name for the resources' host and port (clusterHostPort) */
  clusterName?: string;
  /** the service port; defaults to the one the resources name (clusterHostPort) */
  servicePort?: number;
  /** the mesh-wide meshConfig.outboundTrafficPolicy.mode; undefined = the Istio version's default */
  outboundTrafficPolicy?: OutboundTrafficPolicy;
  /** the service port's protocol, declared (a tcp:// target, `-service-protocol`): wins over the resources' port name */
  serviceProtocol?: PortProtocol;
}

function tlsRouteSniHosts(vs: VirtualService | undefined): Set<string> {
  const out = new Set<string>();
  for (const r of vs?.spec.tls ?? []) for (const m of r.match ?? []) for (const h of [...(m.sniHosts ?? []), ...(m.sni_hosts ?? [])]) out.add(h.toLowerCase());
  return out;
}

/** The SNI filter chains pilot writes for the ServiceEntries' TLS/HTTPS ports (one cluster per host and port). */
function tlsPassthrough(res: IstioResources, b: Behaviour): TlsPassthrough[] {
  const routed = tlsRouteSniHosts(res.virtualService);
  const out: TlsPassthrough[] = [];
  for (const se of res.serviceEntries ?? []) {
    for (const port of serviceEntryPorts(se)) {
      if (!TLS_PROTOCOLS.has(port.protocol)) continue;
      for (const host of se.spec.hosts ?? []) {
        const h = host.toLowerCase();
        if (b.httpsNeedsTlsRoute && !routed.has(h)) continue;
        const clusterName = `outbound|${port.number}||${h}`;
        out.push({ sniHosts: [h], port: port.number, clusterName, statName: b.statNameSemicolon ? `${clusterName};` : clusterName });
      }
    }
  }
  return out;
}

/** DestinationRule `tls.mode: SIMPLE` on the cluster's port (top level or its portLevelSettings). */
function tlsOrigination(dr: DestinationRule | undefined, port: number): TlsOrigination | undefined {
  const tp = dr?.spec.trafficPolicy;
  const pl = (tp?.portLevelSettings ?? []).map((x) => x as { port?: { number?: number }; tls?: { mode?: string; sni?: string } }).find((x) => x.port?.number === port);
  const tls = pl?.tls ?? tp?.tls;
  if (!dr || tls?.mode !== 'SIMPLE') return undefined;
  return { sni: tls.sni ?? dr.spec.host };
}

/** The cluster's host is declared by a ServiceEntry outside the mesh (`location` defaults to MESH_EXTERNAL). */
function meshExternal(clusterName: string, entries: readonly ServiceEntry[]): boolean {
  const host = clusterName.split('|')[3];
  return entries.some((se) => se.spec['location'] !== 'MESH_INTERNAL' && (se.spec.hosts ?? []).includes(host ?? ''));
}

/** What pilot would have pushed for these resources. */
export function toSidecarConfig(res: IstioResources, opts: MappingOptions): SidecarConfig {
  const warnings: string[] = [];
  const b = behaviourOf(opts.istioVersion);
  const vs = res.virtualService;
  const named: HostResource[] = [...(res.destinationRule ? [res.destinationRule] : []), ...(res.serviceEntries ?? []), ...(vs ? [vs] : [])];
  const hp = clusterHostPort(named, opts.servicePort);
  const name = opts.clusterName ?? `outbound|${hp.port}||${hp.fqdn}`;
  const hosts = Array.isArray(vs?.spec.hosts) ? vs.spec.hosts.filter((h): h is string => typeof h === 'string') : [];
  const registered = new Set<string>([hp.host.toLowerCase(), ...hosts.map((h) => h.toLowerCase())]);
  if (res.destinationRule) registered.add(res.destinationRule.spec.host.toLowerCase());
  for (const se of res.serviceEntries ?? []) for (const h of se.spec.hosts ?? []) registered.add(h.toLowerCase());
  const scMode = res.sidecar?.spec.outboundTrafficPolicy?.mode;
  const outboundPolicy: OutboundTrafficPolicy = scMode ?? opts.outboundTrafficPolicy ?? (b.defaultOutboundAllowAny ? 'ALLOW_ANY' : 'REGISTRY_ONLY');
  const outboundPolicySource = scMode !== undefined ? 'Sidecar' : opts.outboundTrafficPolicy !== undefined ? 'mesh' : `Istio ${opts.istioVersion.istio.label} default`;
  const origination = tlsOrigination(res.destinationRule, hp.port);
  const protocol = selectPortProtocol(res, hp.port, opts.serviceProtocol);
  return {
    version: opts.istioVersion,
    servicePortProtocol: protocol,
    cluster: { ...clusterConfig(res.destinationRule, name, opts.istioVersion, warnings, protocol), meshExternal: meshExternal(name, res.serviceEntries ?? []) },
    servicePort: hp.port,
    outboundPolicy,
    outboundPolicySource,
    registeredHosts: [...registered],
    tlsPassthrough: tlsPassthrough(res, b),
    ...(origination ? { tlsOrigination: origination } : {}),
    routes: routeConfigs(vs, opts.istioVersion, warnings),
    ...(vs && hosts.length > 0
      ? { virtualHost: { domains: virtualHostDomains(hosts, vs.metadata?.namespace ?? 'default', hp.port), fallback: routeConfigs(undefined, opts.istioVersion, []) } }
      : {}),
    warnings,
  };
}

/** Loads YAML texts and maps them; throws with one line per problem. */
export function sidecarConfigFromYaml(sources: readonly SourceText[], opts: MappingOptions): SidecarConfig {
  const { resources, problems } = loadIstioResources(sources);
  if (problems.length > 0) throw new IstioConfigError(problems);
  return toSidecarConfig(resources, opts);
}
