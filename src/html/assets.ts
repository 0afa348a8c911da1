/**
 * uPlot's browser build and stylesheet, read from node_modules so the report carries them inline
 * and opens without network access. Resolved relative to this module, which works from src/
 * (tests), from dist/ and from an installed package alike, since uplot is a runtime dependency.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export interface ChartAssets {
  js: string;
  css: string;
  /** "uPlot 1.6.32", printed in the page footer */
  name: string;
}

let cached: ChartAssets | undefined;

/** A `</script` or `</style` inside inlined code would end the element early. */
function guard(text: string, tag: 'script' | 'style'): string {
  return text.replace(new RegExp(`</${tag}`, 'gi'), `<\\/${tag}`);
}

export function chartAssets(): ChartAssets {
  if (cached) return cached;
  const req = createRequire(import.meta.url);
  const js = readFileSync(req.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const css = readFileSync(req.resolve('uplot/dist/uPlot.min.css'), 'utf8');
  const pkg = JSON.parse(readFileSync(req.resolve('uplot/package.json'), 'utf8')) as { version?: string };
  cached = { js: guard(js, 'script'), css: guard(css, 'style'), name: `uPlot ${pkg.version ?? ''}`.trim() };
  return cached;
}
