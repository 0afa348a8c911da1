import { execFileSync, spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/shared/atomicWrite.js';

function fresh(): string {
  return mkdtempSync(join(tmpdir(), 'tripbench-atomic-'));
}

async function* failingChunks(): AsyncGenerator<string> {
  yield '{"partial": ';
  await new Promise((r) => setTimeout(r, 1));
  throw new Error('disk on fire');
}

function* failingChunksSync(): Generator<string> {
  yield '{"partial": ';
  throw new Error('disk on fire');
}

describe('writeFileAtomic', () => {
  it('writes the whole content, creating parent directories, leaving no temp file', async () => {
    const d = fresh();
    const f = join(d, 'reports', 'x', '20261125T172822Z', 'verdicts.json');
    await writeFileAtomic(f, '{"ok":true}\n');
    expect(readFileSync(f, 'utf8')).toBe('{"ok":true}\n');
    expect(readdirSync(join(d, 'reports', 'x', '20261125T172822Z'))).toEqual(['verdicts.json']);
  });

  it('streams chunks and bytes', async () => {
    const d = fresh();
    const f = join(d, 'a.txt');
    async function* chunks(): AsyncGenerator<string | Uint8Array> {
      yield 'a';
      yield new Uint8Array([98, 99]);
    }
    await writeFileAtomic(f, chunks());
    expect(readFileSync(f, 'utf8')).toBe('abc');
    await writeFileAtomic(f, ['x', 'y']);
    expect(readFileSync(f, 'utf8')).toBe('xy');
  });

  it('leaves no partial file when writing fails midway', async () => {
    const d = fresh();
    const f = join(d, 'step.json');
    await expect(writeFileAtomic(f, failingChunks())).rejects.toThrow('disk on fire');
    expect(existsSync(f)).toBe(false);
    expect(readdirSync(d)).toEqual([]);
  });

  it('keeps the previous version intact when a rewrite fails', async () => {
    const d = fresh();
    const f = join(d, 'summary.md');
    writeFileSync(f, 'old and complete\n');
    await expect(writeFileAtomic(f, failingChunks())).rejects.toThrow('disk on fire');
    expect(readFileSync(f, 'utf8')).toBe('old and complete\n');
    expect(readdirSync(d)).toEqual(['summary.md']);
  });

  it('cleans up when the final rename fails', async () => {
    const d = fresh();
    const f = join(d, 'occupied');
    mkdirSync(join(f, 'child'), { recursive: true });
    await expect(writeFileAtomic(f, 'data')).rejects.toThrow();
    expect(readdirSync(d)).toEqual(['occupied']);
  });
});

describe('writeFileAtomicSync', () => {
  it('writes, and on failure leaves neither a partial file nor a temp file', () => {
    const d = fresh();
    const f = join(d, 'junit.xml');
    writeFileAtomicSync(f, '<testsuites/>\n');
    expect(readFileSync(f, 'utf8')).toBe('<testsuites/>\n');
    expect(() => writeFileAtomicSync(f, failingChunksSync())).toThrow('disk on fire');
    expect(readFileSync(f, 'utf8')).toBe('<testsuites/>\n');
    expect(() => writeFileAtomicSync(join(d, 'new.json'), failingChunksSync())).toThrow('disk on fire');
    expect(readdirSync(d)).toEqual(['junit.xml']);
  });
});

describe('a target that is neither a file nor a directory (a device, a FIFO)', () => {
  // A temp file renamed onto /dev/null would replace the device when run as root: both writers
  // write into such a path instead, and it stays what it was.
  function fifoWithReader(): { fifo: string; text: Promise<string> } {
    const fifo = join(fresh(), 'out.fifo');
    execFileSync('mkfifo', [fifo]);
    const cat = spawn('cat', [fifo], { stdio: ['ignore', 'pipe', 'inherit'] });
    const text = new Promise<string>((resolve, reject) => {
      let t = '';
      cat.stdout.on('data', (d) => (t += String(d)));
      cat.on('close', () => resolve(t));
      cat.on('error', reject);
    });
    return { fifo, text };
  }

  it('writeFileAtomic writes into it and leaves it in place', async () => {
    const { fifo, text } = fifoWithReader();
    await writeFileAtomic(fifo, ['{"a":', '1}\n']);
    expect(await text).toBe('{"a":1}\n');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(join(fifo, '..'))).toEqual(['out.fifo']);
  });

  it('writeFileAtomicSync writes into it and leaves it in place', async () => {
    const { fifo, text } = fifoWithReader();
    writeFileAtomicSync(fifo, '{"b":2}\n');
    expect(await text).toBe('{"b":2}\n');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });

  it('/dev/null stays a character device', async () => {
    await writeFileAtomic('/dev/null', 'x');
    writeFileAtomicSync('/dev/null', 'y');
    expect(lstatSync('/dev/null').isCharacterDevice()).toBe(true);
  });
});
