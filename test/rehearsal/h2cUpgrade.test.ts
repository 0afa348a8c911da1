/**
 * The h2c upgrade on the target's plain HTTP port (issue 20), as Go's x/net/http2/h2c serves it:
 * `Upgrade: h2c` + `HTTP2-Settings` gets 101, the upgraded request's response comes on stream 1,
 * the connection goes on as HTTP/2 (stream 3). By hand on a raw socket (frames read back), and
 * with curl --http2 when curl is installed.
 */
import { execFile } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type TargetHandle } from '../../src/rehearsal/target.js';
import { needTool } from '../helpers/tools.js';
import { waitFor } from '../helpers/waitFor.js';

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

interface Frame { type: number; flags: number; stream: number; payload: Buffer }

function frame(type: number, flags: number, stream: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(9);
  h.writeUIntBE(payload.length, 0, 3);
  h[3] = type;
  h[4] = flags;
  h.writeUInt32BE(stream, 5);
  return Buffer.concat([h, payload]);
}

/** HPACK literal fields without indexing, short names and values only (< 127 bytes). */
function hpack(fields: [string, string][]): Buffer {
  return Buffer.concat(fields.flatMap(([k, v]) => [Buffer.from([0, k.length]), Buffer.from(k), Buffer.from([v.length]), Buffer.from(v)]));
}

/** A raw client: everything read is kept; `frames()` parses what came after the 101. */
class RawClient {
  readonly socket: Socket;
  data = Buffer.alloc(0);
  closed = false;
  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.on('data', (c: Buffer) => (this.data = Buffer.concat([this.data, c])));
    this.socket.on('close', () => (this.closed = true));
  }
  headEnd(): number {
    return this.data.indexOf('\r\n\r\n');
  }
  frames(): Frame[] {
    const out: Frame[] = [];
    let b = this.data.subarray(this.headEnd() + 4);
    while (b.length >= 9 && b.length >= 9 + b.readUIntBE(0, 3)) {
      const len = b.readUIntBE(0, 3);
      out.push({ type: b[3] as number, flags: b[4] as number, stream: b.readUInt32BE(5) & 0x7fffffff, payload: b.subarray(9, 9 + len) });
      b = b.subarray(9 + len);
    }
    return out;
  }
  body(stream: number): string {
    return Buffer.concat(this.frames().filter((f) => f.type === 0 && f.stream === stream).map((f) => f.payload)).toString();
  }
  ended(stream: number): boolean {
    return this.frames().some((f) => f.stream === stream && (f.type === 0 || f.type === 1) && (f.flags & 1) !== 0);
  }
}

// SETTINGS_MAX_CONCURRENT_STREAMS = 100, as curl sends it (base64url of the SETTINGS payload)
const SETTINGS_PAYLOAD = Buffer.from([0, 3, 0, 0, 0, 100]);

describe('h2c upgrade on the target', () => {
  let t: TargetHandle;
  let port = 0;
  beforeAll(async () => {
    t = await startTarget({ seed: 3 });
    port = t.address.port;
  });
  afterAll(async () => {
    await t.close();
  });

  it('by hand: 101, the response on stream 1, one SETTINGS ACK, then stream 3 on the same connection', async () => {
    const c = new RawClient(port);
    c.socket.write(
      'GET /debug?x=1 HTTP/1.1\r\nHost: upgrade.test\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n' +
        `HTTP2-Settings: ${SETTINGS_PAYLOAD.toString('base64url')}\r\nX-Mine: yes\r\n\r\n`,
    );
    await waitFor(() => c.headEnd() >= 0, 'the 101');
    expect(c.data.subarray(0, c.headEnd()).toString()).toBe('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c');
    // After the 101 the client sends its preface and its SETTINGS (RFC 7540 §3.5).
    c.socket.write(Buffer.concat([PREFACE, frame(4, 0, 0, SETTINGS_PAYLOAD)]));
    await waitFor(() => c.ended(1), 'the response on stream 1');
    const body1 = c.body(1);
    expect(body1).toContain('GET /debug?x=1 HTTP/2.0');
    expect(body1).toContain('host: upgrade.test');
    expect(body1).toContain('x-mine: yes');
    expect(body1).not.toMatch(/^(upgrade|http2-settings|connection):/im);
    const f = c.frames();
    expect(f[0]).toMatchObject({ type: 4, flags: 0, stream: 0 }); // the server's SETTINGS first
    expect(f.some((x) => x.type === 1 && x.stream === 1)).toBe(true); // HEADERS on stream 1
    // The connection is HTTP/2 now: stream 3.
    c.socket.write(frame(1, 0x5, 3, hpack([[':method', 'GET'], [':scheme', 'http'], [':path', '/status/418'], [':authority', 'upgrade.test']])));
    await waitFor(() => c.ended(3), 'the response on stream 3');
    expect(c.frames().some((x) => x.type === 1 && x.stream === 3)).toBe(true);
    // the 101 acknowledged the HTTP2-Settings: only the real SETTINGS frame (sent before stream 3) gets an ACK
    expect(c.frames().filter((x) => x.type === 4 && (x.flags & 1) !== 0)).toHaveLength(1);
    expect(c.closed).toBe(false);
    c.socket.destroy();
  });

  it('by hand: a small body goes with the upgraded request (POST on stream 1)', async () => {
    const c = new RawClient(port);
    c.socket.write(
      'POST /debug HTTP/1.1\r\nHost: u\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: \r\nContent-Length: 11\r\n\r\nhello h2c!\n',
    );
    await waitFor(() => c.headEnd() >= 0, 'the 101');
    expect(c.data.toString('latin1', 0, 12)).toBe('HTTP/1.1 101');
    c.socket.write(Buffer.concat([PREFACE, frame(4, 0, 0)]));
    await waitFor(() => c.ended(1), 'the response on stream 1');
    expect(c.body(1)).toContain('POST /debug HTTP/2.0');
    expect(c.body(1)).toContain('hello h2c!');
    c.socket.destroy();
  });

  it('a bad HTTP2-Settings gets 500 (as Go), another Upgrade an HTTP/1.1 answer', async () => {
    const bad = new RawClient(port);
    bad.socket.write('GET / HTTP/1.1\r\nHost: u\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAM\r\n\r\n');
    await waitFor(() => bad.closed, 'the close');
    expect(bad.data.toString()).toMatch(/^HTTP\/1\.1 500 /);
    const ws = new RawClient(port);
    ws.socket.write('GET /status/418 HTTP/1.1\r\nHost: u\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    await waitFor(() => ws.closed, 'the close');
    expect(ws.data.toString()).toMatch(/^HTTP\/1\.1 418 /);
  });
});

const CURL = needTool('curl', 'curl');

describe('curl --http2 (upgrade, no prior knowledge)', () => {
  let t: TargetHandle;
  beforeAll(async () => {
    t = await startTarget({ seed: 3 });
  });
  afterAll(async () => {
    await t.close();
  });

  it.skipIf(CURL.skip)(CURL.title('gets 101, then HTTP/2 200s for two requests on one connection'), async () => {
    const out = await new Promise<string>((resolve) => {
      // Asynchronous: the target runs in this process's event loop.
      execFile(CURL.path, ['-sv', '--http2', `${t.url}/debug`, `${t.url}/status/418`], { encoding: 'utf8', timeout: 60_000 }, (_e, stdout, stderr) => resolve(`${stdout}${stderr}`));
    });
    expect(out).toContain('< HTTP/1.1 101 Switching Protocols');
    expect(out).toContain('< HTTP/2 200');
    expect(out).toContain('GET /debug HTTP/2.0');
    expect(out).toContain('< HTTP/2 418');
    expect(out).toContain('Re-using existing connection');
    expect(t.connections()).toBe(1);
  });
});
