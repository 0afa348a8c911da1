import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { createProgressLine } from '../../src/cli/progress.js';
import { Level } from '../../src/shared/log.js';

/** A terminal-like stream that keeps what was drawn. */
function fakeTty(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  let out = '';
  const w = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(w, { isTTY, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true, text: () => out });
  return w;
}

describe('progress line', () => {
  it('draws calls, qps and codes on a terminal once the run has lasted a while', async () => {
    const tty = fakeTty(true);
    const p = createProgressLine(Level.Info, 0, tty);
    p.update({ calls: 10, codes: { '200': 10 } });
    expect(tty.text()).toBe(''); // too early: short runs stay silent
    await new Promise((r) => setTimeout(r, 2100));
    p.update({ calls: 500, codes: { '200': 480, '503': 20, '-1': 0 } });
    await new Promise((r) => setTimeout(r, 300));
    p.update({ calls: 600, codes: { '200': 570, '503': 30 } });
    p.stop();
    expect(tty.text()).toMatch(/\d+ calls \| \d+ qps \| 200:\d+ 503:\d+/);
  });

  it('stays silent when stderr is not a terminal or the level is Warning or above', async () => {
    for (const [tty, level] of [
      [fakeTty(false), Level.Info],
      [fakeTty(true), Level.Warning],
    ] as const) {
      const p = createProgressLine(level, 100, tty);
      await new Promise((r) => setTimeout(r, 2100));
      p.update({ calls: 50, codes: { '200': 50 } });
      p.stop();
      expect(tty.text()).toBe('');
    }
  });
});
