#!/usr/bin/env node
// Downloads the istio.io doc-test files that test/rehearsal/istioDocs.test.ts replays, each at the
// commit pinned in test/fixtures/istio-docs.json, into test/fixtures/istio-docs/ (not committed:
// they are Istio's code, Apache-2.0, fetched from their source). Files already there are kept.
// Usage: node scripts/fetch-istio-docs.mjs [--force]
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pins = JSON.parse(readFileSync(join(root, 'test/fixtures/istio-docs.json'), 'utf8'));
const force = process.argv.includes('--force');
let failed = 0;
for (const [local, { path, commit }] of Object.entries(pins.files)) {
  const dest = join(root, 'test/fixtures/istio-docs', local);
  if (existsSync(dest) && !force) continue;
  const url = `https://raw.githubusercontent.com/${pins.repo}/${commit}/${path}`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(30_000) });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const text = await res.text();
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(`${dest}.tmp`, text);
    renameSync(`${dest}.tmp`, dest);
    console.log(`fetched ${local} (${pins.repo}@${commit.slice(0, 8)} ${path})`);
  } catch (e) {
    failed++;
    console.error(`fetch-istio-docs: ${url}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
process.exit(failed > 0 ? 1 : 0);
