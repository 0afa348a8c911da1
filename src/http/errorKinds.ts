/**
 * Why a call returned fortio's -1, in one table shared by both clients, so that the lean client
 * and undici report the same kind for the same failure.
 */
export type ErrorKind = 'refused' | 'reset' | 'timeout' | 'dns' | 'closed' | 'malformed' | 'tls' | 'other';

export const ERROR_KINDS: readonly ErrorKind[] = [
  'refused',
  'reset',
  'timeout',
  'dns',
  'closed',
  'malformed',
  'tls',
  'other',
];

/** Error codes (Node system errors, undici's UND_ERR_*, llhttp's HPE_*) → kind. */
const BY_CODE: Readonly<Record<string, ErrorKind>> = {
  ECONNREFUSED: 'refused',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  ECONNABORTED: 'reset',
  ERR_HTTP2_STREAM_ERROR: 'reset',
  ERR_HTTP2_SESSION_ERROR: 'reset',
  ERR_HTTP2_GOAWAY_SESSION: 'reset',
  ETIMEDOUT: 'timeout',
  UND_ERR_CONNECT_TIMEOUT: 'timeout',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NODATA: 'dns',
  EAI_NONAME: 'dns',
  ENODATA: 'dns',
  ESERVFAIL: 'dns',
  UND_ERR_SOCKET: 'closed',
  UND_ERR_CLOSED: 'closed',
  // llhttp ended the message but the Content-Length disagrees: an inconsistent (bad) response
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'malformed',
  HPE_INVALID_EOF_STATE: 'closed',
  ERR_HTTP2_STREAM_CANCEL: 'closed',
  EPROTO: 'tls',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls',
  UNABLE_TO_GET_ISSUER_CERT: 'tls',
  CERT_HAS_EXPIRED: 'tls',
  CERT_NOT_YET_VALID: 'tls',
  CERT_UNTRUSTED: 'tls',
  CERT_REJECTED: 'tls',
};

/** undici SocketError messages that mean "not HTTP" rather than "connection went away". */
const MALFORMED_SOCKET_MESSAGES = new Set(['bad response', 'bad upgrade']);

function codeKind(code: string, message: string): ErrorKind | undefined {
  if (code === 'UND_ERR_SOCKET' && MALFORMED_SOCKET_MESSAGES.has(message)) return 'malformed';
  const k = BY_CODE[code];
  if (k !== undefined) return k;
  if (code.startsWith('HPE_')) return 'malformed';
  if (code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_') || code.startsWith('ERR_OSSL_')) return 'tls';
  return undefined;
}

/** Kind of a thrown/emitted error, looking through `cause` chains (undici wraps socket errors). */
export function errorKindOf(err: unknown): ErrorKind {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e !== null && typeof e === 'object'; depth++) {
    const o = e as { code?: unknown; message?: unknown; cause?: unknown; name?: unknown };
    if (typeof o.code === 'string') {
      const k = codeKind(o.code, typeof o.message === 'string' ? o.message : '');
      if (k !== undefined) return k;
    }
    // undici's HTTPParserError often carries no code at all
    if (o.name === 'HTTPParserError') return 'malformed';
    e = o.cause;
  }
  return 'other';
}

/** Human text for logs and warmup failure messages. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    // OpenSSL's messages end in a newline (e.g. a refused client certificate's alert 116): one log line each.
    const message = err.message.replace(/\s*\n\s*/g, ' ').trim();
    return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
  }
  return String(err);
}
