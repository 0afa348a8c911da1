/**
 * `tripbench server -cert -key [-mtls -cacert]` (issue 20): fortio's server TLS flags on the HTTP
 * port, HTTPS with ALPN h2 and http/1.1. mTLS verified on both sides through the real CLI
 * clients (default, -stdclient, -h2, curl): the CA-signed client certificate gets 200s, no
 * certificate or one from another CA is refused (-1), a client that does not trust the server's
 * CA fails. Certificates made with node-forge at test start; real sockets on 127.0.0.1.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServer } from '../../src/cli/server.js';
import type { TargetHandle } from '../../src/rehearsal/index.js';
import { runCli } from '../helpers/cli.js';
import { makeMtlsFiles, type MtlsFiles } from '../helpers/testCerts.js';
import { needFortio } from '../helpers/tools.js';
import { waitFor } from '../helpers/waitFor.js';

interface Running { url: string; out: string[]; stop: () => Promise<number> }

async function startServer(args: string[]): Promise<Running> {
  let release!: () => void;
  const stopped = new Promise<void>((r) => (release = r));
  const out: string[] = [];
  let t: TargetHandle | undefined;
  const done = runServer(['-listen', '127.0.0.1:0', '-tcp-port', 'disabled', '-udp-port', 'disabled', ...args], { stderr: (s) => out.push(s), stopped }, (h) => (t = h));
  let failed: unknown;
  done.catch((e: unknown) => (failed = e));
  await waitFor(() => t !== undefined || failed !== undefined, 'the server to start');
  if (failed !== undefined) throw failed;
  return {
    url: (t as TargetHandle).url,
    out,
    stop: async () => {
      release();
      return done;
    },
  };
}

let f: MtlsFiles;
beforeAll(() => {
  f = makeMtlsFiles();
});

const CLIENTS: [string, string[]][] = [
  ['default client', []],
  ['-stdclient', ['-stdclient']],
  ['-h2', ['-h2']],
];

function json(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}

describe('tripbench server -cert -key: HTTPS, h2 and http/1.1 by ALPN', () => {
  let s: Running;
  beforeAll(async () => {
    s = await startServer(['-cert', f.server, '-key', f.serverKey]);
  });
  afterAll(async () => {
    expect(await s.stop()).toBe(0);
  });

  it('says it serves TLS, on an https:// URL', () => {
    expect(s.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(s.out.join('')).toContain(`listening on ${s.url} (TLS with ${f.server})`);
  });

  it.each(CLIENTS)('load (%s) -cacert: all 200', async (_name, extra) => {
    const r = await runCli(['load', ...extra, '-qps', '0', '-n', '6', '-c', '2', '-json', '-', '-cacert', f.ca, `${s.url}/`]);
    expect(r.code).toBe(0);
    expect(json(r.stdout)['RetCodes']).toEqual({ '200': 6 });
  });

  it('curl -h2 is served over HTTP/2, curl over HTTP/1.1', async () => {
    const h2 = await runCli(['curl', '-h2', '-cacert', f.ca, `${s.url}/debug`]);
    expect(h2.code).toBe(0);
    expect(h2.stdout).toContain('GET /debug HTTP/2.0');
    const h1 = await runCli(['curl', '-cacert', f.ca, `${s.url}/debug`]);
    expect(h1.code).toBe(0);
    expect(h1.stdout).toContain('GET /debug HTTP/1.1');
  });

  it('a client that does not trust the server CA fails: -1', async () => {
    const r = await runCli(['load', '-qps', '0', '-n', '2', '-c', '1', '-json', '-', '-cacert', f.otherCa, `${s.url}/`]);
    expect(r.code).toBe(0);
    expect(json(r.stdout)['RetCodes']).toEqual({ '-1': 2 });
  });
});

describe('tripbench server -cert -key -mtls -cacert: mutual TLS', () => {
  let s: Running;
  beforeAll(async () => {
    s = await startServer(['-cert', f.server, '-key', f.serverKey, '-mtls', '-cacert', f.ca]);
  });
  afterAll(async () => {
    expect(await s.stop()).toBe(0);
  });

  it('says client certificates are verified', () => {
    expect(s.out.join('')).toContain(`(mutual TLS with ${f.server}, client certificates verified against ${f.ca})`);
  });

  it.each(CLIENTS)('load (%s) with the CA-signed client cert: all 200, and the JSON shows the flags', async (_name, extra) => {
    const r = await runCli(['load', ...extra, '-qps', '0', '-n', '6', '-c', '2', '-json', '-', '-cacert', f.ca, '-cert', f.good, '-key', f.goodKey, `${s.url}/`]);
    expect(r.code).toBe(0);
    const j = json(r.stdout);
    expect(j['RetCodes']).toEqual({ '200': 6 });
    expect(j).toMatchObject({ CACert: f.ca, Cert: f.good, Key: f.goodKey, MTLS: false });
  });

  it.each(CLIENTS)('load (%s) without a client cert, or with one from another CA: refused, -1 and an error line', async (_name, extra) => {
    for (const creds of [[], ['-cert', f.stranger, '-key', f.strangerKey]]) {
      const r = await runCli(['load', ...extra, '-qps', '0', '-n', '2', '-c', '1', '-json', '-', '-cacert', f.ca, ...creds, `${s.url}/`]);
      expect(r.code).toBe(0);
      expect(json(r.stdout)['RetCodes']).toEqual({ '-1': 2 });
      // fortio-style error lines (JSON logs: stderr is no TTY), e.g. "Unable to connect" / read error
      expect(r.stderr).toMatch(/"level":"(err|warn)"/);
    }
  });

  it('load with the good client cert but not trusting the server CA: -1', async () => {
    const r = await runCli(['load', '-qps', '0', '-n', '2', '-c', '1', '-json', '-', '-cert', f.good, '-key', f.goodKey, `${s.url}/`]);
    expect(json(r.stdout)['RetCodes']).toEqual({ '-1': 2 });
  });

  it('curl: 200 with the good cert (HTTP/1.1 and -h2), refused without', async () => {
    for (const extra of [[], ['-h2']]) {
      const ok = await runCli(['curl', ...extra, '-cacert', f.ca, '-cert', f.good, '-key', f.goodKey, `${s.url}/get`]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('"url"');
      const refused = await runCli(['curl', ...extra, '-cacert', f.ca, `${s.url}/get`]);
      expect(refused.code).toBe(1);
    }
  });

  it('-mtls is recorded in the JSON as fortio does (the flag as given; no effect on the client)', async () => {
    const r = await runCli(['load', '-mtls', '-qps', '0', '-n', '1', '-c', '1', '-json', '-', '-cacert', f.ca, '-cert', f.good, '-key', f.goodKey, `${s.url}/`]);
    expect(json(r.stdout)).toMatchObject({ MTLS: true, RetCodes: { '200': 1 } });
  });
});

describe('bad server TLS flags: one line naming the flag, exit 1', () => {
  const cases: [string[], string][] = [
    [['-cert', '/nonexistent/s.pem', '-key', '/nonexistent/s.key'], 'invalid value "/nonexistent/s.pem" for flag -cert: ENOENT'],
    [['-cert', 'SERVER'], 'for flag -cert: -cert needs -key'],
    [['-key', 'SERVERKEY'], 'for flag -key: -key needs -cert'],
    [['-cert', 'SERVER', '-key', 'CA'], 'for flag -key: no PEM private key in this file'],
    [['-cert', 'SERVER', '-key', 'GOODKEY'], 'for flag -key: '],
    [['-cert', 'SERVER', '-key', 'SERVERKEY', '-mtls'], '-mtls needs -cacert'],
    [['-mtls', '-cacert', 'CA'], '-mtls needs -cert and -key'],
    [['-cert', 'SERVER', '-key', 'SERVERKEY', '-cacert', 'CA'], 'for flag -cacert: on tripbench server -cacert verifies client certificates, it needs -mtls'],
    [['-cert', 'SERVER', '-key', 'SERVERKEY', '-mtls', '-cacert', 'SERVERKEY'], 'for flag -cacert: no PEM certificate in this file'],
    [['-cert', 'SERVER', '-key', 'SERVERKEY', '-tls-hosts', 'example.com'], '-tls-hosts and -cert both give the HTTPS certificate'],
  ];
  it.each(cases)('%j', async (args, message) => {
    const subst = (a: string): string => ({ SERVER: f.server, SERVERKEY: f.serverKey, CA: f.ca, GOODKEY: f.goodKey })[a] ?? a;
    const r = await runCli(['server', '-listen', '127.0.0.1:0', '-tcp-port', 'disabled', '-udp-port', 'disabled', ...args.map(subst)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

// fortio itself as the client (v1.33 in /work/shared/tools; FORTIO_BIN or `fortio` on PATH elsewhere).
const FORTIO = needFortio();

describe('the real fortio client against tripbench server -mtls', () => {
  let s: Running;
  beforeAll(async () => {
    s = await startServer(['-cert', f.server, '-key', f.serverKey, '-mtls', '-cacert', f.ca]);
  });
  afterAll(async () => {
    expect(await s.stop()).toBe(0);
  });

  // Asynchronous: the server under test runs in this process's event loop.
  function fortio(args: string[]): Promise<string> {
    return new Promise((resolve) => {
      execFile(FORTIO.path, args, { encoding: 'utf8', timeout: 60_000 }, (_e, stdout, stderr) => resolve(`${stdout}${stderr}`));
    });
  }

  it.skipIf(FORTIO.skip)(FORTIO.title('fortio load with -cacert -cert -key: 200s (fast client and -stdclient); without the cert: refused'), async () => {
    for (const extra of [[], ['-stdclient']]) {
      const ok = await fortio(['load', ...extra, '-qps', '0', '-n', '10', '-c', '2', '-cacert', f.ca, '-cert', f.good, '-key', f.goodKey, `${s.url}/`]);
      expect(ok).toContain('Code 200 : 10 (100.0 %)');
    }
    const refused = await fortio(['load', '-qps', '0', '-n', '2', '-c', '1', '-cacert', f.ca, `${s.url}/`]);
    expect(refused).toContain('Code  -1 : 2 (100.0 %)');
    expect(refused).toMatch(/tls: certificate required|bad certificate|handshake/);
    const stranger = await fortio(['load', '-qps', '0', '-n', '2', '-c', '1', '-cacert', f.ca, '-cert', f.stranger, '-key', f.strangerKey, `${s.url}/`]);
    expect(stranger).toContain('Code  -1 : 2 (100.0 %)');
  });
});

describe('tripbench server -cert -key -mtls -cacert: the gRPC port too (fortio serves both ports with one TLSOptions)', () => {
  let s: Running;
  let grpcTarget: string;
  beforeAll(async () => {
    s = await startServer(['-grpc-port', '127.0.0.1:0', '-cert', f.server, '-key', f.serverKey, '-mtls', '-cacert', f.ca]);
    const m = /gRPC ping \+ health listening on (127\.0\.0\.1:\d+) \(mutual TLS\)/.exec(s.out.join(''));
    expect(m, s.out.join('')).not.toBeNull();
    grpcTarget = (m as RegExpExecArray)[1] as string;
  });
  afterAll(async () => {
    expect(await s.stop()).toBe(0);
  });

  it('load -grpc -ping with the CA-signed client certificate: all SERVING', async () => {
    const r = await runCli(['load', '-grpc', '-ping', '-qps', '0', '-n', '6', '-c', '2', '-json', '-', '-cacert', f.ca, '-cert', f.good, '-key', f.goodKey, grpcTarget]);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout)['RetCodes']).toEqual({ SERVING: 6 });
  });

  it.each([
    ['no client certificate', [] as string[]],
    ['a client certificate from another CA', ['-cert', 'STRANGER', '-key', 'STRANGER_KEY']],
  ])('load -grpc with %s: every call is ERROR', async (_name, extra) => {
    const args = extra.map((a) => (a === 'STRANGER' ? f.stranger : a === 'STRANGER_KEY' ? f.strangerKey : a));
    const r = await runCli(['load', '-grpc', '-qps', '0', '-n', '2', '-c', '1', '-json', '-', '-cacert', f.ca, ...args, grpcTarget]);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout)['RetCodes']).toEqual({ ERROR: 2 });
  });
});
