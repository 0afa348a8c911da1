/**
 * The CLI runs from its bundle, dist/bundle/ (scripts/bundle.mjs), never from tsc's dist/ beside
 * it: a module loaded from both would be two instances in one isolate (two classes of one error,
 * two hot-loop states). Checked on the files and on real runs, whose every resolved module a
 * resolve hook records.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from '../helpers/cli.js';
import { startCloseEachServer, startKeepAliveServer, type TestServer } from '../helpers/servers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(ROOT, 'dist');
const BUNDLE = join(DIST, 'bundle');

function* jsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (p !== BUNDLE) yield* jsFiles(p);
    } else if (e.name.endsWith('.js')) yield p;
  }
}

const bundleFiles = (): string[] => readdirSync(BUNDLE).filter((f) => f.endsWith('.js'));

describe('the CLI bundle', () => {
  let tmp = '';
  let keepAlive: TestServer;
  let closing: TestServer;
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'tripbench-bundle-'));
    // Hooks run on a thread of their own; appending a line per resolve keeps every thread's.
    writeFileSync(
      join(tmp, 'hooks.mjs'),
      `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.startsWith('file:')) appendFileSync(process.env.TRIPBENCH_TEST_RESOLVED, r.url + '\\n');
  return r;
}
`,
    );
    writeFileSync(join(tmp, 'register.mjs'), `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`);
    [keepAlive, closing] = await Promise.all([startKeepAliveServer(), startCloseEachServer({ connectionClose: true })]);
  });
  afterAll(async () => {
    await Promise.all([keepAlive.close(), closing.close()]);
    rmSync(tmp, { recursive: true, force: true });
  });

  /** The modules under dist/ that a CLI run resolved, as paths relative to dist/. */
  async function resolvedBy(name: string, args: string[]): Promise<string[]> {
    const log = join(tmp, `${name}.log`);
    writeFileSync(log, '');
    const r = await runCli(args, { env: { NODE_OPTIONS: `--import ${pathToFileURL(join(tmp, 'register.mjs')).href}`, TRIPBENCH_TEST_RESOLVED: log } });
    expect(r.code, r.stderr).toBe(0);
    const dist = pathToFileURL(DIST).href + '/';
    return [...new Set(readFileSync(log, 'utf8').split('\n'))].filter((u) => u.startsWith(dist)).map((u) => u.slice(dist.length));
  }

  it('imports nothing but its own flat folder, packages and builtins', () => {
    const files = new Set(bundleFiles());
    expect(files).toContain('main.js');
    for (const f of files) {
      const src = readFileSync(join(BUNDLE, f), 'utf8');
      const specifiers = [...src.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^import\s+)(['"])([^'"]+)\1/gm)].map((m) => m[2] ?? '');
      for (const s of specifiers.filter((x) => x.startsWith('.'))) {
        expect(files, `${f} imports ${s}`).toContain(s.replace(/^\.\//, ''));
        expect(s, `${f} imports ${s}`).toMatch(/^\.\/[^/]+$/);
      }
    }
  });

  it('has an entry for every module started by URL', () => {
    const files = new Set(bundleFiles());
    const started = new Set<string>();
    for (const file of jsFiles(DIST)) {
      for (const m of readFileSync(file, 'utf8').matchAll(/compiledUrl\(\s*(['"])([^'"]+)\1\s*,\s*import\.meta\.url\s*\)/g)) started.add(basename(m[2] ?? ''));
    }
    expect([...started].sort()).toEqual(expect.arrayContaining(['entry.js', 'httpRunnable.js', 'statFilterWorker.js']));
    for (const s of started) expect(files, s).toContain(s);
  });

  it('is what bin/tripbench.js loads', () => {
    expect(readFileSync(BIN, 'utf8')).toContain("'../dist/bundle/main.js'");
  });

  it('says in one line, exit 1, when the bundle was not built', async () => {
    mkdirSync(join(tmp, 'bin'));
    copyFileSync(BIN, join(tmp, 'bin', 'tripbench.js'));
    const r = spawnSync(process.execPath, [join(tmp, 'bin', 'tripbench.js'), 'version'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('tripbench: dist/bundle/main.js is missing: run npm run build\n');
  });

  it('runs a plain load from four files of the bundle and nothing else under dist/', async () => {
    const seen = await resolvedBy('plain', ['load', '-c', '1', '-qps', '0', '-n', '16', keepAlive.url]);
    expect(seen.filter((p) => !p.startsWith('bundle/')), seen.join(' ')).toEqual([]);
    // main, the cli chunk, the core chunk, the HTTP runnable: the reason the bundle exists
    expect(seen.length, seen.join(' ')).toBeLessThanOrEqual(4);
  });

  it('starts its worker threads, runnables and JSON writer from the bundle', async () => {
    const seen = await resolvedBy('workers', ['load', '-c', '4', '-workers', '2', '-qps', '0', '-n', '40', '-keepalive=false', '-json', join(tmp, 'w.json'), closing.url]);
    expect(seen.filter((p) => !p.startsWith('bundle/')), seen.join(' ')).toEqual([]);
    expect(seen).toContain('bundle/entry.js');
    expect(seen).toContain('bundle/httpRunnable.js');
    expect((JSON.parse(readFileSync(join(tmp, 'w.json'), 'utf8')) as { DurationHistogram: { Count: number } }).DurationHistogram.Count).toBe(40);
  });
});
