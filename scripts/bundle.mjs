#!/usr/bin/env node
// The CLI's bundle: tsc's dist/ (one ES module per source file) bundled by rollup into
// dist/bundle/, which bin/tripbench.js loads; the library (dist/index.js) stays unbundled.
// Node 20 has no compile cache for ES modules, and its loader costs about a millisecond of CPU
// per file (resolve, an asynchronous read, compile, link): the 65 modules of a plain `tripbench
// load` cost ≈ 65 ms to import, the same code as one file ≈ 20 ms (docs/benchmarks.md, "Sixth
// pass").
//
// Entries: the CLI, and every module started by URL (compiledUrl: worker entries, runnables),
// found in dist/ so that a new one cannot be missed; the folder is flat, which compiledUrl
// learns from the constant every chunk starts with. Every module is one instance shared by all
// entries, and every dynamic import() still loads its code only when chosen, except for two
// chunks: `core`, the static imports of the load command and of the engine that serves it (on
// this thread or a worker's), and `cli`, what the CLI's entry itself imports (so that `tripbench
// version` or a usage error loads two small files). The other commands load the core with
// theirs: it imports no package, and they need most of it.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rollup } from 'rollup';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const dist = join(root, 'dist');
const out = join(dist, 'bundle');
const CORE_ROOTS = ['cli/load.js', 'engine/workers/entry.js', 'engine/workers/inline.js', 'engine/workers/serve.js', 'http/httpRunnable.js', 'http/leanClient.js'].map((p) => join(dist, p));

const fail = (msg) => {
  process.stderr.write(`bundle: ${msg}\n`);
  process.exit(1);
};

function* jsFiles(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (p !== out) yield* jsFiles(p);
    } else if (e.name.endsWith('.js')) yield p;
  }
}

const input = new Map([['main', join(dist, 'cli', 'main.js')]]);
for (const file of jsFiles(dist)) {
  for (const m of readFileSync(file, 'utf8').matchAll(/compiledUrl\(\s*(['"])([^'"]+)\1\s*,\s*import\.meta\.url\s*\)/g)) {
    const target = resolve(file, '..', m[2]);
    const name = basename(target, '.js');
    const seen = input.get(name);
    if (seen !== undefined && seen !== target) fail(`two entries are named ${name}.js (${relative(root, seen)}, ${relative(root, target)}): the bundle folder is flat`);
    input.set(name, target);
  }
}

const entries = new Set(input.values());

/** The static closure of `roots`, our modules only. */
function closure(roots, getModuleInfo) {
  const seen = new Set();
  const walk = (id) => {
    const info = getModuleInfo(id);
    if (seen.has(id) || info === null || info.isExternal) return;
    seen.add(id);
    for (const dep of info.importedIds) walk(dep);
  };
  for (const r of roots) {
    if (getModuleInfo(r) === null) fail(`${relative(root, r)} is not in the bundle's graph: CORE_ROOTS is out of date`);
    walk(r);
  }
  return seen;
}

/**
 * Our modules' chunk by id: `cli` for what the CLI's entry imports, `core` for the rest of
 * CORE_ROOTS' closure. Entries keep their own files (an entry's top level runs only when it is
 * started); any other module is left to rollup.
 */
function manualChunksOf(getModuleInfo) {
  const chunks = new Map();
  for (const id of closure([input.get('main')], getModuleInfo)) if (!entries.has(id)) chunks.set(id, 'cli');
  for (const id of closure(CORE_ROOTS, getModuleInfo)) if (!entries.has(id) && !chunks.has(id)) chunks.set(id, 'core');
  return chunks;
}

/** Made at rollup's first question, when its module graph is complete. */
let chunkOf;
try {
  const bundle = await rollup({
    input: Object.fromEntries(input),
    external: (id) => !id.startsWith('.') && !id.startsWith('/'),
    onwarn: (w) => {
      if (w.code !== 'CIRCULAR_DEPENDENCY') fail(w.message);
    },
  });
  rmSync(out, { recursive: true, force: true });
  await bundle.write({
    dir: out,
    format: 'es',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    intro: 'const TRIPBENCH_BUNDLE = true;',
    sourcemap: true,
    manualChunks: (id, { getModuleInfo }) => (chunkOf ??= manualChunksOf(getModuleInfo)).get(id),
  });
  await bundle.close();
} catch (e) {
  fail(e instanceof Error ? e.message : String(e));
}
