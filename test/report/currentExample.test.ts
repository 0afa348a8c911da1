import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeFortioJson, parseFortioJson } from '../../src/report/fortioJson.js';
import { formatFirstLine, formatReport, formatStartLine } from '../../src/report/fortioText.js';
import { Level } from '../../src/shared/log.js';
import { CURRENT_EXAMPLE_TEXT, currentExampleResult, currentExampleWithConnections } from './currentExample.js';

// fortio-compat.md §5.4 expanded to the real MarshalIndent layout (one key / element per line) by
// a one-off script from the reference's compacted block; its only number change is §5.1's rule
// that 1.0073802338518847e-05 (>= 1e-6) is written 0.000010073802338518847.
const EXPECTED_JSON = readFileSync(new URL('./fixtures/current-example-5.4.json', import.meta.url), 'utf8');

const first = formatFirstLine({ qps: 0, cores: 8, workers: 8, calls: 6, durationNs: 5e9, url: 'http://localhost:8080/', version: '1.75.2' });
const start = formatStartLine({ qps: 0, threads: 2, workers: 8, exactly: 6, durationNs: 5e9, perThread: 3, leftover: 0 });

describe('§3.4 current-version text example (six latencies through src/stats)', () => {
  it('matches byte for byte at -loglevel Warning', () => {
    const text = first + start + formatReport(currentExampleWithConnections(), { level: Level.Warning });
    expect(text).toBe(CURRENT_EXAMPLE_TEXT);
  });

  it('has the -quiet (Error level) shape the reference describes', () => {
    const text = first + formatReport(currentExampleWithConnections(), { level: Level.Error });
    const lines = CURRENT_EXAMPLE_TEXT.split('\n');
    const keep = (l: string) =>
      l.startsWith('Fortio ') ||
      l.startsWith('Aggregated Function Time') ||
      l.startsWith('# target') ||
      l.startsWith('Error cases') ||
      l.startsWith('# Socket') ||
      /^\[\d\]/.test(l) ||
      l.startsWith('Sockets used') ||
      l.startsWith('Uniform') ||
      l.startsWith('IP addresses') ||
      l.startsWith('127.0.0.1:8080: ') ||
      l.startsWith('Code ') ||
      l.startsWith('All done') ||
      l === '';
    // The error histogram's five targets are not printed at Error level, only its counter line.
    const errTargetsStart = lines.indexOf('Error cases : count 1 avg 0.000987654 +/- 0 min 0.000987654 max 0.000987654 sum 0.000987654');
    const expected = lines.filter((l, i) => keep(l) && !(i > errTargetsStart && i <= errTargetsStart + 7 && l.startsWith('# ') && !l.startsWith('# Socket')));
    expect(text).toBe(expected.join('\n'));
  });

  it('prints the full connection-time histogram at Info level', () => {
    const text = formatReport(currentExampleWithConnections(), { level: Level.Info });
    expect(text).toContain(
      [
        'Connection time histogram (s) : count 3 avg 0.00018852567 +/- 1.007e-05 min 0.000176458 max 0.000201117 sum 0.000565577',
        '# range, mid point, percentile, count',
        '>= 0.000176458 <= 0.000201117 , 0.000188788 , 100.00, 3',
        '# target 50% 0.000182623',
        '# target 75% 0.00019187',
        '# target 90% 0.000197418',
        '# target 99% 0.000200747',
        '# target 99.9% 0.00020108',
        'Sockets used: 3',
      ].join('\n'),
    );
    expect(text).not.toContain('Connection time (s)');
  });
});

describe('§5.4 current-version JSON example', () => {
  it('encodes byte for byte like Go MarshalIndent', () => {
    expect(encodeFortioJson(currentExampleResult())).toBe(EXPECTED_JSON);
  });

  it('round-trips through the parser byte for byte', () => {
    expect(encodeFortioJson(parseFortioJson(EXPECTED_JSON, 'example.json'))).toBe(EXPECTED_JSON);
  });

  it('keeps the Tripbench extras last and round-trips them', () => {
    const withExtras = currentExampleWithConnections();
    const json = encodeFortioJson(withExtras);
    expect(json.startsWith(EXPECTED_JSON.slice(0, EXPECTED_JSON.lastIndexOf('\n  "AbortOn": 0')))).toBe(true);
    expect(json).toMatch(/\n {2}"AbortOn": 0,\n {2}"Tripbench": \{\n {4}"Version": "0\.1\.0",\n/);
    expect(json.endsWith('\n  }\n}\n')).toBe(true);
    const again = encodeFortioJson(parseFortioJson(json, 'ours.json'));
    expect(again).toBe(json);
    // and the text report is a pure function of the saved JSON
    expect(formatReport(parseFortioJson(json), { level: Level.Warning })).toBe(formatReport(withExtras, { level: Level.Warning }));
  });
});
