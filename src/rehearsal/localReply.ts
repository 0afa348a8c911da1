/**
 * The bodies, statuses and flags Envoy uses for the answers it makes up itself
 * (envoy-circuit-breaking.md §2.4). Scenario assertions compare these strings byte for byte.
 */

export type ResetReason = 'overflow' | 'connection failure' | 'connection termination' | 'connection timeout' | 'local reset';

export interface LocalReply {
  status: number;
  body: string;
  /** access-log response flag (UO, UF, UC, UH, UT, FI, NR) */
  flag: string;
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
};

/** 503 for an upstream reset before response headers; `retried` adds current Envoy's wording. */
export function resetReply(reason: ResetReason, retried: boolean): LocalReply {
  const body = `upstream connect error or disconnect/reset before headers. ${retried ? 'retried and the latest ' : ''}reset reason: ${reason}`;
  // Envoy adds x-envoy-overloaded only for overflow-dropped requests.
  const headers: Record<string, string> = reason === 'overflow' ? { 'x-envoy-overloaded': 'true' } : {};
  return { status: 503, body, flag: FLAG[reason], headers };
}

export const NO_HEALTHY_UPSTREAM: LocalReply = { status: 503, body: 'no healthy upstream', flag: 'UH', headers: {} };
export const UPSTREAM_TIMEOUT: LocalReply = { status: 504, body: 'upstream request timeout', flag: 'UT', headers: {} };
export const NO_ROUTE: LocalReply = { status: 404, body: '', flag: 'NR', headers: {} };

export function faultAbort(status: number): LocalReply {
  return { status, body: 'fault filter abort', flag: 'FI', headers: {} };
}
