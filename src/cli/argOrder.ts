/**
 * Go's flag package stops at the first positional argument, but `tripbench merge a.json b.json
 * -o merged.json` reads naturally with the flags last. This moves every flag (with its value,
 * for non-boolean flags) ahead of the positionals so parseFlags sees them; `--` still ends flags.
 */
import type { FlagSpecs } from './flags.js';
import { pushAll } from '../shared/arrays.js';

export function flagsFirst(argv: readonly string[], specs: FlagSpecs): string[] {
  const flags: string[] = [];
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      pushAll(positional, argv.slice(i + 1));
      break;
    }
    if (a.length < 2 || a[0] !== '-') {
      positional.push(a);
      continue;
    }
    flags.push(a);
    const body = a.replace(/^--?/, '');
    const spec = specs[body];
    // `-o file`: the value travels with its flag; `-o=file`, booleans and unknown flags stand alone.
    if (!body.includes('=') && spec && spec.type !== 'bool' && i + 1 < argv.length) flags.push(argv[++i] as string);
  }
  return positional.length > 0 ? [...flags, '--', ...positional] : flags;
}
