import { describe, expect, it } from 'vitest';
import {
  DEFAULT_HTTP_OPTIONS,
  makeHttpOptions,
  parseConnectionReuse,
  parseHeaderFlag,
  usesLeanClient,
} from '../../src/http/options.js';
import { buildRequest, requestBytes } from '../../src/http/request.js';
import { UsageError } from '../../src/shared/errors.js';
import { withScheme as normalizeUrl } from '../../src/http/urlScheme.js';
import { USER_AGENT } from '../../src/shared/version.js';

const made = (input: Parameters<typeof makeHttpOptions>[0]) => makeHttpOptions(input).options;
const wire = (input: Parameters<typeof makeHttpOptions>[0]) => requestBytes(buildRequest(made(input))).toString('latin1');

describe('makeHttpOptions (fortio rules)', () => {
  it('adds http:// to a scheme-less URL with fortio warning', () => {
    expect(normalizeUrl('localhost:8080/x')).toEqual({ url: 'http://localhost:8080/x', warning: "Assuming http:// on missing scheme for 'localhost:8080/x'" });
    expect(normalizeUrl('HTTPS://h/')).toEqual({ url: 'HTTPS://h/' });
    expect(makeHttpOptions({ url: 'h:1/' }).warnings).toHaveLength(1);
  });

  it('chooses GET, POST with a payload or a content type, or -X', () => {
    expect(made({ url: 'http://h/' }).method).toBe('GET');
    expect(made({ url: 'http://h/', payload: 'x' }).method).toBe('POST');
    expect(made({ url: 'http://h/', contentType: 'text/plain' }).method).toBe('POST');
    expect(made({ url: 'http://h/', headers: ['Content-Type: a/b'] })).toMatchObject({ method: 'POST', contentType: 'a/b' });
    expect(made({ url: 'http://h/', payload: 'x', method: 'PUT' }).method).toBe('PUT');
  });

  it('handles the special -H keys and keeps the others in order', () => {
    const o = made({ url: 'http://h/', headers: ['X-B: 2', 'Host: virtual', 'user-agent:', 'X-A:1'] });
    expect(o.host).toBe('virtual');
    expect(o.userAgent).toBe('');
    expect(o.headers).toEqual([
      ['X-B', '2'],
      ['X-A', '1'],
    ]);
    expect(() => parseHeaderFlag('novalue')).toThrow(UsageError);
    expect(parseHeaderFlag(' K : v : w ')).toEqual(['K', 'v : w']);
  });

  it('defaults timeout, resolution and user agent', () => {
    expect(DEFAULT_HTTP_OPTIONS.userAgent).toBe(USER_AGENT);
    expect(made({ url: 'http://h/', timeoutMs: 0 }).timeoutMs).toBe(3000);
    expect(made({ url: 'http://h/', resolution: -1 }).resolution).toBe(0.001);
    expect(() => made({ url: 'http://[bad/' })).toThrow(UsageError);
  });

  it('parses -connection-reuse', () => {
    expect(parseConnectionReuse('')).toEqual([0, 0]);
    expect(parseConnectionReuse('5')).toEqual([5, 5]);
    expect(parseConnectionReuse('2:9')).toEqual([2, 9]);
    expect(() => parseConnectionReuse('9:2')).toThrow(UsageError);
    expect(() => parseConnectionReuse('a')).toThrow(UsageError);
  });

  it('routes plain http:// to the lean client only', () => {
    expect(usesLeanClient(made({ url: 'http://h/' }))).toBe(true);
    expect(usesLeanClient(made({ url: 'https://h/' }))).toBe(false);
    expect(usesLeanClient(made({ url: 'http://h/', stdClient: true }))).toBe(false);
    expect(usesLeanClient(made({ url: 'http://h/', h2: true }))).toBe(false);
  });

  it('survives structured clone (worker transfer)', () => {
    const o = made({ url: 'http://h/', payload: 'abc', headers: ['X: y'] });
    expect(structuredClone(o)).toEqual(o);
  });
});

describe('request bytes', () => {
  it('builds a GET once', () => {
    expect(wire({ url: 'http://example.com:8080/p?q=1' })).toBe(`GET /p?q=1 HTTP/1.1\r\nHost: example.com:8080\r\nUser-Agent: ${USER_AGENT}\r\n\r\n`);
    const t = buildRequest(made({ url: 'http://h/' }));
    expect(requestBytes(t)).toBe(t.bytes);
  });

  it('adds Connection: close without keep-alive and uses the HTTP/1.0 form', () => {
    expect(wire({ url: 'http://h/', keepAlive: false, userAgent: '' })).toBe('GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
    expect(wire({ url: 'http://h/', http10: true, userAgent: '' })).toBe('GET / HTTP/1.0\r\n\r\n');
    expect(wire({ url: 'http://h/', http10: true, userAgent: '', headers: ['Host: v'] })).toBe('GET / HTTP/1.0\r\nHost: v\r\n\r\n');
  });

  it('sends a payload with its length and a default content type', () => {
    expect(wire({ url: 'http://h/', payload: 'abc', userAgent: '' })).toBe(
      'POST / HTTP/1.1\r\nHost: h\r\nContent-Type: application/octet-stream\r\nContent-Length: 3\r\n\r\nabc',
    );
    expect(wire({ url: 'http://h/', contentType: 'text/x', userAgent: '', headers: ['X: 1'] })).toBe(
      'POST / HTTP/1.1\r\nHost: h\r\nX: 1\r\nContent-Type: text/x\r\nContent-Length: 0\r\n\r\n',
    );
    expect(wire({ url: 'http://h/', payload: 'abc', userAgent: '', headers: ['Content-Length: 3'] })).not.toMatch(/Content-Length: 3\r\nContent-Length/);
  });

  it('treats special keys left in raw options as overrides', () => {
    const o = { ...made({ url: 'http://h/' }), headers: [['host', 'v'], ['User-Agent', ''], ['X', '1']] as [string, string][] };
    expect(requestBytes(buildRequest(o)).toString('latin1')).toBe('GET / HTTP/1.1\r\nHost: v\r\nX: 1\r\n\r\n');
  });

  it('puts a fresh UUID in each {uuid} slot, only then copying the bytes', () => {
    const t = buildRequest(made({ url: 'http://h/a/{uuid}/b?x={uuid}', payload: 'id={uuid}', userAgent: '' }));
    expect(t.slots).toHaveLength(3);
    const a = requestBytes(t).toString('latin1');
    const b = requestBytes(t).toString('latin1');
    const re = /^POST \/a\/([0-9a-f-]{36})\/b\?x=([0-9a-f-]{36}) HTTP\/1\.1\r\n[\s\S]*Content-Length: 39\r\n\r\nid=([0-9a-f-]{36})$/;
    const ma = re.exec(a);
    const mb = re.exec(b);
    expect(ma).not.toBeNull();
    expect(new Set([ma?.[1], ma?.[2], ma?.[3], mb?.[1], mb?.[2], mb?.[3]]).size).toBe(6);
  });
});
