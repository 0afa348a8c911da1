/**
 * The canary for src/rehearsal/nodeHttpPinned.ts: the private Node hook the sidecar uses to
 * write Envoy's response head. When a Node upgrade breaks it this file fails first; re-check the
 * adapter against that Node's lib/_http_outgoing.js.
 */
import { createServer, ServerResponse } from 'node:http';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EnvoyServerResponse, NODE_KEEP_ALIVE_LINE, nodeHeadHookPresent } from '../../src/rehearsal/nodeHttpPinned.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function serve(response?: unknown): Promise<number> {
  const server = createServer({ ...(response ? { ServerResponse: response as typeof ServerResponse } : {}), keepAliveTimeout: 0 }, (_req, res) => {
    res.writeHead(200, [['content-length', '2'], ['x-order', 'kept']]);
    res.end('ok');
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** Two requests on one connection; resolves with the raw bytes once both answers are in. */
function twoOnOneSocket(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    let got = '';
    let sent = 1;
    sock.on('connect', () => sock.write('GET /a HTTP/1.1\r\nHost: x\r\n\r\n'));
    sock.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      const answers = got.split('HTTP/1.1 200').length - 1;
      if (answers === 1 && got.endsWith('ok') && sent === 1) {
        sent = 2;
        sock.write('GET /b HTTP/1.1\r\nHost: x\r\n\r\n');
      } else if (answers === 2 && got.endsWith('ok')) {
        sock.end();
        resolve(got);
      }
    });
    sock.on('error', reject);
    sock.on('close', () => (sent === 2 && got.endsWith('ok') ? resolve(got) : reject(new Error(`closed early: ${JSON.stringify(got)}`))));
  });
}

describe(`Node ${process.versions.node}: the response-head hook`, () => {
  it('ServerResponse.prototype._storeHeader exists and composes _header as a string', () => {
    expect(nodeHeadHookPresent()).toBe(true);
    const res = new ServerResponse({ method: 'GET', httpVersionMajor: 1, httpVersionMinor: 1, headers: {} } as never);
    res.shouldKeepAlive = true;
    res.writeHead(200, { 'content-length': '0' });
    const header = (res as unknown as { _header: unknown })._header;
    expect(typeof header).toBe('string');
    expect(header as string).toContain(NODE_KEEP_ALIVE_LINE);
  });

  it('plain Node writes Connection: keep-alive (what the adapter removes)', async () => {
    const raw = await twoOnOneSocket(await serve());
    expect(raw).toContain('Connection: keep-alive\r\n');
  });

  it('EnvoyServerResponse: no connection header, headers in order, and the connection stays open for the next request', async () => {
    const raw = await twoOnOneSocket(await serve(EnvoyServerResponse));
    expect(raw.toLowerCase()).not.toContain('connection:');
    const heads = raw.split('\r\n\r\n').filter((h) => h.startsWith('HTTP/1.1') || h.startsWith('okHTTP/1.1'));
    expect(heads).toHaveLength(2);
    for (const h of heads) expect(h.replace(/^ok/, '').split('\r\n').slice(0, 3)).toEqual(['HTTP/1.1 200 OK', 'content-length: 2', 'x-order: kept']);
  });
});
