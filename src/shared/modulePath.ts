import { basename } from 'node:path';

/**
 * Set to true by the bundler (scripts/bundle.mjs) in the CLI's bundle, dist/bundle/, where every
 * entry and chunk sits in one folder. Undefined in tsc's dist/ and under the TypeScript sources.
 */
declare const TRIPBENCH_BUNDLE: boolean | undefined;

/**
 * The URL of a module started by URL (a worker thread's entry, a runnable): relative to `base` as
 * written in the sources. In the bundle the module is the entry of the same name in the bundle's
 * own folder, so that it shares the bundle's chunks (one instance of every module) instead of
 * loading dist/ beside it. worker_threads need a real JavaScript file: when tests run the
 * TypeScript sources, a URL under src/ (.ts) maps to its compiled twin under dist/ (.js); `npm
 * test` builds first.
 */
export function compiledUrl(relative: string, base: string): URL {
  if (typeof TRIPBENCH_BUNDLE !== 'undefined' && TRIPBENCH_BUNDLE) return new URL(`./${basename(relative)}`, base);
  const u = new URL(relative, base);
  if (!base.endsWith('.ts')) return u;
  const p = u.pathname;
  const i = p.lastIndexOf('/src/');
  if (i < 0) return u;
  return new URL(`file://${p.slice(0, i)}/dist/${p.slice(i + 5).replace(/\.ts$/, '.js')}`);
}
