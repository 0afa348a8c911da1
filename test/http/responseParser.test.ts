import { describe, expect, it } from 'vitest';
import { DONE, MALFORMED, NEED_MORE, NOT_OK, ResponseParser, isOkCode } from '../../src/http/responseParser.js';
import { seededRng } from '../../src/shared/random.js';
import { chunkedBody, httpResponse } from '../helpers/servers.js';

type Rnd = () => number;
const int = (rnd: Rnd, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
const randomCase = (rnd: Rnd, s: string): string =>
  [...s].map((c) => (rnd() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');
const word = (rnd: Rnd, alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-'): string =>
  Array.from({ length: int(rnd, 1, 12) }, () => pick(rnd, [...alphabet])).join('');
const VALUE_CHARS = 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789,;=/-:"';
const DECOY_NAMES = ['Content-Type', 'Connection', 'Content-Lengthy', 'X-Content-Length', 'Transfer-Encodings', 'Te', 'C', 'T', 'Cache-Control'];

interface Generated {
  bytes: Buffer;
  code: number;
  headerSize: number;
  framed: boolean;
}

function randomHeaders(rnd: Rnd): [string, string][] {
  return Array.from({ length: int(rnd, 0, 5) }, () => [
    rnd() < 0.4 ? pick(rnd, DECOY_NAMES) : word(rnd),
    word(rnd, VALUE_CHARS).trim() || 'v',
  ]);
}

/** A valid response (maybe after an interim one) with its expected parse. */
function generate(rnd: Rnd): Generated {
  const parts: Buffer[] = [];
  if (rnd() < 0.2) parts.push(httpResponse(pick(rnd, [100, 102, 103]), pick(rnd, ['', 'Continue', 'Early Hints']), randomHeaders(rnd)));
  const code = pick(rnd, [200, 201, 204, 206, 299, 418]);
  const headers = randomHeaders(rnd);
  let body: Buffer = Buffer.alloc(0);
  let framed = true;
  if (code === 204) {
    if (rnd() < 0.5) headers.push([randomCase(rnd, 'content-length'), '0']);
    else framed = false;
  } else if (rnd() < 0.5) {
    body = Buffer.from(word(rnd).repeat(int(rnd, 0, 30)));
    const pad = () => pick(rnd, ['', ' ', '\t', '  ']);
    headers.splice(int(rnd, 0, headers.length), 0, [randomCase(rnd, 'content-length'), `${pad()}${body.length}${pad()}`]);
  } else {
    const raw = Buffer.from(word(rnd).repeat(int(rnd, 1, 30)));
    const sizes = Array.from({ length: int(rnd, 0, 6) }, () => int(rnd, 1, 60));
    body = chunkedBody(raw, sizes, rnd() < 0.3 ? [['X-Trailer', word(rnd)]] : []);
    if (rnd() < 0.3) body = Buffer.from(body.toString('latin1').replace(/^([0-9a-f]+)\r\n/, '$1;ext=1\r\n'), 'latin1');
    headers.splice(int(rnd, 0, headers.length), 0, [randomCase(rnd, 'transfer-encoding'), pick(rnd, ['chunked', 'CHUNKED', 'gzip, chunked'])]);
  }
  const head = httpResponse(code, pick(rnd, ['', 'OK', 'Some Reason']), headers);
  parts.push(head, body);
  const bytes = Buffer.concat(parts);
  return { bytes, code, headerSize: bytes.length - body.length, framed };
}

interface Outcome {
  code: number;
  kind: '' | 'malformed' | 'closed';
  headerSize: number;
  /** Bytes consumed when DONE. */
  consumed: number;
}

/**
 * Feeds `bytes` in pieces cut at `cuts`, each copied into a scratch buffer full of stale garbage
 * at a random offset (as the lean client's fixed `onread` buffer), then EOF. Mirrors the client.
 */
function feed(bytes: Buffer, cuts: number[], rnd: Rnd, isHead = false): Outcome {
  const p = new ResponseParser();
  p.reset(isHead, false);
  const scratch = Buffer.alloc(bytes.length + 64);
  for (let i = 0; i < scratch.length; i++) scratch[i] = int(rnd, 0, 255);
  let from = 0;
  const ends = [...cuts.filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b), bytes.length];
  for (const to of ends) {
    if (to <= from) continue;
    const start = int(rnd, 0, 32);
    bytes.copy(scratch, start, from, to);
    const r = p.execute(scratch, start, start + (to - from));
    if (r === DONE) return { code: p.code, kind: '', headerSize: p.headerSize, consumed: from + p.pos - start };
    if (r === NOT_OK) return { code: p.code, kind: '', headerSize: 0, consumed: -1 };
    if (r === MALFORMED) return { code: -1, kind: 'malformed', headerSize: 0, consumed: -1 };
    expect(r).toBe(NEED_MORE);
    from = to;
  }
  if (p.finishEof() === DONE) return { code: p.code, kind: '', headerSize: p.headerSize, consumed: bytes.length };
  return { code: -1, kind: 'closed', headerSize: 0, consumed: -1 };
}

function randomCuts(rnd: Rnd, len: number): number[] {
  const n = int(rnd, 0, Math.min(12, len));
  return Array.from({ length: n }, () => int(rnd, 1, Math.max(1, len - 1)));
}

describe('ResponseParser', () => {
  const parse = (s: string, isHead = false): Outcome => feed(Buffer.from(s, 'latin1'), [], () => 0.5, isHead);

  it('parses Content-Length, chunked and EOF-delimited bodies', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello')).toEqual({ code: 200, kind: '', headerSize: 38, consumed: 43 });
    expect(parse('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n').consumed).toBe(62);
    expect(parse('HTTP/1.0 200 OK\r\n\r\nuntil eof')).toEqual({ code: 200, kind: '', headerSize: 19, consumed: 28 });
    expect(parse('HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n').headerSize).toBe(35);
  });

  it('reports framing and stops at the end of the response', () => {
    const p = new ResponseParser();
    p.reset(false, false);
    const b = Buffer.from('HTTP/1.1 201 Created\r\ncontent-length:2\r\n\r\nokEXTRA');
    expect(p.execute(b, 0, b.length)).toBe(DONE);
    expect(p.framed).toBe(true);
    expect(p.pos).toBe(b.length - 5);
  });

  it('stops at the status of a non-OK answer, 304 and 101 included', () => {
    for (const code of [503, 404, 304, 101, 199 + 301]) {
      const p = new ResponseParser();
      p.reset(false, false);
      const b = Buffer.from(`HTTP/1.1 ${code} X\r\nContent-Length: 0\r\n\r\n`);
      expect(p.execute(b, 0, b.length)).toBe(NOT_OK);
      expect(p.code).toBe(code);
      expect(p.pos).toBe(12);
      expect(p.statusText()).toBe(`HTTP/1.1 ${code}`);
    }
    expect(isOkCode(418)).toBe(true);
    expect(isOkCode(204)).toBe(true);
    expect(isOkCode(300)).toBe(false);
  });

  it('skips interim answers and counts their bytes in the head', () => {
    const s = 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx';
    expect(parse(s)).toEqual({ code: 200, kind: '', headerSize: s.length - 1, consumed: s.length });
  });

  it('reads no body for HEAD, 204 and 304-less OK answers', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n', true).consumed).toBe(39);
    expect(parse('HTTP/1.1 204 No Content\r\n\r\n')).toMatchObject({ code: 204, consumed: 27 });
  });

  it.each([
    ['garbage', 'hello\r\n\r\n'],
    ['lower case', 'http/1.1 200 OK\r\n\r\n'],
    ['status not a number', 'HTTP/1.1 2x0 OK\r\n\r\n'],
    ['leading zero status', 'HTTP/1.1 099 OK\r\n\r\n'],
    ['bare LF', 'HTTP/1.1 200 OK\nContent-Length: 0\n\n'],
    ['bad Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 1 2\r\n\r\n'],
    ['duplicate Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx'],
    ['length and chunked', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n'],
    ['bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['chunk longer than said', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n'],
    ['obsolete line folding', 'HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n'],
  ])('rejects %s as malformed', (_n, s) => {
    expect(parse(s)).toMatchObject({ code: -1, kind: 'malformed' });
  });

  it('treats EOF before the end as closed', () => {
    expect(parse('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel')).toMatchObject({ code: -1, kind: 'closed' });
    expect(parse('HTTP/1.1 2')).toMatchObject({ code: -1, kind: 'closed' });
    expect(parse('')).toMatchObject({ code: -1, kind: 'closed' });
  });

  it('counts everything as a 200 in raw (HTTP/1.0 request) mode', () => {
    const p = new ResponseParser();
    p.reset(false, true);
    const b = Buffer.from('anything at all');
    expect(p.execute(b, 0, b.length)).toBe(NEED_MORE);
    expect(p.finishEof()).toBe(DONE);
    expect(p.code).toBe(200);
    expect(p.headerSize).toBe(0);
    const q = new ResponseParser();
    q.reset(false, true);
    expect(q.finishEof()).toBe(NEED_MORE);
  });
});

describe('ResponseParser fuzz (seeded)', () => {
  it.each([1, 2, 3, 4])('parses valid responses identically however they are split (seed %i)', (seed) => {
    const rnd = seededRng(seed);
    for (let i = 0; i < 500; i++) {
      const g = generate(rnd);
      const extra = rnd() < 0.2 ? Buffer.from('HTTP/1.1 200 OK\r\n') : Buffer.alloc(0);
      const bytes = Buffer.concat([g.bytes, extra]);
      const whole = feed(bytes, [], rnd);
      const ctx = `seed ${seed} case ${i}: ${JSON.stringify(g.bytes.toString('latin1'))}`;
      expect(whole, ctx).toEqual({ code: g.code, kind: '', headerSize: g.headerSize, consumed: g.bytes.length });
      for (let k = 0; k < 5; k++) {
        const cuts = k === 0 ? Array.from({ length: bytes.length }, (_, j) => j) : randomCuts(rnd, bytes.length);
        expect(feed(bytes, cuts, rnd), `${ctx} cuts ${cuts.join(',')}`).toEqual(whole);
      }
    }
  });

  it.each([5, 6])('never throws or hangs on garbage, mutations or truncations, whatever the split (seed %i)', (seed) => {
    const rnd = seededRng(seed);
    for (let i = 0; i < 1500; i++) {
      const mode = i % 4;
      let bytes: Buffer;
      if (mode === 0) {
        bytes = Buffer.from(Array.from({ length: int(rnd, 0, 200) }, () => int(rnd, 0, 255)));
        if (bytes.length > 0 && bytes[0] === 0x48) bytes[0] = 0x47;
      } else if (mode === 1) {
        bytes = Buffer.concat([Buffer.from('HTTP/1.1 '), Buffer.from(Array.from({ length: int(rnd, 0, 120) }, () => int(rnd, 0, 255)))]);
      } else if (mode === 2) {
        bytes = Buffer.from(generate(rnd).bytes);
        for (let f = int(rnd, 1, 3); f > 0; f--) bytes[int(rnd, 0, bytes.length - 1)] = int(rnd, 0, 255);
      } else {
        const g = generate(rnd).bytes;
        bytes = g.subarray(0, int(rnd, 0, g.length - 1));
      }
      const ctx = `seed ${seed} case ${i}: ${JSON.stringify(bytes.toString('latin1'))}`;
      const whole = feed(bytes, [], rnd);
      expect(feed(bytes, randomCuts(rnd, bytes.length), rnd), ctx).toEqual(whole);
      if (whole.code === -1) expect(['malformed', 'closed'], ctx).toContain(whole.kind);
      else expect(whole.code >= 100 && whole.code <= 999, ctx).toBe(true);
      if (mode === 0) expect(whole, ctx).toMatchObject({ code: -1 });
      if (mode === 0 && bytes.length > 0) expect(whole.kind, ctx).toBe('malformed');
      if (mode === 3) expect(whole, ctx).toMatchObject({ code: -1 });
    }
  });

  it('decides a status line or header name in one buffer exactly as byte by byte (code, stop, error)', () => {
    const outcome = (bytes: Buffer, step: number) => {
      const p = new ResponseParser();
      p.reset(false, false);
      let r: number = NEED_MORE;
      let at = 0;
      for (; at < bytes.length && r === NEED_MORE; at += step) r = p.execute(bytes, at, Math.min(bytes.length, at + step));
      return { r, code: p.code, stop: p.pos, error: p.error, framed: p.framed, statusText: p.statusText() };
    };
    const base = 'HTTP/1.1 200 OK\r\nContent-Type: t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n';
    const variants = [base, 'HTTP/1.0 101 S\r\n\r\n', 'HTTP/2.0 503 S\r\n\r\n', 'HTTP/1.1 103 E\r\n\r\nHTTP/1.1 204 N\r\n\r\n'];
    for (let i = 0; i < 48; i++) {
      for (const c of ['X', '0', '9', ' ', '.', ':', '\r', '\n', 'l', 'N']) variants.push(base.slice(0, i) + c + base.slice(i + 1));
    }
    for (const v of variants) {
      const bytes = Buffer.from(v, 'latin1');
      const whole = outcome(bytes, bytes.length);
      const single = outcome(bytes, 1);
      expect(single, JSON.stringify(v)).toEqual(whole);
    }
  });
});
