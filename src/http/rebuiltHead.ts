/**
 * A response head rebuilt from what undici hands over (status, reason, raw header list), for
 * HTTP/2 and as a fallback: fortio's header size and curl's head need bytes undici does not keep.
 */
import type { IncomingHttpHeaders } from 'node:http2';
import type { Dispatcher } from 'undici';

export type RawHeaders = Dispatcher.DispatchController['rawHeaders'];

function byteLen(v: unknown): number {
  if (Buffer.isBuffer(v)) return v.length;
  if (typeof v === 'string') return Buffer.byteLength(v);
  return 0;
}

/** Bytes of "HTTP/1.1 200 OK\r\n" + "Name: value\r\n"… + "\r\n" as the server most likely sent them. */
export function headLength(statusMessage: string, raw: RawHeaders): number {
  let n = 9 + 3 + (statusMessage !== '' ? 1 + Buffer.byteLength(statusMessage) : 0) + 2 + 2;
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const name = byteLen(raw[i]);
      const v: unknown = raw[i + 1];
      if (Array.isArray(v)) for (const one of v) n += name + 2 + byteLen(one) + 2;
      else n += name + 2 + byteLen(v) + 2;
    }
  }
  return n;
}

export function headBuffer(code: number, statusMessage: string, raw: RawHeaders): Buffer {
  let s = `HTTP/1.1 ${code}${statusMessage !== '' ? ` ${statusMessage}` : ''}\r\n`;
  if (Array.isArray(raw)) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const v: unknown = raw[i + 1];
      for (const one of Array.isArray(v) ? v : [v]) s += `${String(raw[i])}: ${String(one)}\r\n`;
    }
  }
  return Buffer.from(`${s}\r\n`, 'latin1');
}

/** Content-Length or chunked Transfer-Encoding present: fortio would keep the connection. */
export function hasFraming(raw: RawHeaders): boolean {
  if (!Array.isArray(raw)) return false;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = String(raw[i]).toLowerCase();
    if (name === 'content-length') return true;
    if (name === 'transfer-encoding' && /chunked\s*$/i.test(String(raw[i + 1]))) return true;
  }
  return false;
}

/** node:http2's response headers as undici handed them over for h2: no reason phrase, no :status. */
function h2Raw(h: IncomingHttpHeaders): string[] {
  const raw: string[] = [];
  for (const name of Object.keys(h)) {
    if (name === ':status') continue;
    const v = h[name];
    if (Array.isArray(v)) for (const one of v) raw.push(name, one);
    else if (v !== undefined) raw.push(name, String(v));
  }
  return raw;
}

/**
 * The h2 head size by headLength's method (the undici client's for h2), so both agree; summed
 * in place: it runs once per call.
 */
export function h2HeadLength(h: IncomingHttpHeaders): number {
  let n = 9 + 3 + 2 + 2;
  for (const name of Object.keys(h)) {
    if (name === ':status') continue;
    const v = h[name];
    const nameLen = Buffer.byteLength(name);
    if (Array.isArray(v)) for (const one of v) n += nameLen + 2 + Buffer.byteLength(one) + 2;
    else if (v !== undefined) n += nameLen + 2 + Buffer.byteLength(String(v)) + 2;
  }
  return n;
}

export function h2HeadBuffer(code: number, h: IncomingHttpHeaders): Buffer {
  return headBuffer(code, '', h2Raw(h));
}
