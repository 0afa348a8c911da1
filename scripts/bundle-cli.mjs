/**
 * `npm run build`'s second step, after tsc: the CLI (bin/tripbench.js) as an esbuild bundle in
 * dist/bundle/. Node's ESM loader reads, resolves, compiles and links every module on its own,
 * which was most of what a near-empty `tripbench load` cost above `node -e 0`; bundled, a command
 * reads a few chunks (docs/benchmarks.md, "Start-up"). The library (dist/index.js) stays tsc's.
 *
 * Split, not one file: every command stays a dynamic import (cli/main.ts), so `load` never
 * compiles the rehearsal or the HTML report. The modules a worker or the inline engine load by
 * URL (`compiledUrl('…', import.meta.url)`) are entry points of the same build, so inline they
 * share the caller's module instances (its configured logger), as tsc's dist/ does.
 *
 * import.meta.url: a chunk is not where its sources were. Each source's uses are rewritten to
 * the URL its tsc twin has (dist/X/Y.js: package.json, schema/ and node_modules are found as
 * from dist/), except the base of a compiledUrl() call, which names the same place inside the
 * bundle (dist/bundle/X/Y.js), where the URL-loaded entry points are. Both are relative to the
 * output file, so every output holding such a source must sit one folder below dist/bundle/:
 * the build checks it.
 */
import { build } from 'esbuild';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
const OUT = process.env.BUNDLE_OUT ?? join(ROOT, 'dist', 'bundle');
const COMPILED_URL = /compiledUrl\(\s*'([^']+)'\s*,\s*import\.meta\.url\s*\)/g;

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const posix = (p) => p.split(sep).join('/');
const srcRel = (file) => posix(relative(SRC, file)).replace(/\.ts$/, '.js');

// Entry points: the CLI and every module some source loads by URL.
const entries = new Map([['cli/main.js', join(SRC, 'cli', 'main.ts')]]);
for (const file of sources(SRC)) {
  for (const m of readFileSync(file, 'utf8').matchAll(COMPILED_URL)) {
    const target = join(dirname(file), m[1]).replace(/\.js$/, '.ts');
    entries.set(srcRel(target), target);
  }
}

const rewritten = new Set();
const importMetaUrl = {
  name: 'import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      let text = readFileSync(args.path, 'utf8');
      if (text.includes('import.meta.url')) {
        const rel = srcRel(args.path);
        rewritten.add(posix(relative(ROOT, args.path)));
        const inBundle = `new URL(${JSON.stringify(`../${rel}`)}, import.meta.url).href`;
        const tscTwin = `new URL(${JSON.stringify(`../../${rel}`)}, import.meta.url).href`;
        text = text
          .replace(COMPILED_URL, (_, r) => `compiledUrl(${JSON.stringify(r)}, \0BUNDLE\0)`)
          .replaceAll('import.meta.url', tscTwin)
          .replaceAll('\0BUNDLE\0', inBundle);
      }
      return { contents: text, loader: 'ts' };
    });
  },
};

rmSync(OUT, { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: [...entries].map(([out, file]) => ({ in: file, out: out.replace(/\.js$/, '') })),
  outdir: OUT,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  keepNames: process.env.KN !== '0',
  sourcemap: process.env.SM !== '0',
  metafile: true,
  logLevel: 'warning',
  plugins: [importMetaUrl],
});

const misplaced = Object.entries(result.metafile.outputs)
  .filter(([out, o]) => out.endsWith('.js') && Object.keys(o.inputs).some((i) => rewritten.has(i)))
  .filter(([out]) => posix(relative(OUT, join(ROOT, out))).split('/').length !== 2)
  .map(([out]) => out);
if (misplaced.length > 0) {
  throw new Error(`bundle-cli: ${misplaced.join(', ')} hold import.meta.url code but are not one folder below dist/bundle/: their URLs would be wrong`);
}
