import { afterEach, describe, expect, it } from 'vitest';
import { curl, curlExitCode } from '../../src/http/curl.js';
import { makeHttpOptions } from '../../src/http/options.js';
import { configureLog, Level } from '../../src/shared/log.js';
import * as S from '../helpers/servers.js';

configureLog({ level: Level.Critical });

const servers: S.TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(p: Promise<S.TestServer>): Promise<S.TestServer> {
  const s = await p;
  servers.push(s);
  return s;
}

describe.each(['lean', 'undici'])('curl (%s)', (kind) => {
  const opts = (url: string) => makeHttpOptions({ url, stdClient: kind === 'undici' }).options;

  it('returns the raw head and the body of a 200, exit 0', async () => {
    const srv = await serve(S.startKeepAliveServer());
    const r = await curl(opts(srv.url));
    expect(r.code).toBe(200);
    expect(r.head.toString('latin1')).toBe(S.OK_RESPONSE.subarray(0, S.OK_HEADER_SIZE).toString('latin1'));
    expect(r.body.toString()).toBe(S.OK_BODY);
    expect(curlExitCode(r)).toBe(0);
  });

  it('puts everything read in the body for a non-OK status, exit 1', async () => {
    const srv = await serve(S.start503Server());
    const r = await curl(opts(srv.url));
    expect(r.code).toBe(503);
    expect(r.head.length).toBe(0);
    expect(r.body.toString('latin1')).toBe(S.UNAVAILABLE_RESPONSE.toString('latin1'));
    expect(curlExitCode(r)).toBe(1);
  });

  it('exits 1 for a 204 and for a refused connection', async () => {
    const srv = await serve(S.startKeepAliveServer(S.httpResponse(204, 'No Content', [])));
    const r = await curl(opts(srv.url));
    expect(r.code).toBe(204);
    expect(curlExitCode(r)).toBe(1);
    const { url } = await S.refusedPort();
    const f = await curl(opts(url));
    expect(f.code).toBe(-1);
    expect(f.errorKind).toBe('refused');
    expect(f.error).toMatch(/ECONNREFUSED/);
    expect(curlExitCode(f)).toBe(1);
  });

  it('shows a chunked body as it came on the wire', async () => {
    const body = S.chunkedBody(Buffer.from('abcdefghij'), [3, 3]);
    const response = Buffer.concat([S.httpResponse(200, 'OK', [['Transfer-Encoding', 'chunked']]), body]);
    const srv = await serve(S.startChunkedServer(response, 3, 4));
    const r = await curl(opts(srv.url));
    expect(r.code).toBe(200);
    expect(r.body.toString('latin1')).toBe(body.toString('latin1'));
  });
});
