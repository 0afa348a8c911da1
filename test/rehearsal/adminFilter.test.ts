/**
 * The admin `?filter=` is Envoy's RE2 partial match, and runs off the data path: hostile
 * patterns (catastrophic backtracking for a JS RegExp, or a huge RE2 program) never hold up
 * requests through the sidecar, nor its shutdown.
 */
import { describe, expect, it } from 'vitest';
import { TASK_POOL_DR } from '../helpers/meshFixtures.js';
import { get, startRig } from '../helpers/rehearsalServers.js';
import { runCli } from '../helpers/cli.js';

const CN = 'outbound|8000||httpbin.default.svc.cluster.local';
/** Backtracks for minutes in a JS RegExp on a 60-character name; linear in RE2. */
const REDOS = '^(([^a]+)+)+$a';
/** Valid RE2, but a ~50 000-instruction program: seconds of compile and match even in linear time. */
const HUGE_PROGRAM = '(\\pL{1000})'.repeat(50);

const q = (p: string): string => encodeURIComponent(p);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

describe('admin ?filter=', () => {
  it('is RE2: partial match, and "Invalid re2 regex" (400, Envoy\'s text) for what RE2 refuses', async () => {
    const rig = await startRig({ dr: TASK_POOL_DR, admin: '127.0.0.1:0' });
    try {
      const admin = rig.sidecar.adminUrl as string;
      expect((await get(`${admin}/stats?filter=${q('pending_overflow$')}`)).body).toBe(`cluster.${CN};.upstream_rq_pending_overflow: 0\n`);
      expect((await get(`${admin}/stats?filter=${q('rq_pending_overflow')}`)).body).toContain('upstream_rq_pending_overflow: 0\n');
      const redos = await get(`${admin}/stats?filter=${q(REDOS)}`);
      expect([redos.status, redos.body]).toEqual([200, '']);
      // JavaScript accepts these, RE2 does not: lookahead, backreference, lookbehind.
      for (const bad of ['(?=pending)', '(a)\\1', '(?<=x)y', '(', 'a{1001}']) {
        const r = await get(`${admin}/stats?filter=${q(bad)}`);
        expect([bad, r.status, r.body]).toEqual([bad, 400, 'Invalid re2 regex\n']);
      }
      const json = JSON.parse((await get(`${admin}/stats?format=json&usedonly&filter=${q('default\\.remaining_pending$')}`)).body) as { stats: unknown[] };
      expect(json.stats).toEqual([{ name: `cluster.${CN};.circuit_breakers.default.remaining_pending`, value: 1 }]);
      expect((await get(`${admin}/stats?filter=x&format=yaml`)).status).toBe(400);
    } finally {
      await rig.close();
    }
  });

  it('the data path answers at its normal latency while hostile filters run', async () => {
    const rig = await startRig({ admin: '127.0.0.1:0' });
    try {
      const admin = rig.sidecar.adminUrl as string;
      const data = `${rig.sidecar.url}/get`;
      await get(data);
      const baseline: number[] = [];
      for (let i = 0; i < 10; i++) baseline.push((await get(data)).ms);
      let adminDone = false;
      const hostile = Promise.all([REDOS, REDOS, REDOS, HUGE_PROGRAM].map((p) => get(`${admin}/stats?filter=${q(p)}`))).finally(() => {
        adminDone = true;
      });
      const during: number[] = [];
      let whileAdminBusy = 0;
      for (let i = 0; i < 10; i++) {
        const r = await get(data);
        expect(r.status).toBe(200);
        during.push(r.ms);
        if (!adminDone) whileAdminBusy++;
      }
      const answers = await hostile;
      expect(answers.slice(0, 3).map((a) => a.status)).toEqual([200, 200, 200]);
      // The huge program either finishes or hits the filter's time budget; it never blocks.
      expect([200, 503]).toContain(answers[3]?.status);
      // Measured, not assumed: the data-path calls were served while the admin work ran, at
      // about their usual latency (a generous factor: this holds on a busy 2-core machine; a
      // filter on the sidecar's own event loop costs seconds per call here).
      expect(whileAdminBusy).toBeGreaterThanOrEqual(5);
      expect(median(during)).toBeLessThan(median(baseline) * 20 + 250);
    } finally {
      await rig.close();
    }
  });

  it('`tripbench sidecar` still answers /ready and stops on SIGTERM while a huge filter runs', async () => {
    let sent = false;
    let readyFirst: boolean | undefined;
    const r = await runCli(['sidecar', '-listen', '127.0.0.1:0', '-admin', '127.0.0.1:0', '-upstream', '127.0.0.1:1'], {
      timeoutMs: 60_000,
      onStderr: (soFar, child) => {
        const m = /admin on (http:\/\/[^ ]+) /.exec(soFar);
        if (!m || sent) return;
        sent = true;
        const admin = m[1] as string;
        let filterDone = false;
        void get(`${admin}/stats?filter=${q(HUGE_PROGRAM)}`)
          .catch(() => undefined)
          .finally(() => (filterDone = true));
        void get(`${admin}/ready`).then((res) => {
          readyFirst = res.status === 200 && !filterDone;
          child.kill('SIGTERM');
        });
      },
    });
    expect(readyFirst).toBe(true);
    expect([r.code, r.signal]).toEqual([0, null]);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
