/** The max-rate hot loop (engine/hotLoop.ts): it spins only at -qps 0, stops by itself, and backs off on a shared core. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { runEngine } from '../../src/engine/index.js';
import { hotLoopState, keepHot, sharesCore } from '../../src/engine/hotLoop.js';
import { BIN, logLines } from '../helpers/cli.js';
import { noopEngineSpec } from '../helpers/noopEngine.js';
import { needTool } from '../helpers/tools.js';

async function untilIdle(): Promise<void> {
  while (hotLoopState().spinning) await nextTurn();
}

/** The first CPU this process may run on (a container's cpuset need not include CPU 0). */
function firstAllowedCpu(): string {
  const m = /^Cpus_allowed_list:\s*(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return m?.[1] ?? '0';
}

const taskset = needTool('taskset', 'util-linux');

describe('hot loop', () => {
  it('spins after a call event and stops on its own once calls stop', async () => {
    await untilIdle();
    const before = hotLoopState().starts;
    const t0 = performance.now();
    keepHot(t0);
    expect(hotLoopState()).toMatchObject({ spinning: true, starts: before + 1 });
    keepHot(performance.now()); // a second event while spinning starts no second spin
    expect(hotLoopState().starts).toBe(before + 1);
    await untilIdle();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(1);
  });

  it('a max-rate run on this thread spins, a paced one never does', async () => {
    await untilIdle();
    const s0 = hotLoopState().starts;
    const paced = await runEngine(noopEngineSpec({ threads: 2, qps: 200, exactly: 6, workers: 1 }, { delayMs: 1 }, [], { inline: true }));
    expect(paced.duration.counter.count).toBe(6);
    expect(hotLoopState().starts).toBe(s0);
    const max = await runEngine(noopEngineSpec({ threads: 2, qps: 0, exactly: 6, workers: 1 }, { delayMs: 1 }, [], { inline: true }));
    expect(max.duration.counter.count).toBe(6);
    expect(hotLoopState().starts).toBeGreaterThan(s0);
    await untilIdle();
  });

  it('takes the core as shared from the involuntary switches per call event measured on both sides', () => {
    // 2 s runs on the 2-core bench VM (docs/benchmarks.md, "Fifth pass"), switches / call events
    expect(sharesCore(602, 2 * 86_843)).toBe(false); // keep-alive c=16, nginx on the other core
    expect(sharesCore(688, 2 * 13_718)).toBe(false); // -keepalive=false c=4, other core
    expect(sharesCore(18_726, 2 * 47_188)).toBe(true); // keep-alive c=64, nginx on the same core
    expect(sharesCore(45_001, 2 * 44_893)).toBe(true); // keep-alive c=1, same core
    expect(sharesCore(60, 40)).toBe(false); // too few call events to tell
  });

  it.skipIf(taskset.skip)(taskset.title('a max-rate run pinned to the core of its target stops spinning and says so at -loglevel Verbose'), async () => {
    const cpu = firstAllowedCpu();
    const server = spawn(taskset.path, ['-c', cpu, process.execPath, '-e', "require('http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', function () { console.log(this.address().port) })"], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const port = await new Promise<string>((resolve, reject) => {
        server.stdout.setEncoding('utf8').once('data', (d: string) => resolve(d.trim()));
        server.once('exit', (code) => reject(new Error(`pinned server exited (${code})`)));
      });
      const run = spawn(taskset.path, ['-c', cpu, process.execPath, BIN, 'load', '-loglevel', 'Verbose', '-c', '1', '-qps', '0', '-t', '2s', `http://127.0.0.1:${port}/`], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      run.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => run.once('close', resolve));
      expect(code).toBe(0);
      const off = logLines(stderr).find((l) => String(l['msg']).startsWith('hot loop off'));
      expect(off, stderr.slice(-1500)).toBeDefined();
      expect(Number(off?.['involuntarySwitchesPerCallEvent'])).toBeGreaterThan(0.07);
    } finally {
      server.kill('SIGKILL');
    }
  }, 30_000);
});
