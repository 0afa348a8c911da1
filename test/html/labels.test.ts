import { describe, expect, it } from 'vitest';
import { shortLabels, titleAttr } from '../../src/html/labels.js';
import { escapeHtml } from '../../src/html/escape.js';

describe('short labels for comparisons', () => {
  const json = (n: string): string => n.replace(/\.json$/, '');

  it('is the file name when that tells the files apart', () => {
    expect(shortLabels(['/var/ci/builds/1234/reports/before.json', '/var/ci/builds/1234/reports/after.json'], json)).toEqual(['before', 'after']);
    expect(shortLabels(['reports/istio/2026-11-24T010000Z', 'reports/istio/2026-11-25T010000Z'])).toEqual(['2026-11-24T010000Z', '2026-11-25T010000Z']);
  });

  it('adds only the parent folders it takes to tell two apart', () => {
    expect(shortLabels(['/a/x/nightly/before/run.json', '/a/x/nightly/after/run.json'], json)).toEqual(['before/run', 'after/run']);
    expect(shortLabels(['/one/ci/run.json', '/two/ci/run.json', '/two/ci/other.json'], json)).toEqual(['one/ci/run', 'two/ci/run', 'two/ci/other']);
    expect(shortLabels(['C:\\runs\\a\\r.json', 'C:\\runs\\b\\r.json'], json)).toEqual(['a/r', 'b/r']);
  });

  it('numbers the same path given twice, and keeps a lone name', () => {
    expect(shortLabels(['r.json', 'r.json'], json)).toEqual(['r (1)', 'r (2)']);
    expect(shortLabels(['only.json'], json)).toEqual(['only']);
  });

  it('puts the full name on hover only when it says more', () => {
    expect(titleAttr('before/run', '/x/before/run.json', escapeHtml)).toBe(' title="/x/before/run.json"');
    expect(titleAttr('a', 'a', escapeHtml)).toBe('');
    expect(titleAttr('a', undefined, escapeHtml)).toBe('');
    expect(titleAttr('a', '/"<x>', escapeHtml)).toBe(' title="/&quot;&lt;x&gt;"');
  });
});
