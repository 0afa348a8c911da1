/**
 * -cert / -key (issue 20, part 1): mTLS without a sidecar. A real Node https server on loopback
 * that requires a client certificate signed by its CA (requestCert, rejectUnauthorized); all
 * certificates made with node-forge (test/helpers/testCerts.ts). The good client cert gets 200 (the server sees its
 * CN); no cert and a cert from another CA are refused (-1). Through the CLI, default client
 * and -stdclient (https:// always goes through undici).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { issue } from '../helpers/testCerts.js';

let server: Server;
let url: string;
const files: Record<string, string> = {};
const seen: string[] = [];

beforeAll(async () => {
  const ca = issue('mtls test CA', 'ca');
  const other = issue('other CA', 'ca');
  const srv = issue('127.0.0.1', 'server', ca);
  const good = issue('good-client', 'client', ca);
  const stranger = issue('stranger-client', 'client', other);
  const dir = mkdtempSync(join(tmpdir(), 'tb-mtls-'));
  const put = (name: string, text: string): void => {
    files[name] = join(dir, name);
    writeFileSync(files[name], text);
  };
  put('ca.pem', ca.certPem);
  put('good.pem', good.certPem);
  put('good.key', good.keyPem);
  put('stranger.pem', stranger.certPem);
  put('stranger.key', stranger.keyPem);
  server = createServer({ cert: srv.certPem, key: srv.keyPem, ca: ca.certPem, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    const peer = (req.socket as TLSSocket).getPeerCertificate();
    seen.push(String(peer.subject?.CN ?? ''));
    res.end(`hello ${String(peer.subject?.CN ?? '')}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no address');
  url = `https://127.0.0.1:${addr.port}/`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe.each([[[] as string[]], [['-stdclient']]])('mTLS with %j', (extra) => {
  it('the CA-signed client cert gets 200 and the server sees its CN', async () => {
    const r = await runCli(['curl', ...extra, '-cacert', files['ca.pem']!, '-cert', files['good.pem']!, '-key', files['good.key']!, url]);
    expect(r.stderr).not.toContain('Error');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('hello good-client');
    expect(seen).toContain('good-client');
  });

  it('load with the good cert: all 200', async () => {
    const r = await runCli(['load', ...extra, '-qps', '0', '-n', '4', '-c', '2', '-json', '-', '-cacert', files['ca.pem']!, '-cert', files['good.pem']!, '-key', files['good.key']!, url]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).RetCodes).toEqual({ '200': 4 });
  });

  it('no client cert, or one from another CA: refused, -1', async () => {
    for (const creds of [[], ['-cert', files['stranger.pem']!, '-key', files['stranger.key']!]]) {
      const r = await runCli(['load', ...extra, '-qps', '0', '-n', '2', '-c', '1', '-json', '-', '-cacert', files['ca.pem']!, ...creds, url]);
      const codes = JSON.parse(r.stdout).RetCodes as Record<string, number>;
      expect(codes['200']).toBeUndefined();
      expect(codes['-1']).toBe(2);
    }
  });
});

describe('bad -cert / -key', () => {
  it('a missing file or a lone flag is one line naming the flag, exit non-zero, no stack', async () => {
    const missing = await runCli(['curl', '-cert', '/nonexistent/c.pem', '-key', files['good.key']!, url]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('invalid value "/nonexistent/c.pem" for flag -cert');
    expect(missing.stderr).not.toMatch(/\n\s+at /);
    const badKey = await runCli(['curl', '-cert', files['good.pem']!, '-key', files['ca.pem']!, url]);
    expect(badKey.code).not.toBe(0);
    expect(badKey.stderr).toContain(`invalid value "${files['ca.pem']!}" for flag -key: no PEM private key in this file`);
    const lone = await runCli(['curl', '-cert', files['good.pem']!, url]);
    expect(lone.code).not.toBe(0);
    expect(lone.stderr).toContain('for flag -cert: -cert needs -key');
  });
});
