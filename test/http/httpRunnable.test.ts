import { afterEach, describe, expect, it } from 'vitest';
import type { RunnableModule } from '../../src/engine/runnable.js';
import * as runnableModule from '../../src/http/httpRunnable.js';
import { makeHttpOptions } from '../../src/http/options.js';
import { configureLog, Level } from '../../src/shared/log.js';
import * as S from '../helpers/servers.js';

// The engine loads this module by URL and calls createRunnable with cloned options.
const asModule: RunnableModule = runnableModule;

const lines: Record<string, unknown>[] = [];
configureLog({ level: Level.Info, json: true, write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });

const servers: S.TestServer[] = [];
afterEach(async () => {
  lines.length = 0;
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe.each(['lean', 'undici'])('HttpRunnable (%s)', (kind) => {
  const opts = (url: string, extra = {}) => structuredClone(makeHttpOptions({ url, stdClient: kind === 'undici', ...extra }).options);

  it('does not record warmup calls but counts their connection', async () => {
    const srv = await S.startKeepAliveServer();
    servers.push(srv);
    const r = await asModule.createRunnable(3, opts(srv.url));
    expect(await r.run(true)).toEqual({ ok: true, code: 200 });
    expect(await r.run(false)).toEqual({ ok: true, code: 200 });
    await r.close();
    const s = (r as runnableModule.HttpRunnable).snapshot();
    expect(s.threadId).toBe(3);
    expect(s.retCodes).toEqual({ '200': 1 });
    expect(s.sizes.counter.count).toBe(1);
    expect(s.sockets).toBe(1);
    expect(structuredClone(s)).toEqual(s);
  });

  it('explains a failed warmup: bytes read for a status, the socket error for -1', async () => {
    const srv = await S.start503Server();
    servers.push(srv);
    const r = await runnableModule.createRunnable(0, opts(srv.url));
    expect(await r.run(true)).toEqual({ ok: false, code: 503, detail: `${S.UNAVAILABLE_RESPONSE.length} bytes` });
    expect(r.snapshot().retCodes).toEqual({});
    await r.close();
    const { url } = await S.refusedPort();
    const q = await runnableModule.createRunnable(0, opts(url));
    const res = await q.run(true);
    expect(res.code).toBe(-1);
    expect(res.detail).toMatch(/ECONNREFUSED/);
    expect(q.snapshot().errorKinds).toEqual({});
    expect(q.snapshot().sockets).toBe(1);
    await q.close();
  });

  it('logs non-OK codes (unless -log-errors=false), connect errors and dead sockets', async () => {
    const srv = await S.start503Server();
    servers.push(srv);
    const r = await runnableModule.createRunnable(2, opts(srv.url));
    await r.run(false);
    await r.close();
    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: 'Non ok http code', code: 503, status: 'HTTP/1.1 503', thread: 2 }));
    lines.length = 0;
    const quiet = await runnableModule.createRunnable(2, opts(srv.url, { logErrors: false }));
    await quiet.run(false);
    await quiet.close();
    expect(lines.filter((l) => l.msg === 'Non ok http code')).toEqual([]);
    const { url, port } = await S.refusedPort();
    const q = await runnableModule.createRunnable(1, opts(url));
    await q.run(false);
    await q.close();
    expect(lines).toContainEqual(expect.objectContaining({ level: 'err', thread: 1, msg: expect.stringMatching(new RegExp(`^Unable to connect to 127\\.0\\.0\\.1:${port} : `)) }));
    const one = await S.startOneShotServer('close');
    servers.push(one);
    const d = await runnableModule.createRunnable(0, opts(one.url));
    await d.run(false);
    await d.run(false);
    await d.close();
    expect(lines).toContainEqual(expect.objectContaining({ level: 'info', msg: expect.stringMatching(/^Closing dead socket 127\.0\.0\.1:\d+ \(/) }));
  });

  it('abort() settles an in-flight call promptly and records nothing', async () => {
    const srv = await S.startHangingServer();
    servers.push(srv);
    const r = await runnableModule.createRunnable(0, opts(srv.url, { timeoutMs: 10_000 }));
    const t0 = performance.now();
    const p = r.run(false);
    setTimeout(() => r.abort(), 50);
    const res = await p;
    expect(performance.now() - t0).toBeLessThan(5000); // not the 10 s timeout
    expect(res.ok).toBe(false);
    expect(r.snapshot().retCodes).toEqual({});
    await r.close();
  });
});

describe('workerResourceLimits', () => {
  it('caps the young generation of lean-client and -h2 workers, not undici ones', () => {
    const o = (extra = {}) => makeHttpOptions({ url: 'http://127.0.0.1:1/', ...extra }).options;
    expect(runnableModule.workerResourceLimits(o())).toEqual({ maxYoungGenerationSizeMb: 6 });
    expect(runnableModule.workerResourceLimits(o({ stdClient: true }))).toBeUndefined();
    expect(runnableModule.workerResourceLimits(makeHttpOptions({ url: 'https://127.0.0.1:1/' }).options)).toBeUndefined();
    expect(runnableModule.workerResourceLimits(makeHttpOptions({ url: 'https://127.0.0.1:1/', h2: true }).options)).toEqual({ maxYoungGenerationSizeMb: 6 });
  });
});
