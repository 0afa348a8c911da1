/**
 * Flag parsing with Go's `flag` package rules, because fortio users type `-c 3`, `-c=3`,
 * `--c 3`, `-keepalive=false`: one or two dashes, `=` or a separate value (never for booleans),
 * parsing stops at the first positional argument or at `--`. Errors read like Go's.
 */
import { UsageError } from '../shared/errors.js';
import { parseGoDuration } from '../shared/duration.js';
import { formatDuration } from '../shared/goFormat.js';

export type FlagType = 'bool' | 'int' | 'float' | 'string' | 'duration' | 'strings';

export interface FlagSpec {
  type: FlagType;
  /** default value shown in usage, in the flag's type */
  default: boolean | number | string | string[];
  usage: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

export type FlagValue = boolean | number | string | string[];

export interface ParsedFlags {
  values: Record<string, FlagValue>;
  /** flags the user actually set */
  set: Set<string>;
  positional: string[];
}

/** Error for a bad flag: message is Go's, exit code 2 by convention of the caller. */
export class FlagError extends UsageError {}

function parseBool(s: string): boolean | undefined {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(s)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(s)) return false;
  return undefined;
}

function parseValue(name: string, spec: FlagSpec, raw: string): FlagValue {
  const bad = (): never => {
    throw new FlagError(`invalid value "${raw}" for flag -${name}: parse error`);
  };
  switch (spec.type) {
    case 'bool': {
      const b = parseBool(raw);
      return b === undefined ? bad() : b;
    }
    case 'int': {
      if (!/^[+-]?\d+$/.test(raw.trim())) return bad();
      return Number.parseInt(raw, 10);
    }
    case 'float': {
      const t = raw.trim();
      if (t === '' || !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return bad();
      return Number(t);
    }
    case 'duration': {
      const d = parseGoDuration(raw);
      return d === undefined ? bad() : d;
    }
    case 'string':
      return raw;
    case 'strings':
      return [raw];
  }
}

/** Parses argv (without the command word) against specs. Throws FlagError on the first problem. */
export function parseFlags(argv: readonly string[], specs: FlagSpecs): ParsedFlags {
  const values: Record<string, FlagValue> = {};
  for (const [k, s] of Object.entries(specs)) values[k] = Array.isArray(s.default) ? [...s.default] : s.default;
  const set = new Set<string>();
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i] as string;
    if (arg.length < 2 || arg[0] !== '-') break;
    let body = arg.slice(1);
    if (body[0] === '-') {
      body = body.slice(1);
      if (body === '') {
        i++;
        break; // "--" ends flags
      }
    }
    if (body === '' || body[0] === '-' || body[0] === '=') throw new FlagError(`bad flag syntax: ${arg}`);
    i++;
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = specs[name];
    if (!spec) {
      if (name === 'h' || name === 'help') throw new FlagError('help requested');
      throw new FlagError(`flag provided but not defined: -${name}`);
    }
    let raw: string;
    if (eq >= 0) raw = body.slice(eq + 1);
    else if (spec.type === 'bool') raw = 'true';
    else {
      if (i >= argv.length) throw new FlagError(`flag needs an argument: -${name}`);
      raw = argv[i] as string;
      i++;
    }
    const v = parseValue(name, spec, raw);
    if (spec.type === 'strings') {
      const prev = set.has(name) ? (values[name] as string[]) : [];
      values[name] = [...prev, ...(v as string[])];
    } else {
      values[name] = v;
    }
    set.add(name);
  }
  return { values, set, positional: argv.slice(i) };
}

/** Go-style usage listing: "  -name type\n    \tusage (default x)". */
export function formatUsage(specs: FlagSpecs): string {
  const lines: string[] = [];
  for (const name of Object.keys(specs).sort()) {
    const s = specs[name] as FlagSpec;
    const typeName = s.type === 'bool' ? '' : s.type === 'strings' ? ' value' : ` ${s.type}`;
    lines.push(`  -${name}${typeName}`);
    let def = '';
    const d = s.default;
    if (s.type === 'string' && d !== '') def = ` (default ${JSON.stringify(d)})`;
    else if ((s.type === 'int' || s.type === 'float') && d !== 0) def = ` (default ${String(d)})`;
    else if (s.type === 'bool' && d === true) def = ' (default true)';
    else if (s.type === 'duration' && d !== 0) def = ` (default ${formatDuration(d as number)})`;
    lines.push(`    \t${s.usage}${def}`);
  }
  return lines.join('\n') + '\n';
}

export const flagString = (p: ParsedFlags, n: string): string => p.values[n] as string;
export const flagNumber = (p: ParsedFlags, n: string): number => p.values[n] as number;
export const flagBool = (p: ParsedFlags, n: string): boolean => p.values[n] as boolean;
export const flagStrings = (p: ParsedFlags, n: string): string[] => p.values[n] as string[];
