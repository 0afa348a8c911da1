/** docs/architecture.md draws the layers; .dependency-cruiser.mjs enforces them: the two agree. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url);

/** `name → a, b  comment` lines of the doc's Layers block, for the folders (cli and index.ts aside). */
function docArrows(): Record<string, string[]> {
  const doc = readFileSync(new URL('docs/architecture.md', ROOT), 'utf8');
  const section = doc.slice(doc.indexOf('## Layers'));
  const block = section.slice(section.indexOf('```\n') + 4, section.indexOf('\n```', section.indexOf('```\n') + 4));
  const out: Record<string, string[]> = {};
  for (const line of block.split('\n')) {
    const m = /^(\S+)\s+→\s+(.*)$/.exec(line);
    if (m === null) throw new Error(`not an arrow line in docs/architecture.md Layers: ${line}`);
    const [, from = '', rest = ''] = m;
    if (from === 'cli' || from === 'index.ts') continue;
    const targets = (rest.split(/\s{2,}/)[0] ?? '').trim();
    out[from] = targets === '(nothing)' ? [] : targets.split(/,\s*/);
  }
  return out;
}

describe('layering', () => {
  it('the doc and the dependency-cruiser config draw the same arrows', async () => {
    const config = (await import(new URL('.dependency-cruiser.mjs', ROOT).href)) as { arrows: Record<string, string[]> };
    const sorted = (a: Record<string, string[]>): Record<string, string[]> =>
      Object.fromEntries(Object.entries(a).map(([k, v]) => [k, [...v].sort()]).sort(([x], [y]) => String(x).localeCompare(String(y))));
    expect(sorted(docArrows())).toEqual(sorted(config.arrows));
  });
});
