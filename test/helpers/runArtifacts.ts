/**
 * Reading back what `tripbench run` wrote the way its consumers do: the run folder, JUnit XML
 * checked by xmllint against Jenkins' JUnit schema (the xUnit plugin's junit-10.xsd, its
 * strictest common consumer) and parsed by fast-xml-parser, the Markdown
 * summary's tables as `marked` (GitHub-flavoured) sees them, and the verdicts document.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { Marked, type Tokens } from 'marked';
import type { VerdictsDocument } from '../../src/scenario/render/verdictsJson.js';
import { needTool } from './tools.js';

const XSD = fileURLToPath(new URL('../fixtures/jenkins-junit-10.xsd', import.meta.url));
export const XMLLINT = needTool('xmllint', 'libxml2-utils');

/** The only run folder of a scenario under a reports root. */
export function runDir(reports: string, scenario: string): string {
  const dirs = readdirSync(join(reports, scenario)).filter((d) => /^\d{4}-\d\d-\d\dT\d{6}Z/.test(d));
  if (dirs.length !== 1) throw new Error(`expected one run of ${scenario} in ${reports}, found ${dirs.join(', ') || 'none'}`);
  return join(reports, scenario, dirs[0] as string);
}

export function readVerdicts(dir: string): VerdictsDocument {
  return JSON.parse(readFileSync(join(dir, 'verdicts.json'), 'utf8')) as VerdictsDocument;
}

/** xmllint's verdict against Jenkins' JUnit XSD: '' when valid, else its complaints. */
export function xsdErrors(xml: string): string {
  const xmllint = XMLLINT.path; // throws when missing: the test fails rather than passes
  const f = join(mkdtempSync(join(tmpdir(), 'tripbench-xsd-')), 'junit.xml');
  writeFileSync(f, xml);
  try {
    execFileSync(xmllint, ['--noout', '--schema', XSD, f], { stdio: 'pipe' });
    return '';
  } catch (e) {
    return String((e as { stderr?: Buffer }).stderr ?? e);
  }
}

export interface JUnitCase {
  '@_name': string;
  '@_classname': string;
  '@_time': string;
  failure?: { '@_message': string; '@_type': string; '#text': string };
  skipped?: { '@_message': string };
  error?: { '@_message': string; '@_type': string; '#text': string };
}

export interface JUnitSuite {
  '@_name': string;
  '@_tests': string;
  '@_failures': string;
  '@_skipped': string;
  '@_errors': string;
  properties: { property: { '@_name': string; '@_value': string }[] };
  testcase: JUnitCase[];
  'system-out'?: string;
}

export interface JUnitDoc {
  testsuites: {
    '@_tests': string;
    '@_failures': string;
    '@_errors': string;
    testsuite: JUnitSuite[];
  };
}

export function parseJUnit(xml: string): JUnitDoc {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${JSON.stringify(valid)}`);
  const p = new XMLParser({
    ignoreAttributes: false,
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    htmlEntities: true,
    isArray: (name) => ['testsuite', 'testcase', 'property'].includes(name),
  });
  return p.parse(xml) as JUnitDoc;
}

/** The tables of a Markdown document as header + rows of cell text (GFM, as GitHub renders it). */
export function markdownTables(md: string): { header: string[]; rows: string[][] }[] {
  const tokens = new Marked({ gfm: true }).lexer(md);
  return tokens
    .filter((t): t is Tokens.Table => t.type === 'table')
    .map((t) => ({ header: t.header.map((h) => h.text), rows: t.rows.map((r) => r.map((c) => c.text)) }));
}
