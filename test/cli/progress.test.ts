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

/**
 * What a terminal shows after `text` was written to it: enough of VT100 for what cli-progress
 * and readline emit (column moves, line and screen clears, cursor save/restore, newlines).
 */
function screen(text: string): string[] {
  const rows: string[] = [''];
  let row = 0;
  let col = 0;
  let saved: [number, number] = [0, 0];
  const put = (ch: string): void => {
    const line = (rows[row] ?? '').padEnd(col, ' ');
    rows[row] = line.slice(0, col) + ch + line.slice(col + 1);
    col++;
  };
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '\x1b') {
      const m = /^\x1b(?:\[([?\d;]*)([A-Za-z])|([78]))/.exec(text.slice(i));
      if (!m) continue;
      i += m[0].length - 1;
      if (m[3] === '7') saved = [row, col];
      else if (m[3] === '8') [row, col] = saved;
      else if (m[2] === 'G') col = Number(m[1] || '1') - 1;
      else if (m[2] === 'A') row = Math.max(0, row - Number(m[1] || '1'));
      else if (m[2] === 'K' && m[1] === '2') rows[row] = '';
      else if (m[2] === 'K') rows[row] = (rows[row] ?? '').slice(0, col);
      else if (m[2] === 'J') {
        rows[row] = (rows[row] ?? '').slice(0, col);
        rows.length = row + 1;
      }
    } else if (ch === '\n') {
      row++;
      col = 0;
      if (rows.length <= row) rows.push('');
    } else if (ch === '\r') col = 0;
    else put(ch);
  }
  return rows;
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

  it('prints log lines above the progress line, whole, and leaves a clean line for the report', async () => {
    const tty = fakeTty(true);
    const p = createProgressLine(Level.Info, 0, tty);
    p.log('before the line is shown\n');
    await new Promise((r) => setTimeout(r, 2100));
    p.update({ calls: 500, codes: { '200': 500 }, elapsedNs: 2.4e9 });
    await new Promise((r) => setTimeout(r, 300)); // the line is drawn
    p.log('T000 ended after 3s : 250 calls. qps=83.3\n');
    p.log('T001 ended after 3s : 250 calls. qps=83.3\n');
    p.stop();
    tty.write('Ended after 3s : 500 calls. qps=166.67\n');
    expect(tty.text()).toMatch(/500 calls \| \d+ qps \| 200:500 \| 2s/); // time of the timed run, not of the line
    expect(screen(tty.text())).toEqual([
      'before the line is shown',
      'T000 ended after 3s : 250 calls. qps=83.3',
      'T001 ended after 3s : 250 calls. qps=83.3',
      'Ended after 3s : 500 calls. qps=166.67',
      '',
    ]);
    p.log('after stop\n');
    expect(tty.text().endsWith('after stop\n')).toBe(true);
  });

  it('stays silent when stderr is not a terminal or the level is Warning or above', async () => {
    for (const [tty, level] of [
      [fakeTty(false), Level.Info],
      [fakeTty(true), Level.Warning],
    ] as const) {
      const p = createProgressLine(level, 100, tty);
      await new Promise((r) => setTimeout(r, 2100));
      p.update({ calls: 50, codes: { '200': 50 } });
      p.log('a log line\n');
      p.stop();
      expect(tty.text()).toBe('a log line\n');
    }
  });
});
