/**
 * The one table of what changes with the Istio release and the Envoy it ships: every
 * version-dependent behaviour of the emulator is a field of `Behaviour`, read nowhere but here
 * from version numbers. Sources are named per field (envoy-circuit-breaking.md §8 and the Envoy /
 * Istio files it cites); docs/rehearsal.md lists the same table for readers.
 */

/** An Istio 1.x release and the Envoy 1.y its proxy runs (unless -envoy-version overrides it). */
export interface MeshVersion {
  istio: { label: string; minor: number };
  envoy: { label: string; minor: number };
}

/** The newest Istio release modelled; `-istio-version` defaults to it. */
export const NEWEST_ISTIO_MINOR = 30;
export const DEFAULT_ISTIO_VERSION = `1.${NEWEST_ISTIO_MINOR}`;

/**
 * Envoy minor per Istio minor, checked against each tag's istio.deps → istio/proxy WORKSPACE
 * (ENVOY_SHA and its commit date) and Envoy's release dates (docs/rehearsal.md "Versions"). Up to
 * Istio 1.9 the proxy is an Envoy main build, 1.(N+1).0-dev, modelled as the release 1.N before
 * it: no row moves in between (for 1.5, 2020-03-03, and 1.8, 2020-11-10, the rows that move at
 * N+1 — be8d4caf, envoyproxy/envoy#14235 — had not landed). From 1.10 the proxy is on an Envoy
 * release branch: Istio minor + 8.
 */
const ENVOY_OF_ISTIO: readonly number[] = [8, 10, 11, 12, 13, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23];

export function envoyMinorOf(istioMinor: number): number {
  return istioMinor < ENVOY_OF_ISTIO.length ? (ENVOY_OF_ISTIO[istioMinor] as number) : istioMinor + 8;
}

function minorOf(s: string): number | undefined {
  const m = /^v?1\.(\d+)(?:\.\d+)?(?:-dev)?$/.exec(s.trim().toLowerCase());
  return m ? Number(m[1]) : undefined;
}

/** "1.N", "1.N.P", "current"/"latest" (= the newest modelled); undefined if unreadable or beyond the table. */
export function parseIstioMinor(s: string): number | undefined {
  const t = s.trim().toLowerCase();
  if (t === 'current' || t === 'latest') return NEWEST_ISTIO_MINOR;
  const m = minorOf(t);
  return m !== undefined && m <= NEWEST_ISTIO_MINOR ? m : undefined;
}

/** An Envoy version "1.N" for -envoy-version; undefined if unreadable or beyond the newest modelled. */
export function parseEnvoyMinor(s: string): number | undefined {
  const m = minorOf(s);
  return m !== undefined && m >= 8 && m <= envoyMinorOf(NEWEST_ISTIO_MINOR) ? m : undefined;
}

export function meshVersion(istioMinor: number, envoyMinor: number = envoyMinorOf(istioMinor)): MeshVersion {
  return { istio: { label: `1.${istioMinor}`, minor: istioMinor }, envoy: { label: `1.${envoyMinor}`, minor: envoyMinor } };
}

/** "Istio 1.30 (Envoy 1.38)" — how every result names what it emulated. */
export function describeVersion(v: MeshVersion): string {
  return `Istio ${v.istio.label} (Envoy ${v.envoy.label})`;
}

/** The emulator's rule for `max_ejection_percent` (Envoy outlier_detection_impl.cc ejectHost). */
export type EjectionRule =
  /** Envoy ≤ 1.26: eject while 100 × ejected / hosts < max (before this ejection) */
  | 'before-lt'
  /** Envoy 1.27: 100 × (ejected + 1) / hosts ≤ max, or no host ejected yet */
  | 'after-le-or-first'
  /** Envoy ≥ 1.28 (ecd6bdd0): 100 × (ejected + 1) / hosts ≤ max, nothing else (always_eject_one_host unset by Istio) */
  | 'after-le';

export interface Behaviour {
  // ---- what Istio's pilot writes ----
  /** DEFAULT thresholds when the DR leaves one unset: 1.0–1.3 Envoy's, max_retries 1024 from 1.1; 1.4+ 2^32−1 (§8.2) */
  thresholdsUnlimited: boolean;
  /** 1.1–1.3 wrote max_retries 1024 over Envoy's 3 (1.1.0 cluster.go 52–59) */
  maxRetries1024: boolean;
  /** 1.3+ always writes healthy_panic_threshold (= minHealthPercent, 0 = panic off) with outlierDetection (1.3.0 cluster.go 886–890) */
  panicThresholdAlwaysWritten: boolean;
  /** deprecated `consecutiveErrors`: 1.0 → consecutive_5xx; 1.1–1.6 → consecutive_gateway_failure (istio/api#617); 1.7+ ignored (a291ab60) */
  consecutiveErrors: '5xx' | 'gateway' | 'ignored';
  /** Istio's default route retry policy retries 503 (≤ 1.23); 1.24 EXCLUDE_UNSAFE_503_FROM_DEFAULT_RETRY=true drops it (retry.go) */
  defaultRetry503: boolean;
  /** default load balancer: LEAST_REQUEST from 1.14, ROUND_ROBIN before */
  defaultLeastRequest: boolean;
  /** track_remaining on the DEFAULT threshold (remaining_* gauges exist for it only): Istio 1.10+ (a49a2fa6, istio/istio#31807, getDefaultCircuitBreakerThresholds) */
  trackRemaining: boolean;
  /**
   * metadata exchange headers x-envoy-peer-metadata(-id) on outbound HTTP, announcing this Istio
   * release; undefined before 1.5, whose default profile ran Mixer (telemetry v1) instead of
   * telemetry v2 (1.5.0 operator/data/profiles/default.yaml: telemetry.v1 false, v2 true)
   */
  peerMetadataFrom: string | undefined;
  /** alt_stat_name = cluster name + ";" from 1.23 (cluster_builder.go 488, istio/istio#51861) */
  statNameSemicolon: boolean;
  /**
   * meshConfig.outboundTrafficPolicy.mode when neither the mesh nor a Sidecar sets it: REGISTRY_ONLY
   * in 1.0 (outside hosts need a ServiceEntry), ALLOW_ANY from 1.1 (Istio 1.1 upgrade notes,
   * istio.io news/releases/1.1.x/announcing-1.1/upgrade-notes: "The default outbound traffic policy
   * is now ALLOW_ANY")
   */
  defaultOutboundAllowAny: boolean;
  /**
   * An HTTPS ServiceEntry alone does not route TLS by SNI: Istio 1.0's egress task adds a
   * VirtualService `tls:` route with `match: sni_hosts` (inferred from the 1.0 task page); from
   * 1.1 the ServiceEntry's TLS port gets an SNI filter chain by itself
   */
  httpsNeedsTlsRoute: boolean;
  /** DestinationRule http.h2UpgradePolicy exists (Istio 1.3, istio/api#999): UPGRADE makes an HTTP port's cluster HTTP/2 */
  h2UpgradePolicy: boolean;
  /** http.maxConcurrentStreams → http2_protocol_options.max_concurrent_streams (Istio 1.21, ctp.go applyConnectionPool) */
  maxConcurrentStreamsField: boolean;
  // ---- what the Envoy binary does ----
  /** max_requests applies to HTTP/1.1 pools only since the unified pools (be8d4caf, Envoy 1.14) */
  maxRequestsOnHttp1: boolean;
  /** old ejection back-off: multiplier = ejections, uncapped (Envoy < 1.17 added max_ejection_time) */
  legacyBackoff: boolean;
  ejectionRule: EjectionRule;
  /** "retried and the latest reset reason:" (Envoy ≥ 1.22, 8a1d8a74) */
  retriedWording: boolean;
  /**
   * a refused connect's transport failure reason ("delayed connect error: 111") is set by the raw
   * socket and so appended to the local reply (Envoy ≥ 1.20: envoyproxy/envoy#17766, Aug 2021;
   * the body carries it since #12321, 1.16, which only TLS failures used before)
   */
  connectFailureReason: boolean;
  /** connect failures read "remote connection failure, transport failure reason: …" (Envoy ≥ 1.27, 2bba781a) */
  remoteConnectionFailure: boolean;
  /**
   * errno rendering in "delayed connect error: …": the number, then strerror's text via
   * errorDetails() (envoyproxy/envoy#35154, approved 2024-07-15, days before the 1.31.0 release:
   * 1.32 is the first release certain to have it)
   */
  connectErrorText: boolean;
  /** a max_requests overflow counts in upstream_rq_active_overflow (Envoy ≥ 1.38, PR #44164) */
  activeOverflowStat: boolean;
}

export function behaviourOf(v: MeshVersion): Behaviour {
  const i = v.istio.minor;
  const e = v.envoy.minor;
  return {
    thresholdsUnlimited: i >= 4,
    maxRetries1024: i >= 1 && i <= 3,
    panicThresholdAlwaysWritten: i >= 3,
    consecutiveErrors: i === 0 ? '5xx' : i <= 6 ? 'gateway' : 'ignored',
    defaultRetry503: i <= 23,
    defaultLeastRequest: i >= 14,
    trackRemaining: i >= 10,
    peerMetadataFrom: i >= 5 ? v.istio.label : undefined,
    statNameSemicolon: i >= 23,
    defaultOutboundAllowAny: i >= 1,
    httpsNeedsTlsRoute: i === 0,
    h2UpgradePolicy: i >= 3,
    maxConcurrentStreamsField: i >= 21,
    maxRequestsOnHttp1: e >= 14,
    legacyBackoff: e < 17,
    ejectionRule: e <= 26 ? 'before-lt' : e === 27 ? 'after-le-or-first' : 'after-le',
    retriedWording: e >= 22,
    connectFailureReason: e >= 20,
    remoteConnectionFailure: e >= 27,
    connectErrorText: e >= 32,
    activeOverflowStat: e >= 38,
  };
}

/** What the rehearsal does not model, stated with every result so a PASS is read as what it is. */
export const NOT_MODELLED: readonly string[] = [
  'one client sidecar (no server-side sidecar: its hop is a fixed latency)',
  'no real mTLS (a handshake delay at most)',
  'no locality or priority load balancing',
  'one outbound cluster and one route table',
];
