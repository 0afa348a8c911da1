/**
 * worker_threads need a real JavaScript file. When tests run the TypeScript sources, map a
 * module URL under src/ (.ts) to its compiled twin under dist/ (.js); `npm test` builds first.
 */
export function compiledUrl(relative: string, base: string): URL {
  const u = new URL(relative, base);
  if (!base.endsWith('.ts')) return u;
  const p = u.pathname;
  const i = p.lastIndexOf('/src/');
  if (i < 0) return u;
  return new URL(`file://${p.slice(0, i)}/dist/${p.slice(i + 5).replace(/\.ts$/, '.js')}`);
}
