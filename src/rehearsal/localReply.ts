/**
 * The bodies, statuses and flags Envoy uses for the answers it makes up itself
 * (envoy-circuit-breaking.md §2.4). Scenario assertions compare these strings byte for byte.
 */

/**
 * Http::StreamResetReason as Http::Utility::resetReasonToString words it. The two remote ones
 * come from an HTTP/2 upstream's RST_STREAM (codec_impl.cc onStreamClose: REFUSED_STREAM is its
 * own reason, any other code is a remote reset).
 */
export type ResetReason =
  | 'overflow'
  | 'connection failure'
  | 'connection termination'
  | 'connection timeout'
  | 'local reset'
  | 'remote reset'
  | 'remote refused stream reset';

export interface LocalReply {
  status: number;
  body: string;
  /** access-log response flag (UO, UF, UC, UR, UH, UT, FI, NR) */
  flag: string;
  /** %RESPONSE_CODE_DETAILS% */
  details?: string;
  /** %UPSTREAM_TRANSPORT_FAILURE_REASON% */
  transportFailure?: string;
  /** extra response headers */
  headers: Record<string, string>;
}

export const OVERFLOW_BODY = 'upstream connect error or disconnect/reset before headers. reset reason: overflow';

const FLAG: Record<ResetReason, string> = {
  overflow: 'UO',
  'connection failure': 'UF',
  'connection termination': 'UC',
  'connection timeout': 'UF',
  'local reset': 'LR',
  // router.cc streamResetReasonToResponseFlag: both remote resets are UpstreamRemoteReset
  'remote reset': 'UR',
  'remote refused stream reset': 'UR',
};

/** How this Envoy words a reset (the version-dependent parts of Http::Utility's local reply text). */
export interface ResetWording {
  retriedWording: boolean;
  connectFailureReason: boolean;
  remoteConnectionFailure: boolean;
  connectErrorText: boolean;
}

/**
 * A refused connect as Envoy words it: the transport failure reason the socket sets ("delayed
 * connect error: " + errno, Envoy >= 1.20, envoyproxy/envoy#17766; the errno as strerror's text
 * from 1.32, #35154) is appended to the body (#12321); from 1.27 the reset reason itself reads
 * "remote connection failure" (utility.cc resetReasonToString, 2bba781a).
 */
function reasonParts(reason: ResetReason, w: ResetWording): { reason: string; transport: string | undefined } {
  if (reason !== 'connection failure' || !w.connectFailureReason) return { reason, transport: undefined };
  return {
    reason: w.remoteConnectionFailure ? 'remote connection failure' : reason,
    transport: `delayed connect error: ${w.connectErrorText ? 'Connection refused' : '111'}`,
  };
}

/** 503 for an upstream reset before response headers; `retried` adds Envoy >= 1.22's wording. */
export function resetReply(reason: ResetReason, retried: boolean, w: ResetWording = { retriedWording: true, connectFailureReason: false, remoteConnectionFailure: false, connectErrorText: false }): LocalReply {
  const p = reasonParts(reason, w);
  const text = p.transport === undefined ? p.reason : `${p.reason}, transport failure reason: ${p.transport}`;
  const body = `upstream connect error or disconnect/reset before headers. ${retried && w.retriedWording ? 'retried and the latest ' : ''}reset reason: ${text}`;
  // Envoy adds x-envoy-overloaded only for overflow-dropped requests.
  const headers: Record<string, string> = reason === 'overflow' ? { 'x-envoy-overloaded': 'true' } : {};
  // Response code details replace spaces by '_' and join the transport failure with '|'.
  const details = `upstream_reset_before_response_started{${[p.reason, p.transport].filter((x) => x !== undefined).join('|').replace(/ /g, '_')}}`;
  return { status: 503, body, flag: FLAG[reason], headers, details, ...(p.transport !== undefined ? { transportFailure: p.transport } : {}) };
}

export const NO_HEALTHY_UPSTREAM: LocalReply = { status: 503, body: 'no healthy upstream', flag: 'UH', headers: {}, details: 'no_healthy_upstream' };
export const UPSTREAM_TIMEOUT: LocalReply = { status: 504, body: 'upstream request timeout', flag: 'UT', headers: {}, details: 'response_timeout' };
export const NO_ROUTE: LocalReply = { status: 404, body: '', flag: 'NR', headers: {}, details: 'route_not_found' };

export function faultAbort(status: number): LocalReply {
  return { status, body: 'fault filter abort', flag: 'FI', headers: {}, details: 'fault_filter_abort' };
}
