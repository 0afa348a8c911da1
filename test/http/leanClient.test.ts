/** Lean-client-only behaviour: -http1.0, -halfclose, unsolicited 100 Continue, requests of several clients written together. */
import type * as net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createRunnable } from '../../src/http/httpRunnable.js';
import { makeHttpOptions } from '../../src/http/options.js';
import { configureLog, Level } from '../../src/shared/log.js';
import { runnableCalls } from '../helpers/httpCalls.js';
import * as S from '../helpers/servers.js';

configureLog({ level: Level.Critical });

const servers: S.TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe('lean client', () => {
  it('-http1.0: no Host, every answer a 200 with header size 0, one socket per call', async () => {
    const heads: string[] = [];
    const srv = await S.startRawServer((req, s) => {
      heads.push(req.head);
      s.end(S.UNAVAILABLE_RESPONSE);
    });
    servers.push(srv);
    const { codes, stats } = await runnableCalls({ url: srv.url, http10: true }, 3);
    expect(codes).toEqual([200, 200, 200]);
    expect(stats.sockets).toBe(3);
    expect(stats.headerSizes.counter.max).toBe(0);
    expect(stats.sizes.counter.max).toBe(S.UNAVAILABLE_RESPONSE.length);
    expect(heads[0]).toMatch(/^GET \/ HTTP\/1\.0\r\n/);
    expect(heads[0]).not.toMatch(/\r\nhost:/i);
  });

  it('-http1.0: an empty answer is -1 closed', async () => {
    const srv = await S.startMalformedServer('', true);
    servers.push(srv);
    const { codes, stats } = await runnableCalls({ url: srv.url, http10: true }, 1);
    expect(codes).toEqual([-1]);
    expect(stats.errorKinds).toEqual({ closed: 1 });
  });

  it('-halfclose with keep-alive off shuts down writing after the request', async () => {
    let sawEnd = 0;
    const srv = await S.startRawServer((_req, s) => {
      s.once('end', () => {
        sawEnd++;
        s.end(S.OK_RESPONSE);
      });
    });
    servers.push(srv);
    const { codes, stats } = await runnableCalls({ url: srv.url, keepAlive: false, halfClose: true }, 2);
    expect(codes).toEqual([200, 200]);
    expect(sawEnd).toBe(2);
    expect(stats.sockets).toBe(2);
  });

  // Several clients of one thread write the requests of a turn together (writeBatch.ts).
  async function clientsOfOneThread(input: Parameters<typeof makeHttpOptions>[0], clients: number, calls: number): Promise<number[]> {
    const { options } = makeHttpOptions(input);
    const runnables = await Promise.all(Array.from({ length: clients }, (_, t) => createRunnable(t, options)));
    const codes: number[] = [];
    await Promise.all(
      runnables.map(async (r) => {
        for (let i = 0; i < calls; i++) codes.push((await r.run(false)).code);
        await r.close();
      }),
    );
    return codes;
  }

  it('several clients of one thread: every request written whole and once, each on its own connection', async () => {
    const perConn = new Map<net.Socket, string[]>();
    const srv = await S.startRawServer((req, s) => {
      perConn.set(s, [...(perConn.get(s) ?? []), req.head]);
      s.write(S.OK_RESPONSE);
    });
    servers.push(srv);
    const codes = await clientsOfOneThread({ url: srv.url }, 4, 25);
    expect(codes).toEqual(Array(100).fill(200));
    expect(srv.connections).toBe(4);
    expect([...perConn.values()].map((h) => h.length)).toEqual([25, 25, 25, 25]);
    for (const heads of perConn.values()) for (const h of heads) expect(h).toMatch(/^GET \/ HTTP\/1\.1\r\nHost: /);
  });

  it('-halfclose with several clients of one thread: each request is written before its end', async () => {
    let ends = 0;
    const srv = await S.startRawServer((_req, s) => {
      s.once('end', () => {
        ends++;
        s.end(S.OK_RESPONSE);
      });
    });
    servers.push(srv);
    const codes = await clientsOfOneThread({ url: srv.url, keepAlive: false, halfClose: true }, 3, 2);
    expect(codes).toEqual(Array(6).fill(200));
    expect(ends).toBe(6);
  });

  it('skips an unsolicited 100 Continue (undici 7 rejects it)', async () => {
    const interim = S.httpResponse(100, 'Continue', []);
    const srv = await S.startInterimServer(interim);
    servers.push(srv);
    const { codes, stats } = await runnableCalls({ url: srv.url }, 2);
    expect(codes).toEqual([200, 200]);
    expect(stats.headerSizes.counter.max).toBe(interim.length + S.OK_HEADER_SIZE);
    expect(stats.sockets).toBe(1);
  });
});
