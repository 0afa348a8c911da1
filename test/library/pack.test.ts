/**
 * The package as a user gets it: `npm pack`, the tarball installed in a fresh project and
 * imported by name. The install is offline: the project gets a lockfile cut from ours (the
 * tarball plus every non-dev package), so `npm ci --offline` takes each one from the npm cache
 * that `npm ci` filled (a plain `npm install --offline <tgz>` would need the registry's package
 * documents, which `npm ci` does not cache). A runtime import of a devDependency, a file left
 * out of `files`, a missing declaration or a worker entry that does not resolve from
 * node_modules fails here.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), 'tripbench-pack-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

const run = promisify(execFile);
const npm = (args: string[], cwd: string) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, timeout: 60_000, env: { ...process.env, npm_config_update_notifier: 'false' } });

interface LockEntry {
  dev?: boolean;
  devOptional?: boolean;
  [k: string]: unknown;
}

/** Our lockfile reduced to what a project depending on the tarball installs. */
function projectLock(tgz: string): object {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const root = lock.packages[''] ?? {};
  const integrity = `sha512-${createHash('sha512').update(readFileSync(join(TMP, tgz))).digest('base64')}`;
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', version: '1.0.0', dependencies: { tripbench: `file:../${tgz}` } },
    'node_modules/tripbench': {
      version: root['version'],
      resolved: `file:../${tgz}`,
      integrity,
      license: root['license'],
      dependencies: root['dependencies'],
      bin: root['bin'],
      engines: root['engines'],
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path.startsWith('node_modules/') && entry.dev !== true && entry.devOptional !== true) packages[path] = entry;
  }
  return { name: 'consumer', version: '1.0.0', lockfileVersion: 3, requires: true, packages };
}

const CHECK_JS = `
import { DEFAULT_RUN_OPTIONS, Level, runLoad, startTarget } from 'tripbench';
import pkg from 'tripbench/package.json' with { type: 'json' };
let deep = 'imported';
try {
  await import('tripbench/dist/load/runLoad.js');
} catch (e) {
  deep = e.code;
}
const target = await startTarget();
try {
  const { result } = await runLoad({
    run: { ...DEFAULT_RUN_OPTIONS, threads: 1, qps: 0, exactly: 5 },
    http: { url: target.url + '/' },
    log: { level: Level.Error },
  });
  console.log(JSON.stringify({ version: pkg.version, deep, codes: result.RetCodes }));
} finally {
  await target.close();
}
`;

// Type-checked against the installed dist/index.d.ts, as a strict TypeScript user would.
const CHECK_TS = `
import { DEFAULT_RUN_OPTIONS, type FortioResult, type LoadRequest, type TargetHandle, mergeResults } from 'tripbench';
export const request: LoadRequest = { run: { ...DEFAULT_RUN_OPTIONS, exactly: 1 }, http: { url: 'http://127.0.0.1:8080/' } };
export const calls = (r: FortioResult): number => r.DurationHistogram.Count;
export const merged = (a: FortioResult): FortioResult => mergeResults([{ source: 'a.json', result: a }]).result;
export const port = (t: TargetHandle): number => t.address.port;
// @ts-expect-error: no deep imports
export const deep = import('tripbench/dist/load/runLoad.js');
`;

describe('the packed package', () => {
  it('installs offline from its tarball and works when imported by name', { timeout: 120_000 }, async () => {
    const { stdout: packed } = await npm(['pack', '--pack-destination', TMP, '--json'], ROOT);
    const [info] = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
    const tgz = info?.filename ?? '';
    expect(info?.files.map((f) => f.path)).toEqual(expect.arrayContaining(['dist/index.js', 'dist/index.d.ts', 'dist/http/httpRunnable.js', 'bin/tripbench.js']));

    const proj = join(TMP, 'consumer');
    mkdirSync(proj);
    writeFileSync(join(proj, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module', dependencies: { tripbench: `file:../${tgz}` } }));
    writeFileSync(join(proj, 'package-lock.json'), JSON.stringify(projectLock(tgz)));
    await npm(['ci', '--offline', '--ignore-scripts'], proj);

    writeFileSync(join(proj, 'check.mjs'), CHECK_JS);
    const { stdout } = await run(process.execPath, ['check.mjs'], { cwd: proj, timeout: 60_000 });
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    expect(JSON.parse(stdout)).toEqual({ version, deep: 'ERR_PACKAGE_PATH_NOT_EXPORTED', codes: { '200': 5 } });

    writeFileSync(join(proj, 'check.ts'), CHECK_TS);
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const args = ['--noEmit', '--skipLibCheck', '--strict', '--exactOptionalPropertyTypes', '--module', 'nodenext', '--target', 'es2023'];
    await run(process.execPath, [tsc, ...args, '--typeRoots', join(ROOT, 'node_modules', '@types'), '--types', 'node', 'check.ts'], { cwd: proj, timeout: 60_000 });
  });
});
