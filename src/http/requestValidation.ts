/**
 * What may go on the wire as a method and as header fields (RFC 9110 §5.1, §5.5, §9.1). The lean
 * client writes the request head as text, so a CR or LF in a value would end the header line and
 * start another one (request smuggling); undici refuses the same input only at call time. Every
 * path (the `-H`/`-X` flags, scenario validation, both clients) asks the questions here, so what
 * one accepts the others send byte for byte.
 */
import { UsageError } from '../shared/errors.js';

/** One request header as typed (`-H 'Name: value'`), name then value. */
export type HeaderPair = [name: string, value: string];

/** RFC 9110 tchar: a method and a header name are 1 or more of these. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** field-value: HTAB, SP, VCHAR and obs-text (0x80-0xFF); anything else, CR/LF/NUL first, is refused. */
const NOT_FIELD_CHAR = /[^\t\x20-\x7e\x80-\xff]/;

function describeChar(ch: string): string {
  const c = ch.codePointAt(0) ?? 0;
  if (c === 0x0d) return 'a CR (\\r)';
  if (c === 0x0a) return 'a LF (\\n)';
  if (c === 0x00) return 'a NUL (\\0)';
  return `the character U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

function tokenProblem(s: string, what: string): string | undefined {
  if (s === '') return `empty ${what}`;
  if (TOKEN.test(s)) return undefined;
  const bad = [...s].find((ch) => !TOKEN.test(ch)) ?? '';
  return `${what} ${JSON.stringify(s)} has ${bad === ' ' ? 'a space' : describeChar(bad)}; a ${what} is an RFC 9110 token (letters, digits, !#$%&'*+-.^_\`|~)`;
}

/** Why `m` cannot be a request method, or undefined when it can. */
export function methodProblem(m: string): string | undefined {
  return tokenProblem(m, 'method');
}

export function headerNameProblem(name: string): string | undefined {
  return tokenProblem(name, 'header name');
}

/** For a value as typed (before `wireHeaderValue`): control characters are refused, non-ASCII text is fine. */
export function headerValueProblem(value: string): string | undefined {
  const bad = [...value].find((ch) => (ch.codePointAt(0) ?? 0) <= 0xff && NOT_FIELD_CHAR.test(ch));
  return bad === undefined ? undefined : `header value has ${describeChar(bad)}, which cannot be sent in a header`;
}

export function headerProblem([name, value]: HeaderPair): string | undefined {
  return headerNameProblem(name) ?? headerValueProblem(value);
}

/**
 * The value as the latin-1 "byte string" both clients write: text beyond ASCII goes out as its
 * UTF-8 bytes, as fortio (Go strings are bytes) sends it. Without this, latin-1 encoding would
 * keep only the low byte of U+010A, which is a LF.
 */
export function wireHeaderValue(value: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(value) ? value : Buffer.from(value, 'utf8').toString('latin1');
}

/** The last check before bytes are built: options made elsewhere than makeHttpOptions get it too. */
export function assertSendable(method: string, headers: readonly HeaderPair[]): void {
  const m = methodProblem(method);
  if (m !== undefined) throw new UsageError(m);
  for (const [name, value] of headers) {
    const bad = NOT_FIELD_CHAR.exec(value)?.[0];
    const p = headerNameProblem(name) ?? (bad !== undefined ? `header value has ${describeChar(bad)}, which cannot be sent in a header` : undefined);
    if (p !== undefined) throw new UsageError(p);
  }
}
