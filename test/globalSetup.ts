/**
 * Worker entry files load from dist/ (src/shared/modulePath.ts) and the CLI from its bundle,
 * dist/bundle/ (scripts/bundle.mjs), so a test run against sources newer than their build would
 * check new main-thread code against old worker or CLI code, silently. Before any test (and
 * before each watch-mode rerun) this rebuilds both (`npm run build`'s two steps) when a compiled
 * file or the bundle is missing or older than a source, and refuses to run, in one line, when
 * the build fails.
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

const BUNDLE_MAIN = join(DIST, 'bundle', 'main.js');

function mtimeOf(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The first source whose compiled twin or the bundle is missing or older, or undefined when dist/ is current. */
export function staleSource(): string | undefined {
  const bundled = mtimeOf(BUNDLE_MAIN);
  for (const src of sources(SRC)) {
    const edited = statSync(src).mtimeMs;
    const built = mtimeOf(join(DIST, relative(SRC, src)).replace(/\.ts$/, '.js'));
    if (bundled === undefined || bundled < edited || built === undefined || built < edited) return relative(ROOT, src);
  }
  return undefined;
}

function ensureBuilt(): void {
  const stale = staleSource();
  if (stale === undefined) return;
  console.log(`dist/ is older than ${stale}: rebuilding (tsc -p tsconfig.build.json, scripts/bundle.mjs)`);
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle.mjs')], { cwd: ROOT, stdio: 'pipe' });
  } catch (e) {
    const out = String((e as { stdout?: Buffer }).stdout ?? '') + String((e as { stderr?: Buffer }).stderr ?? '') || String(e);
    const first = out.split('\n').find((l) => l.trim() !== '') ?? 'the build failed';
    throw new Error(`dist/ is out of date and the build failed, so tests would run old worker or CLI code: ${first.trim()}`);
  }
}

export default function setup(project: TestProject): void {
  ensureBuilt();
  project.onTestsRerun(() => ensureBuilt());
}
