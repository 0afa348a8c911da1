/**
 * What reaches the wire for hostile -H / -X / scenario headers: a raw server keeps every byte.
 * A refused input is a usage error (exit 2, the error line names the flag or file:line:col) and
 * sends nothing at all; an accepted one goes out as exactly the request that was asked for, with
 * the lean client and with -stdclient alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { headProblem, startCaptureServer, type CaptureServer } from '../helpers/captureServer.js';
import { USER_AGENT } from '../../src/shared/version.js';

let srv: CaptureServer;
beforeAll(async () => {
  srv = await startCaptureServer();
});
afterAll(() => srv.close());

const HOSTILE: { flag: string; value: string }[] = [
  { flag: 'H', value: 'X-A: b\r\nInjected: 1' },
  { flag: 'X', value: 'GET /smuggled HTTP/1.1\r\nX-Evil: 1\r\n\r\nGET' },
  { flag: 'H', value: 'Host: evil\r\nX: 1' },
  { flag: 'X', value: 'GE T' },
  { flag: 'H', value: 'Bad Name: x' },
  { flag: 'content-type', value: 'text/plain\r\nX-Evil: 1' },
];

describe('hostile -H / -X never reach the wire', () => {
  const cases = HOSTILE.flatMap((h) =>
    ['curl', 'load'].flatMap((cmd) => [false, true].map((std) => ({ ...h, cmd, std }))),
  );
  it.concurrent.each(cases)('$cmd -$flag $value (stdclient $std): exit 2, one error line naming the flag, no byte sent', async ({ cmd, flag, value, std }) => {
    const args = [cmd, ...(std ? ['-stdclient'] : []), ...(cmd === 'load' ? ['-n', '1', '-qps', '0'] : []), `-${flag}`, value, srv.url];
    const r = await runCli(args);
    expect(r.code).toBe(2);
    const [first = '', ...rest] = r.stderr.trimEnd().split('\n');
    expect(first).toMatch(new RegExp(`^tripbench ${cmd}: invalid value ".*" for flag -${flag}: `));
    expect(rest).toEqual([`Run 'tripbench ${cmd} -h' for usage.`]);
    expect(r.stdout).toBe('');
    // every case of this block runs against the same server: not one byte from any of them
    expect(srv.bytes()).toBe('');
  });
});

describe('accepted input goes out as asked', () => {
  it('lean client: the exact bytes, UTF-8 text in a value as UTF-8 bytes (as fortio sends it)', async () => {
    srv.reset();
    const r = await runCli(['curl', '-X', 'PATCH', '-H', 'X-A: b', '-H', 'X-Name: 日本', srv.url]);
    expect(r.code).toBe(0);
    const utf8 = Buffer.from('日本', 'utf8').toString('latin1');
    expect(srv.bytes()).toBe(`PATCH / HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nUser-Agent: ${USER_AGENT}\r\nX-A: b\r\nX-Name: ${utf8}\r\n\r\n`);
  });

  it('-stdclient: the same method and fields (undici orders and cases them its own way)', async () => {
    srv.reset();
    const r = await runCli(['curl', '-stdclient', '-X', 'PATCH', '-H', 'X-A: b', '-H', 'X-Name: 日本', srv.url]);
    expect(r.code).toBe(0);
    const [head = ''] = srv.heads();
    expect(headProblem(head)).toBeUndefined();
    const lines = head.split('\r\n');
    expect(lines[0]).toBe('PATCH / HTTP/1.1');
    expect(lines.map((l) => l.toLowerCase())).toEqual(expect.arrayContaining(['x-a: b', `x-name: ${Buffer.from('日本', 'utf8').toString('latin1')}`]));
    expect(lines.some((l) => /^(injected|x-evil):/i.test(l))).toBe(false);
  });
});

describe('scenario headers and method: one validator, file:line:col', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tb-wire-'));
  const scenario = (headers: string[], method = 'GET'): string => {
    const file = join(dir, `s${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(
      file,
      `name: wire\ntarget: http://httpbin:8000/get\nsteps:\n  - name: a\n    load: { c: 1, n: 2, qps: 0, method: ${method}, headers: ${JSON.stringify(headers)} }\n    expect:\n      codes: { 200: ">= 0" }\n`,
    );
    return file;
  };

  it('a CR/LF in a header is refused at validation: run and --dry-run both exit 2 at the header', async () => {
    const file = scenario(['X-Ok: 1', 'X-A: b\r\nInjected: 1']);
    for (const args of [['run', '--dry-run', file], ['run', '-target', srv.url, file]]) {
      srv.reset();
      const r = await runCli(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trimEnd()).toBe(
        `tripbench: ${file}:5:66: steps[0].load.headers[1]: "X-A: b\\r\\nInjected: 1": header value has a CR (\\r), which cannot be sent in a header`,
      );
      expect(srv.bytes()).toBe('');
    }
  });

  it('good headers reach the wire as written (lean client)', async () => {
    srv.reset();
    const r = await runCli(['run', '-target', srv.url, '-reports', join(dir, 'reports'), scenario(['X-A: b', 'X-B: c d'], 'PUT')], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const heads = srv.heads();
    expect(heads.length).toBeGreaterThanOrEqual(2);
    // the reachability probe and the step's calls: every one the same request, byte for byte
    expect(new Set(heads)).toEqual(new Set([`PUT /get HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nUser-Agent: ${USER_AGENT}\r\nX-A: b\r\nX-B: c d`]));
  }, 60_000);
});
