/**
 * YAML documents with source positions, validated by JSON Schema, reporting every problem as
 * one line `file:line:col: field.path: message`. Generic on purpose: Istio resources and
 * scenario files both go through it, so a person always gets the same shape of error.
 */
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import { parseGoDuration } from './duration.js';
import { errorMessage, UsageError } from './errors.js';

/**
 * Largest scenario or Istio YAML file read, in bytes. Kubernetes stores no object above
 * ~1.5 MiB, and the biggest real scenario is a few KiB; a bound here bounds every copy of the
 * text (the scenario source in reports, the description in verdicts.json) and the parse.
 */
export const MAX_YAML_BYTES = 1024 * 1024;
/** Deepest nesting of mappings and lists: bounds every recursive walk after the parse (toJS, schema, stringify). */
export const MAX_YAML_DEPTH = 64;
/** yaml's own guard against alias bombs: alias expansions allowed per document. */
const MAX_ALIAS_COUNT = 100;

export type PathSegment = string | number;

export interface Problem {
  file: string;
  line: number;
  col: number;
  /** dotted field path, e.g. `spec.http[0].timeout`; `(document)` for the whole document */
  path: string;
  message: string;
}

export interface SourcePos {
  line: number;
  col: number;
}

export interface YamlDocument {
  file: string;
  /** 0-based position of the document in a multi-document file */
  index: number;
  /** plain JavaScript value of the document */
  value: unknown;
  /** position of the value at path, or of its key when key is true; falls back to the nearest existing ancestor */
  locate(path: readonly PathSegment[], key?: boolean): SourcePos;
  /** builds a Problem located at path */
  problem(path: readonly PathSegment[], message: string, key?: boolean): Problem;
}

export interface LoadedYaml {
  docs: YamlDocument[];
  /** syntax errors (duplicate keys included); docs is empty when there are any */
  problems: Problem[];
}

export function formatPath(path: readonly PathSegment[]): string {
  let s = '';
  for (const seg of path) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else s += s === '' ? seg : `.${seg}`;
  }
  return s === '' ? '(document)' : s;
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.path}: ${p.message}`;
}

/** Problems printed at most: a 1 MiB file of noise must not answer with 100 000 lines. */
export const MAX_PRINTED_PROBLEMS = 100;

/** Bad configuration files: a UsageError whose message is one formatProblem line per problem. */
export class ProblemsError extends UsageError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    const shown = problems.slice(0, MAX_PRINTED_PROBLEMS).map(formatProblem);
    if (problems.length > MAX_PRINTED_PROBLEMS) shown.push(`… and ${problems.length - MAX_PRINTED_PROBLEMS} more problems`);
    super(shown.join('\n'));
    this.name = 'ProblemsError';
    this.problems = problems;
  }
}

function firstLine(message: string): string {
  // yaml's messages append " at line N, column M:" and a code excerpt; the position is printed separately.
  const line = message.split('\n')[0] ?? message;
  return line.replace(/ at line \d+, column \d+:?$/, '').trim();
}

function childNode(node: unknown, seg: PathSegment, key: boolean): YamlNode | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      const k = isScalar(pair.key) ? pair.key.value : pair.key;
      if (String(k) === String(seg)) return (key ? pair.key : pair.value) as YamlNode | undefined;
    }
    return undefined;
  }
  if (isSeq(node) && typeof seg === 'number') return node.items[seg] as YamlNode | undefined;
  return undefined;
}

function makeDocument(doc: Document.Parsed, value: unknown, index: number, file: string, lc: LineCounter): YamlDocument {
  const posOf = (offset: number): SourcePos => {
    const p = lc.linePos(offset);
    return { line: p.line, col: p.col };
  };
  const locate = (path: readonly PathSegment[], key = false): SourcePos => {
    let node: unknown = doc.contents;
    let best: SourcePos | undefined;
    const rangeStart = (n: unknown): number | undefined => {
      const r = (n as { range?: [number, number, number] } | null)?.range;
      return r ? r[0] : undefined;
    };
    const start = rangeStart(node);
    if (start !== undefined) best = posOf(start);
    for (let i = 0; i < path.length; i++) {
      const last = i === path.length - 1;
      const next = childNode(node, path[i] as PathSegment, key && last);
      if (next === undefined || next === null) break;
      node = next;
      const s = rangeStart(node);
      if (s !== undefined) best = posOf(s);
    }
    return best ?? { line: 1, col: 1 };
  };
  return {
    file,
    index,
    value,
    locate,
    problem(path, message, key = false) {
      const pos = locate(path, key);
      return { file, line: pos.line, col: pos.col, path: formatPath(path), message };
    },
  };
}

/**
 * Nesting deeper than MAX_YAML_DEPTH, located at the first node too deep, walked with an
 * explicit stack so that the check itself cannot overflow; also returns the first alias, where
 * an alias problem found later (toJS) is reported.
 */
function shapeCheck(doc: Document.Parsed): { tooDeep?: YamlNode; firstAlias?: YamlNode } {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: doc.contents, depth: 1 }];
  let firstAlias: YamlNode | undefined;
  while (stack.length > 0) {
    const { node, depth } = stack.pop() as { node: unknown; depth: number };
    if (isAlias(node)) {
      firstAlias ??= node;
      continue;
    }
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > MAX_YAML_DEPTH) return { tooDeep: node as YamlNode };
    for (let i = node.items.length - 1; i >= 0; i--) {
      const item = node.items[i];
      if (isPair(item)) {
        stack.push({ node: item.value, depth: depth + 1 }, { node: item.key, depth: depth + 1 });
      } else stack.push({ node: item, depth: depth + 1 });
    }
  }
  return firstAlias ? { firstAlias } : {};
}

function startOf(node: unknown): number {
  return (node as { range?: [number, number, number] } | null)?.range?.[0] ?? 0;
}

/** yaml's texts for what a person can fix, in our words; anything else keeps its first line. */
function yamlMessage(message: string): string {
  if (/call stack/i.test(message)) return `nested too deeply (more than ${MAX_YAML_DEPTH} levels of mappings and lists)`;
  if (/excessive alias count/i.test(message)) return `aliases (*name) expand to too many nodes (a YAML alias bomb?); at most ${MAX_ALIAS_COUNT} expansions`;
  return firstLine(message);
}

/** Parses every document of a YAML text; empty documents (e.g. a trailing `---`) are skipped. */
export function loadYamlDocuments(text: string, file: string): LoadedYaml {
  const lc = new LineCounter();
  const problems: Problem[] = [];
  const at = (offset: number, message: string): Problem => {
    const p = lc.linePos(offset);
    return { file, line: p.line, col: p.col, path: '(yaml)', message };
  };
  let parsed: Document.Parsed[] | { empty: true };
  try {
    const all = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
    parsed = Array.isArray(all) ? (all as Document.Parsed[]) : { empty: true };
  } catch (e) {
    // The parser recurses on nesting; whatever escapes it is still a bad file, not a crash.
    return { docs: [], problems: [{ file, line: 1, col: 1, path: '(yaml)', message: yamlMessage(errorMessage(e)) }] };
  }
  if (!Array.isArray(parsed)) {
    // An EmptyStream: nothing but comments or whitespace.
    return { docs: [], problems };
  }
  for (const doc of parsed) {
    for (const err of doc.errors) problems.push(at(err.pos[0], yamlMessage(err.message)));
  }
  if (problems.length > 0) return { docs: [], problems };
  const docs: YamlDocument[] = [];
  for (const d of parsed) {
    if (d.contents === null) continue;
    const shape = shapeCheck(d);
    if (shape.tooDeep) {
      problems.push(at(startOf(shape.tooDeep), `nested too deeply (more than ${MAX_YAML_DEPTH} levels of mappings and lists)`));
      continue;
    }
    let value: unknown;
    try {
      value = d.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) as unknown;
    } catch (e) {
      // Alias bombs and unresolved aliases surface here, not in doc.errors.
      problems.push(at(startOf(shape.firstAlias ?? d.contents), yamlMessage(errorMessage(e))));
      continue;
    }
    docs.push(makeDocument(d, value, docs.length, file, lc));
  }
  return problems.length > 0 ? { docs: [], problems } : { docs, problems };
}

/** The value at `at` inside doc as a document of its own: its problems still point into doc's file. */
export function subDocument(doc: YamlDocument, at: readonly PathSegment[], value: unknown): YamlDocument {
  return {
    file: doc.file,
    index: doc.index,
    value,
    locate: (p, key) => doc.locate([...at, ...p], key),
    problem: (p, m, key) => doc.problem([...at, ...p], m, key),
  };
}

/**
 * A scenario or Istio YAML file as text (`-` = stdin), read at most MAX_YAML_BYTES + 1 bytes
 * far, so a huge file is refused before it costs memory. Throws UsageError naming the file.
 */
export function readYamlFile(file: string, limit = MAX_YAML_BYTES): string {
  let fd: number;
  try {
    fd = file === '-' ? 0 : openSync(file, 'r');
  } catch (e) {
    throw new UsageError(`${file}: ${errorMessage(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new UsageError(`${file}: is a directory, expected a YAML file`);
    if (st.isFile() && st.size > limit) throw new UsageError(`${file}: ${st.size} bytes, over the ${limit}-byte limit for YAML files`);
    const buf = Buffer.alloc(limit + 1);
    let n = 0;
    while (n < buf.length) {
      let got: number;
      try {
        got = readSync(fd, buf, n, buf.length - n, null);
      } catch (e) {
        // A non-blocking stdin pipe with nothing yet: wait a moment and read again.
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
          continue;
        }
        throw e;
      }
      if (got === 0) break;
      n += got;
    }
    if (n > limit) throw new UsageError(`${file}: more than ${limit} bytes, over the ${limit}-byte limit for YAML files`);
    return buf.toString('utf8', 0, n);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${file}: ${errorMessage(e)}`);
  } finally {
    if (fd !== 0) closeSync(fd);
  }
}

export type JsonSchema = Record<string, unknown>;

const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addFormat('go-duration', {
  type: 'string',
  validate: (s: string) => {
    const d = parseGoDuration(s);
    return d !== undefined && d >= 0;
  },
});
const compiled = new WeakMap<JsonSchema, ValidateFunction>();

function pointerToPath(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[String(seg)];
  }
  return v;
}

function errorToProblem(doc: YamlDocument, e: ErrorObject): Problem | undefined {
  const path = pointerToPath(e.instancePath);
  const got = (): string => describe(valueAt(doc.value, path));
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return doc.problem([...path, String(params.additionalProperty)], 'unknown field', true);
    case 'required':
      return doc.problem(path, `missing required field "${String(params.missingProperty)}"`);
    case 'type':
      return doc.problem(path, `must be ${params.type === 'integer' ? 'an integer' : `of type ${String(params.type)}`} (got ${got()})`);
    case 'minimum': {
      const v = valueAt(doc.value, path);
      if (params.limit === 0 && typeof v === 'number' && v < 0) return doc.problem(path, `must not be negative (got ${v})`);
      return doc.problem(path, `must be >= ${String(params.limit)} (got ${got()})`);
    }
    case 'maximum':
      return doc.problem(path, `must be <= ${String(params.limit)} (got ${got()})`);
    case 'exclusiveMinimum':
      return doc.problem(path, `must be > ${String(params.limit)} (got ${got()})`);
    case 'enum':
      return doc.problem(path, `must be one of ${(params.allowedValues as unknown[]).map((x) => String(x)).join(', ')} (got ${got()})`);
    case 'const':
      return doc.problem(path, `must be ${describe(params.allowedValue)} (got ${got()})`);
    case 'format':
      if (params.format === 'go-duration') return doc.problem(path, `must be a non-negative duration like 1s, 500ms, 3m (got ${got()})`);
      return doc.problem(path, `must match format ${String(params.format)} (got ${got()})`);
    case 'pattern':
      return doc.problem(path, `has an invalid value ${got()}`);
    case 'maxProperties':
    case 'minProperties':
      return doc.problem(path, params.limit === 1 ? 'must set exactly one of its fields' : (e.message ?? 'invalid'));
    case 'if':
    case 'oneOf':
    case 'anyOf':
      return undefined; // the branch errors say what is wrong
    default:
      return doc.problem(path, e.message ?? 'invalid');
  }
}

/** Validates a document against a JSON Schema; problems are sorted by position and deduplicated. */
export function validate(doc: YamlDocument, schema: JsonSchema): Problem[] {
  let fn = compiled.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  if (fn(doc.value)) return [];
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const e of fn.errors ?? []) {
    const p = errorToProblem(doc, e);
    if (!p) continue;
    const k = formatProblem(p);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(p);
  }
  return out.sort((a, b) => a.line - b.line || a.col - b.col);
}
