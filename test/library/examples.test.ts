/**
 * The library examples run as they are written in the docs: each block is saved inside the
 * package (so `import … from 'tripbench'` resolves to this checkout's dist/, as an installed
 * package would) and run by node against loopback servers it starts itself.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
mkdirSync(join(ROOT, '.tmp'), { recursive: true });
const DIR = mkdtempSync(join(ROOT, '.tmp', 'library-examples-'));
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/** The ```js / ```ts blocks of `file` under the heading `heading` (up to the next heading of that level or higher). */
function blocks(file: string, heading: string): string[] {
  const text = `\n${readFileSync(join(ROOT, file), 'utf8')}`;
  const at = text.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`${file}: no "${heading}" heading`);
  const level = /^#+/.exec(heading)?.[0].length ?? 2;
  const rest = text.slice(at + heading.length + 2);
  const end = rest.search(new RegExp(`^#{1,${level}} `, 'm'));
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^```(?:js|ts)\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? '');
}

async function runExample(name: string, code: string): Promise<{ stdout: string; stderr: string }> {
  const file = join(DIR, `${name}.mjs`);
  writeFileSync(file, code);
  return promisify(execFile)(process.execPath, [file], { cwd: ROOT, timeout: 60_000 });
}

describe('library examples', () => {
  it("README's: a load against the echo target, fortio's report printed", async () => {
    const [code, ...more] = blocks('README.md', '## Library use');
    expect(more).toEqual([]);
    const { stdout } = await runExample('readme', code ?? '');
    expect(stdout).toMatch(/^\{ '200': \d+(, '503': \d+)? \}\n/);
    expect(stdout).toContain('Aggregated Function Time : count 40 ');
    expect(stdout).toMatch(/All done 40 calls \(plus 0 warmup\) [\d.]+ ms avg, [\d.]+ qps\n$/);
  });

  it("docs/library.md's: through the sidecar, every 503 a pending overflow", async () => {
    const [code] = blocks('docs/library.md', '# Library use');
    const { stdout } = await runExample('sidecar', code ?? '');
    const m = /^\{ '200': (\d+)(?:, '503': (\d+))? \} (\d+)\n$/.exec(stdout);
    expect(m, stdout).not.toBeNull();
    const [ok, tripped, overflows] = [m?.[1], m?.[2] ?? '0', m?.[3]].map(Number);
    expect([(ok ?? 0) + (tripped ?? 0), overflows]).toEqual([30, tripped]);
  });

  it('every "Library use" section imports the package by name, never a source path', () => {
    const docs = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    const found: string[] = [];
    for (const file of docs) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const h of text.match(/^#+ Library use.*$/gm) ?? []) {
        for (const b of blocks(file, h)) {
          for (const [, spec] of b.matchAll(/from '([^']+)'/g)) found.push(`${file}: ${spec}`);
        }
      }
    }
    expect(found.length).toBeGreaterThan(3);
    expect(found.filter((f) => !f.endsWith(': tripbench'))).toEqual([]);
  });
});
