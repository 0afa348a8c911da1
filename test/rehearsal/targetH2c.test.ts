import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:http2';
import type { ClientHttp2Session } from 'node:http2';
import { startTarget } from '../../src/rehearsal/target.js';
import type { TargetHandle } from '../../src/rehearsal/target.js';
import { get } from '../helpers/rehearsalServers.js';

function h2get(session: ClientHttp2Session, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path });
    let status = 0;
    const chunks: Buffer[] = [];
    req.on('response', (h) => (status = Number(h[':status'])));
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve({ status, body: Buffer.concat(chunks).toString() }));
    req.on('error', reject);
    req.end();
  });
}

describe('target: HTTP/2 with prior knowledge on the plain HTTP port', () => {
  let t: TargetHandle;
  let session: ClientHttp2Session;
  beforeAll(async () => {
    t = await startTarget({ seed: 3 });
    session = connect(t.url);
  });
  afterAll(async () => {
    session.close();
    await t.close();
  });

  it('answers echo parameters and httpbin paths over h2', async () => {
    expect((await h2get(session, '/echo?status=418')).status).toBe(418);
    const got = await h2get(session, '/get?x=1');
    expect(got.status).toBe(200);
    expect(JSON.parse(got.body)).toMatchObject({ args: { x: '1' } });
    expect((await h2get(session, '/status/503')).status).toBe(503);
  }, 30_000);

  it('still answers HTTP/1.1 on the same port', async () => {
    const r = await get(`${t.url}/status/204`);
    expect(r.status).toBe(204);
  }, 30_000);
});
