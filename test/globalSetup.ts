/**
 * Worker entry files load from dist/ (src/shared/modulePath.ts), so a test run against sources
 * newer than their build would check new main-thread code against old worker code, silently.
 * Before any test (and before each watch-mode rerun) this rebuilds dist/ when a compiled file is
 * missing or older than its source, and refuses to run, in one line, when the build fails.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
const DIST = join(ROOT, 'dist');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The first source whose compiled twin is missing or older, or undefined when dist/ is current. */
export function staleSource(): string | undefined {
  for (const src of sources(SRC)) {
    const out = join(DIST, relative(SRC, src)).replace(/\.ts$/, '.js');
    let built: number;
    try {
      built = statSync(out).mtimeMs;
    } catch {
      return relative(ROOT, src);
    }
    if (built < statSync(src).mtimeMs) return relative(ROOT, src);
  }
  return undefined;
}

function ensureBuilt(): void {
  const stale = staleSource();
  if (stale === undefined) return;
  console.log(`dist/ is older than ${stale}: rebuilding (tsc -p tsconfig.build.json)`);
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
  } catch (e) {
    const out = String((e as { stdout?: Buffer }).stdout ?? '') || String(e);
    const first = out.split('\n').find((l) => l.trim() !== '') ?? 'tsc failed';
    throw new Error(`dist/ is out of date and the build failed, so tests would run old worker code: ${first.trim()}`);
  }
}

export default function setup(project: TestProject): void {
  ensureBuilt();
  project.onTestsRerun(() => ensureBuilt());
}
