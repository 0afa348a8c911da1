/**
 * The canary for src/http/undiciPinned.ts: what the undici client takes from undici beyond its
 * documented API. When an undici upgrade breaks one of these, this file fails first; re-check the
 * adapter against the new undici before moving the exact pin in package.json.
 */
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, buildConnector } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { UNDICI_VERSION, keepIdleOptions, tapParserReads } from '../../src/http/undiciPinned.js';
import * as S from '../helpers/servers.js';

const toClose: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  await Promise.all(toClose.splice(0).map((c) => c.close()));
});

/** An undici Client on one connection whose sockets come from our connector, as undiciClient.ts makes them. */
function tappedClient(url: string, onSocket: (s: Socket) => void, extra: Client.Options = {}): Client {
  const connector = buildConnector({});
  const client = new Client(new URL(url).origin, {
    pipelining: 1,
    connect: (opts, cb) =>
      connector(opts, (err, socket) => {
        if (err !== null) return cb(err, null);
        onSocket(socket);
        cb(null, socket);
      }),
    ...extra,
  });
  toClose.push(client);
  return client;
}

async function get(client: Client): Promise<number> {
  const res = await client.request({ path: '/', method: 'GET' });
  await res.body.dump();
  return res.statusCode;
}

describe(`undici ${UNDICI_VERSION}, as undiciPinned.ts relies on it`, () => {
  it('is the version package.json pins exactly, and the one installed', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };
    const installed = JSON.parse(readFileSync(new URL('../../node_modules/undici/package.json', import.meta.url), 'utf8')) as { version: string };
    expect([pkg.dependencies.undici, installed.version]).toEqual([UNDICI_VERSION, UNDICI_VERSION]);
  });

  it("reads every byte of an HTTP/1 response through socket.read(), so the tap sees the wire's bytes", async () => {
    // Odd whitespace and a chunked body in small TCP segments: what rawHeaders and the body lose.
    const body = Buffer.from('tapped body, chunk framing included\n', 'latin1');
    const head = Buffer.from('HTTP/1.1 200 Fine  Thanks\r\nTransfer-Encoding:chunked\r\nX-Pad:   spaced   \r\n\r\n', 'latin1');
    const response = Buffer.concat([head, S.chunkedBody(body, [3, 5, 7])]);
    const srv = await S.startChunkedServer(response, 7);
    toClose.push(srv);
    const sockets: Socket[] = [];
    const tapped: Buffer[] = [];
    const client = tappedClient(srv.url, (s) => {
      sockets.push(s);
      tapParserReads(s, (c) => tapped.push(Buffer.from(c)));
    });
    expect([await get(client), await get(client)]).toEqual([200, 200]);
    expect(sockets).toHaveLength(1);
    const all = Buffer.concat(tapped);
    expect(all.length).toBe(sockets[0]?.bytesRead);
    expect(all.equals(Buffer.concat([response, response]))).toBe(true);
  });

  it("keeps an idle connection past the server's Keep-Alive hint with a negative threshold", async () => {
    const srv = await S.startKeepAliveServer(S.lengthResponse(200, 'OK', 'ok', [['Keep-Alive', 'timeout=1']]));
    toClose.push(srv);
    const client = tappedClient(srv.url, () => undefined, keepIdleOptions(600_000));
    expect(await get(client)).toBe(200);
    // Idle longer than the 1 s hint is the behaviour under test (undici's default threshold closes
    // at once, a threshold of 0 after 1 s).
    await sleep(1300);
    expect(await get(client)).toBe(200);
    expect(srv.connections).toBe(1);
  });
});
