/**
 * The rows of docs/hostile-input.md owned by the CLI: schemes, upper bounds, `-json` into a
 * missing directory, and closed pipes. Each is run as a user would, through the built CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, logLines, runCli } from '../helpers/cli.js';
import { startKeepAliveServer, type TestServer } from '../helpers/servers.js';

let ka: TestServer;
beforeAll(async () => {
  ka = await startKeepAliveServer();
});
afterAll(() => ka.close());

const dir = mkdtempSync(join(tmpdir(), 'tb-hostile-'));
const NO_TRACE = /\n\s+at |node:internal|Node\.js v/;

describe('schemes: one function decides, the scheme is named', () => {
  it.each([
    ['ftp://127.0.0.1:2121/x', `Error: unsupported scheme "ftp" in 'ftp://127.0.0.1:2121/x': tripbench sends HTTP load to http:// and https:// URLs`],
    ['ws://127.0.0.1:2121/', `Error: unsupported scheme "ws" in 'ws://127.0.0.1:2121/': tripbench sends HTTP load to http:// and https:// URLs`],
    ['grpc://127.0.0.1:2121', "Error: grpc:// (fortio's gRPC mode) is not supported yet; tripbench sends HTTP load to http:// and https:// URLs"],
  ])('load %s: exit 1 (fortio: a bad URL), one line, nothing sent', async (url, line) => {
    const before = ka.connections;
    const r = await runCli(['load', '-n', '1', url]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${line}\nRun 'tripbench load -h' for usage.\n`);
    expect(ka.connections).toBe(before);
  });

  it('a scheme-less host:port is http, with fortio warning', async () => {
    const r = await runCli(['curl', `127.0.0.1:${ka.port}/`]);
    expect(r.code).toBe(0);
    expect(logLines(r.stderr).map((l) => l.msg)).toContain(`Assuming http:// on missing scheme for '127.0.0.1:${ka.port}/'`);
  });

  it('a scenario target or -target with another scheme is a usage error naming it', async () => {
    const file = join(dir, 'ftp.yaml');
    writeFileSync(file, 'name: ftp\ntarget: ftp://h:21/x\nsteps:\n  - name: a\n    load: { n: 1 }\n');
    const r = await runCli(['run', '--dry-run', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tripbench: ${file}:2:9: target: unsupported scheme "ftp" in 'ftp://h:21/x': tripbench sends HTTP load to http:// and https:// URLs\n`);
    const t = await runCli(['run', '--dry-run', '-target', 'grpc://h:1', file.replace('ftp.yaml', 'none.yaml')]);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain("for flag -target: grpc:// (fortio's gRPC mode) is not supported yet");
    const u = await runCli(['run', '--dry-run', '-target', 'tcp://h:1', file.replace('ftp.yaml', 'none.yaml')]);
    expect(u.code).toBe(2);
    // a tcp:// service is a target a scenario may run against (its tcp:// steps): the flag is taken, the missing file is the error
    expect(u.stderr).not.toContain('for flag -target');
    expect(u.stderr).toContain('none.yaml');
  });
});

describe('upper bounds: checked before anything starts', () => {
  it.each([
    [['-c', '1000000000000', '-t', '1s'], 'invalid value "1000000000000" for flag -c: at most 25000 connections in one process (docs/hostile-input.md)'],
    [['-c', '10000000', '-n', '20'], 'invalid value "10000000" for flag -c: at most 25000 connections in one process (docs/hostile-input.md)'],
    [['-n', '1000000000000000'], 'invalid value "1000000000000000" for flag -n: at most 1000000000 calls in one run (docs/hostile-input.md)'],
    [['-qps', '1e9'], 'invalid value "1000000000" for flag -qps: at most 1000000 queries per second in one process; -shard splits more over processes (docs/hostile-input.md)'],
    [['-t', '10000h'], 'invalid value "10000h0m0s" for flag -t: at most 168h0m0s; -t 0 runs until stopped (docs/hostile-input.md)'],
    [['-timeout', '1000h'], 'invalid value "1000h0m0s" for flag -timeout: at most 24h0m0s (docs/hostile-input.md)'],
  ])('load %j: exit 2, one Go-style line', async (flags, message) => {
    const r = await runCli(['load', ...flags, ka.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tripbench load: ${message}\nRun 'tripbench load -h' for usage.\n`);
  });

  it('a payload file over 4 MiB: exit 1 like an unreadable one (fortio), before any call', async () => {
    const big = join(dir, 'big.bin');
    writeFileSync(big, Buffer.alloc(4 * 1024 * 1024 + 1));
    const r = await runCli(['load', '-n', '1', '-payload-file', big, ka.url]);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(`Error: unable to read -payload-file ${big}: larger than 4194304 bytes (4 MiB), the largest request body tripbench sends`);
  });

  it('scenario c: 1e12, n: 1e15: --dry-run refuses what run would, file:line:col, exit 2', async () => {
    const file = join(dir, 'big.yaml');
    writeFileSync(file, 'name: big\ntarget: http://httpbin:8000/get\nsteps:\n  - name: a\n    load: { c: 1e12, n: 1e15 }\n');
    for (const args of [['run', '--dry-run', file], ['run', '-reports', join(dir, 'r'), file]]) {
      const r = await runCli(args);
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(
        `${file}:5:16: steps[0].load.c: 1000000000000 is over the limit of 25000 connections in one process (docs/hostile-input.md)\n` +
          `${file}:5:25: steps[0].load.n: 1000000000000000 is over the limit of 1000000000 calls in one load (docs/hostile-input.md)\n`,
      );
    }
  });
});

describe('-json into a missing directory (fortio: report, then a fatal line, exit 2)', () => {
  it('prints the report, names the file and the reason, creates no directory', async () => {
    const out = join(dir, 'missing', 'sub', 'out.json');
    const r = await runCli(['load', '-n', '2', '-c', '1', '-qps', '0', '-json', out, ka.url]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('All done 2 calls');
    expect(r.stderr).not.toContain('Successfully wrote');
    const fatal = logLines(r.stderr).filter((l) => l.level === 'fatal');
    expect(fatal.map((l) => l.msg)).toEqual([`Unable to create ${out}: no such file or directory`]);
    expect(existsSync(join(dir, 'missing'))).toBe(false);
    expect(r.stderr).not.toMatch(NO_TRACE);
  });
});

describe('-json into a path that is not a regular file (fortio writes into it)', () => {
  it('writes the JSON through a FIFO and leaves the FIFO in place (as /dev/null stays a device)', async () => {
    const fifo = join(dir, 'json.fifo');
    execFileSync('mkfifo', [fifo]);
    // the reader opens the FIFO first, so the CLI's open for writing does not block
    const read = new Promise<string>((resolve, reject) => {
      let text = '';
      createReadStream(fifo, 'utf8').on('data', (d) => (text += String(d))).on('end', () => resolve(text)).on('error', reject);
    });
    const r = await runCli(['load', '-n', '2', '-c', '1', '-qps', '0', '-json', fifo, ka.url]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(new RegExp(`Successfully wrote \\d+ bytes of Json data to ${fifo}`));
    expect((JSON.parse(await read) as { RetCodes: Record<string, number> }).RetCodes).toEqual({ '200': 2 });
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });
});

/** Runs the CLI and destroys the reader of `close` after its first chunk: the pipe breaks under the writer. */
function runWithClosedPipe(args: string[], close: 'stdout' | 'stderr', env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; other: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const closing = child[close];
    const other = close === 'stdout' ? child.stderr : child.stdout;
    let otherText = '';
    other.setEncoding('utf8').on('data', (d: string) => (otherText += d));
    closing.once('data', () => closing.destroy());
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tripbench ${args.join(' ')} timed out`));
    }, 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, other: otherText });
    });
  });
}

describe('closed pipes never cost a file or the exit code', () => {
  it('run --dry-run scenarios/ | head -2: exit 0, no stack trace', async () => {
    const scenarios = new URL('../../scenarios/', import.meta.url).pathname;
    const r = await runWithClosedPipe(['run', '--dry-run', scenarios], 'stdout');
    expect(r.code).toBe(0);
    expect(r.other).not.toMatch(NO_TRACE);
  }, 90_000);

  it('run … 2>&1 >/dev/null | head -1: reports, JUnit, summary and the exit code as without the pipe', async () => {
    const file = join(dir, 'tiny.yaml');
    writeFileSync(file, 'name: tiny\ntarget: http://httpbin:8000/get\nsteps:\n  - name: a\n    load: { c: 1, n: 20, qps: 0 }\n    expect:\n      codes: { 200: ">= 0.5" }\n');
    const reports = join(dir, 'reports');
    const summary = join(dir, 'summary.md');
    const junit = join(dir, 'junit.xml');
    const r = await runWithClosedPipe(['run', '-reports', reports, '-junit', junit, '-summary', summary, file], 'stderr');
    expect(r.code).toBe(0);
    const [runDir = ''] = readdirSync(join(reports, 'tiny'));
    expect(readdirSync(join(reports, 'tiny', runDir))).toEqual(expect.arrayContaining(['verdicts.json', 'junit.xml', 'summary.md', 'a.json', 'a.txt']));
    expect(readFileSync(junit, 'utf8')).toContain('<testsuite');
    expect(readFileSync(summary, 'utf8')).toContain('tiny');
  }, 90_000);

  it('load … 2>&1 | head -1: the JSON is written, exit 0', async () => {
    const out = join(dir, 'piped.json');
    const r = await runWithClosedPipe(['load', '-n', '50', '-c', '2', '-qps', '0', '-json', out, ka.url], 'stderr');
    expect(r.code).toBe(0);
    expect((JSON.parse(readFileSync(out, 'utf8')) as { DurationHistogram: { Count: number } }).DurationHistogram.Count).toBe(50);
  }, 90_000);

  it('load -json - | head -c 1: stdout closes, the run still exits 0', async () => {
    const r = await runWithClosedPipe(['load', '-n', '20', '-c', '1', '-qps', '0', '-json', '-', ka.url], 'stdout');
    expect(r.code).toBe(0);
    expect(r.other).not.toMatch(NO_TRACE);
  }, 90_000);
});
