#!/usr/bin/env node
// The CLI runs from its bundle (scripts/bundle.mjs, the second step of `npm run build`).
import { existsSync } from 'node:fs';

const main = new URL('../dist/bundle/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('tripbench: dist/bundle/main.js is missing: run npm run build\n');
  process.exit(1);
}
await import(main.href);
