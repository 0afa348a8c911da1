/**
 * What the sidecar adds and writes, compared with Istio's task pages: the egress task's
 * `curl http://httpbin.org/headers` (docs/tasks/traffic-management/egress/egress-control) and
 * the circuit-breaking task's `fortio load -curl` response head; virtual host selection by
 * authority (Envoy's route table: a VirtualService routes only its hosts); and the target's
 * httpbin answers as postmanlabs/httpbin writes them (httpbin/helpers.py get_headers, get_dict;
 * Flask 1.0 jsonify with JSONIFY_PRETTYPRINT_REGULAR).
 */
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startTarget } from '../../src/rehearsal/index.js';
import { HTTPBIN_TIMEOUT_VS, httpbinOrgEntry } from '../helpers/meshFixtures.js';
import { httpbinHeaderName, httpbinJson } from '../../src/rehearsal/target.js';
import { virtualService } from '../helpers/meshFixtures.js';
import { startRig } from '../helpers/rehearsalServers.js';

/** One request written as is; resolves with the raw response (head and body) once the body is complete. */
function raw(port: number, head: string): Promise<{ head: string[]; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(head));
    let got = Buffer.alloc(0);
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      const text = got.toString('latin1');
      const i = text.indexOf('\r\n\r\n');
      if (i < 0) return;
      const lines = text.slice(0, i).split('\r\n');
      const cl = lines.find((l) => l.toLowerCase().startsWith('content-length:'));
      const want = cl ? Number(cl.split(':')[1]) : 0;
      if (got.length - (i + 4) >= want) {
        sock.destroy();
        resolve({ head: lines, body: got.subarray(i + 4, i + 4 + want).toString('utf8') });
      }
    });
    sock.on('error', reject);
  });
}


describe('headers through the sidecar (Istio 1.30)', () => {
  it('egress task: httpbin sees the B3 context, the attempt count and the decorator operation, names as httpbin writes them', async () => {
    const rig = await startRig({ vs: HTTPBIN_TIMEOUT_VS, clusterNameOverride: 'outbound|80||httpbin.org' });
    try {
      const r = await raw(rig.sidecar.address.port, 'GET /headers HTTP/1.1\r\nHost: httpbin.org\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n');
      const h = (JSON.parse(r.body) as { headers: Record<string, string> }).headers;
      expect(Object.keys(h)).toEqual([
        'Accept',
        'Host',
        'User-Agent',
        'X-B3-Sampled',
        'X-B3-Spanid',
        'X-B3-Traceid',
        'X-Envoy-Attempt-Count',
        'X-Envoy-Decorator-Operation',
        'X-Envoy-Expected-Rq-Timeout-Ms',
      ]);
      expect(h['X-Envoy-Decorator-Operation']).toBe('httpbin.org:80/*');
      expect(h['X-Envoy-Attempt-Count']).toBe('1');
      expect(h['X-B3-Traceid']).toMatch(/^[0-9a-f]{32}$/);
      expect(h['X-B3-Spanid']).toMatch(/^[0-9a-f]{16}$/);
      expect(h['X-B3-Sampled']).toMatch(/^[01]$/);
      expect(h['X-Envoy-Expected-Rq-Timeout-Ms']).toBe('3000');
    } finally {
      await rig.close();
    }
  });

  it('circuit-breaking task: the response head is lowercase, server: envoy in place, no connection header, service time last', async () => {
    const rig = await startRig({});
    try {
      const r = await raw(rig.sidecar.address.port, 'GET /get HTTP/1.1\r\nHost: httpbin:8000\r\nUser-Agent: fortio.org/fortio-1.69.5\r\n\r\n');
      expect(r.head[0]).toBe('HTTP/1.1 200 OK');
      const names = r.head.slice(1).map((l) => l.slice(0, l.indexOf(':')));
      expect(names).toEqual(['server', 'date', 'content-type', 'content-length', 'access-control-allow-origin', 'access-control-allow-credentials', 'x-envoy-upstream-service-time']);
      expect(r.head[1]).toBe('server: envoy');
    } finally {
      await rig.close();
    }
  });

  it('a local reply: content-length, content-type, date, server: envoy, no connection header', async () => {
    const rig = await startRig({ vs: virtualService('fault:\n  abort:\n    httpStatus: 503\n    percentage:\n      value: 100') });
    try {
      const r = await raw(rig.sidecar.address.port, 'GET /get HTTP/1.1\r\nHost: httpbin:8000\r\n\r\n');
      expect(r.head[0]).toBe('HTTP/1.1 503 Service Unavailable');
      expect(r.head.slice(1).map((l) => l.slice(0, l.indexOf(':')))).toEqual(['content-length', 'content-type', 'date', 'server']);
      expect(r.body).toBe('fault filter abort');
    } finally {
      await rig.close();
    }
  });

  it('a VirtualService routes only its hosts: another authority takes the service’s default route', async () => {
    const rig = await startRig({ vs: virtualService('fault:\n  abort:\n    httpStatus: 418\n    percentage:\n      value: 100') });
    try {
      const status = async (host: string): Promise<string> => (await raw(rig.sidecar.address.port, `GET /get HTTP/1.1\r\nHost: ${host}\r\n\r\n`)).head[0] as string;
      expect(await status('httpbin:8000')).toMatch(/^HTTP\/1\.1 418/);
      expect(await status('httpbin.default.svc.cluster.local')).toMatch(/^HTTP\/1\.1 418/);
      // The app calling the emulator's own address stands for the service name.
      expect(await status(`127.0.0.1:${rig.sidecar.address.port}`)).toMatch(/^HTTP\/1\.1 418/);
      expect(await status('reviews:9080')).toBe('HTTP/1.1 200 OK');
    } finally {
      await rig.close();
    }
  });
});

describe("the target's httpbin answers", () => {
  it('header names as werkzeug canonicalises them (Python str.title)', () => {
    expect(['x-b3-traceid', 'user-agent', 'X-ENVOY-ATTEMPT-COUNT', 'x-3d-thing', 'foo_bar'].map(httpbinHeaderName)).toEqual(['X-B3-Traceid', 'User-Agent', 'X-Envoy-Attempt-Count', 'X-3D-Thing', 'Foo-Bar']);
  });

  it('JSON as Flask 1.0 jsonify pretty-prints it: sorted keys, ", " line ends, ASCII only', () => {
    expect(httpbinJson({ url: 'u', args: {}, headers: { B: 'é', A: '1' } })).toBe('{\n  "args": {}, \n  "headers": {\n    "A": "1", \n    "B": "\\u00e9"\n  }, \n  "url": "u"\n}\n');
  });

  it('/get hides the proxy headers (ENV_HEADERS) unless show_env, origin from X-Forwarded-For, scheme from X-Forwarded-Proto', async () => {
    const t = await startTarget({});
    try {
      const r = await raw(t.address.port, 'GET /get?a=1 HTTP/1.1\r\nHost: httpbin.org\r\nX-Request-Id: abc\r\nX-Forwarded-Proto: https\r\nX-Forwarded-For: 10.1.2.3\r\n\r\n');
      expect(r.head.slice(1, 3).map((l) => l.slice(0, l.indexOf(':')))).toEqual(['Server', 'Date']);
      expect(r.body).toBe('{\n  "args": {\n    "a": "1"\n  }, \n  "headers": {\n    "Host": "httpbin.org"\n  }, \n  "origin": "10.1.2.3", \n  "url": "https://httpbin.org/get?a=1"\n}\n');
      const env = await raw(t.address.port, 'GET /headers?show_env=1 HTTP/1.1\r\nHost: httpbin.org\r\nX-Request-Id: abc\r\n\r\n');
      expect(JSON.parse(env.body)).toEqual({ headers: { Host: 'httpbin.org', 'X-Request-Id': 'abc' } });
    } finally {
      await t.close();
    }
  });
});


/** The string fields of a google.protobuf.Struct (one level: a nested Struct is skipped). */
function structStrings(b: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  const varint = (): number => {
    let n = 0;
    let shift = 0;
    for (;;) {
      const byte = b[i++] as number;
      n |= (byte & 0x7f) << shift;
      if (byte < 0x80) return n;
      shift += 7;
    }
  };
  while (i < b.length) {
    i++; // field 1, length-delimited: a map entry
    const end = varint() + i;
    i++; // key
    const key = b.subarray(i + 1, i + 1 + (b[i] as number)).toString();
    i += 1 + (b[i] as number);
    i++; // value
    varint();
    const kind = b[i++] as number;
    const len = varint();
    if (kind === 0x1a) out[key] = b.subarray(i, i + len).toString();
    i = end;
  }
  return out;
}

// Istio's sidecar outbound HTTP filter istio.metadata_exchange propagates istio_headers
// (pilot/pkg/xds/filters/filters.go SidecarOutboundMetadataFilter); telemetry v2 is the default
// from Istio 1.5 (1.5.0 operator/data/profiles/default.yaml). The egress task page shows both
// headers after X-Envoy-Decorator-Operation; in the mesh the server's sidecar consumes them.
describe('metadata exchange headers (x-envoy-peer-metadata, -id)', () => {
  async function headersSeen(istioVersion: string, location: string): Promise<Record<string, string>> {
    const rig = await startRig({ se: httpbinOrgEntry(location), istioVersion, servicePort: 80 });
    try {
      const r = await raw(rig.sidecar.address.port, 'GET /headers HTTP/1.1\r\nHost: httpbin.org\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n');
      return (JSON.parse(r.body) as { headers: Record<string, string> }).headers;
    } finally {
      await rig.close();
    }
  }

  it('Istio 1.5 and 1.30, MESH_EXTERNAL: both sent, the node metadata as a base64 Struct', async () => {
    for (const v of ['1.5', '1.30']) {
      const h = await headersSeen(v, 'MESH_EXTERNAL');
      expect(h['X-Envoy-Peer-Metadata-Id']).toBe('sidecar~127.0.0.1~rehearsal.default~default.svc.cluster.local');
      const meta = structStrings(Buffer.from(h['X-Envoy-Peer-Metadata'] ?? '', 'base64'));
      expect(meta).toMatchObject({ ISTIO_VERSION: `${v}.0`, NAMESPACE: 'default', NAME: 'rehearsal', MESH_ID: 'cluster.local' });
      const keys = Object.keys(h);
      expect(keys.indexOf('X-Envoy-Peer-Metadata')).toBe(keys.indexOf('X-Envoy-Decorator-Operation') + 1);
    }
  });

  it('Istio 1.4 (Mixer, telemetry v1): none', async () => {
    const h = await headersSeen('1.4', 'MESH_EXTERNAL');
    expect(h['X-Envoy-Decorator-Operation']).toBe('httpbin.org:80/*');
    expect(h['X-Envoy-Peer-Metadata']).toBeUndefined();
    expect(h['X-Envoy-Peer-Metadata-Id']).toBeUndefined();
  });

  it('MESH_INTERNAL: the server-side sidecar would consume them, so the app sees none', async () => {
    const h = await headersSeen('1.30', 'MESH_INTERNAL');
    expect(h['X-Envoy-Peer-Metadata']).toBeUndefined();
  });
});
