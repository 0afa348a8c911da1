/**
 * The sidecar's access log in Istio's default TEXT format (meshConfig.accessLogFormat unset),
 * as pilot writes it into the HTTP connection manager (Istio pilot/pkg/model/telemetry_logging.go
 * EnvoyTextLogFormat): from Istio 1.9 with %RESPONSE_CODE_DETAILS% and
 * %CONNECTION_TERMINATION_DETAILS%, before without them. %UPSTREAM_CLUSTER% and (1.23+)
 * %UPSTREAM_CLUSTER_RAW% both print the cluster's own name, so `grep 'outbound|80||httpbin.org'`
 * finds the line. A TCP proxy connection (the SNI chains) is logged with the same format, as
 * Envoy's tcp_proxy access log does when the connection closes: no request, so `"- - -"`, code 0,
 * no response details; %REQUESTED_SERVER_NAME% is the SNI, so `grep 'outbound|443||www.google.com'`
 * finds it.
 */

/** Envoy's short response flags in the order StreamInfo prints them (response_flag_utils.cc). */
const FLAG_ORDER = ['LH', 'UH', 'UT', 'LR', 'UR', 'UF', 'UC', 'UO', 'NR', 'DI', 'FI', 'RL', 'UAEX', 'RLSE', 'DC', 'URX'];

/** "UF,URX" from a set of flags; "-" for none. */
export function formatFlags(flags: ReadonlySet<string>): string {
  if (flags.size === 0) return '-';
  const known = FLAG_ORDER.filter((f) => flags.has(f));
  const other = [...flags].filter((f) => !FLAG_ORDER.includes(f)).sort();
  return [...known, ...other].join(',');
}

/** One downstream request as the access log sees it when it is over. */
export interface AccessLogEntry {
  start: Date;
  method: string;
  path: string;
  protocol: string;
  /** 0 when no response was sent (downstream went away first) */
  status: number;
  /** Envoy response flags joined ("UF,URX") or '-' */
  flags: string;
  /** %RESPONSE_CODE_DETAILS%, e.g. via_upstream, upstream_reset_before_response_started{overflow} */
  details: string;
  /** %UPSTREAM_TRANSPORT_FAILURE_REASON% or undefined */
  transportFailure: string | undefined;
  bytesReceived: number;
  bytesSent: number;
  durationMs: number;
  /** x-envoy-upstream-service-time of the response, ms */
  upstreamServiceTimeMs: number | undefined;
  forwardedFor: string | undefined;
  userAgent: string | undefined;
  requestId: string | undefined;
  authority: string | undefined;
  upstreamHost: string | undefined;
  /** the cluster the request was routed to (undefined: no route) */
  upstreamCluster: string | undefined;
  upstreamLocalAddress: string | undefined;
  downstreamLocalAddress: string;
  downstreamRemoteAddress: string;
  routeName: string | undefined;
  /** %REQUESTED_SERVER_NAME%: the TLS SNI (plain HTTP: none) */
  requestedServerName?: string | undefined;
  /** worker lane of the downstream connection (not in Istio's line) */
  lane: number;
  /** downstream connection number (1, 2, …), to see clients reconnect (not in Istio's line) */
  connection: number;
}

const q = (s: string | undefined): string => `"${s ?? '-'}"`;
const d = (s: string | number | undefined): string => (s === undefined || s === '' ? '-' : String(s));

/** One line in Istio's default format for that Istio minor (no trailing newline). */
export function formatAccessLog(e: AccessLogEntry, istioMinor = 1000): string {
  const head = `[${e.start.toISOString()}] "${e.method} ${e.path} ${e.protocol}" ${e.status} ${e.flags}`;
  const details = istioMinor >= 9 ? ` ${d(e.details)} -` : '';
  return (
    `${head}${details} ${q(e.transportFailure)} ${e.bytesReceived} ${e.bytesSent} ${Math.round(e.durationMs)} ${d(e.upstreamServiceTimeMs === undefined ? undefined : Math.round(e.upstreamServiceTimeMs))} ` +
    `${q(e.forwardedFor)} ${q(e.userAgent)} ${q(e.requestId)} ${q(e.authority)} ${q(e.upstreamHost)} ${d(e.upstreamCluster)} ${d(e.upstreamLocalAddress)} ` +
    `${e.downstreamLocalAddress} ${e.downstreamRemoteAddress} ${d(e.requestedServerName)} ${d(e.routeName)}`
  );
}

/** What the access log prints of a TCP proxy connection. */
export interface TcpLogEntry {
  start: Date;
  durationMs: number;
  sni: string;
  cluster: string;
  upstreamHost: string | undefined;
  /** %UPSTREAM_LOCAL_ADDRESS%: the proxy's end of the upstream connection (none: not connected) */
  upstreamLocalAddress: string | undefined;
  downstreamLocalAddress: string;
  downstreamRemoteAddress: string;
  bytesReceived: number;
  bytesSent: number;
  /** UH (no healthy upstream, the black hole), UF (connect failed), '-' */
  flags: string;
}

/** A TCP proxy connection's line: Envoy's formatters print "-" (code 0) for what a TCP stream lacks. */
export function formatTcpAccessLog(e: TcpLogEntry, istioMinor = 1000): string {
  return formatAccessLog(
    {
      start: e.start,
      method: '-',
      path: '-',
      protocol: '-',
      status: 0,
      flags: e.flags,
      details: '-',
      transportFailure: undefined,
      bytesReceived: e.bytesReceived,
      bytesSent: e.bytesSent,
      durationMs: e.durationMs,
      upstreamServiceTimeMs: undefined,
      forwardedFor: undefined,
      userAgent: undefined,
      requestId: undefined,
      authority: undefined,
      upstreamHost: e.upstreamHost,
      upstreamCluster: e.cluster,
      upstreamLocalAddress: e.upstreamLocalAddress,
      downstreamLocalAddress: e.downstreamLocalAddress,
      downstreamRemoteAddress: e.downstreamRemoteAddress,
      routeName: undefined,
      requestedServerName: e.sni === '' ? undefined : e.sni,
      lane: 0,
      connection: 0,
    },
    istioMinor,
  );
}

/** What the filter chain records about a stream for its access-log line. */
export interface StreamLog {
  flags: Set<string>;
  details: string | undefined;
  transportFailure: string | undefined;
  serviceTimeMs: number | undefined;
  requestId: string | undefined;
  routeName: string | undefined;
  cluster: string | undefined;
}

export function newStreamLog(): StreamLog {
  return { flags: new Set(), details: undefined, transportFailure: undefined, serviceTimeMs: undefined, requestId: undefined, routeName: undefined, cluster: undefined };
}
