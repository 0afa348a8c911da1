/**
 * One load description, three ways in: printed as a `tripbench load` command line (what
 * `--dry-run` shows) and parsed back by the real flag parser, it maps to the same engine and
 * HTTP options as the description itself; a scenario's YAML keys are the table's.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseLoadFlags } from '../../src/cli/loadFlags.js';
import { KNOB_NAMES, LOAD_KNOBS, knobDef, loadArgv, loadOptions, loadSpecFromYaml, type KnobName, type LoadSpec } from '../../src/load/loadSpec.js';
import { LIMITS } from '../../src/shared/limits.js';

const S = 1e9;

/** Generic values by kind; knobs whose syntax is narrower than their kind get their own below. */
function byKind(name: KnobName): fc.Arbitrary<unknown> {
  switch (knobDef(name).kind) {
    case 'bool':
      return fc.boolean();
    case 'int':
      return fc.integer({ min: 0, max: 1000 });
    case 'float':
      return fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.double({ min: 0, max: 1000, noNaN: true }));
    case 'duration':
      return fc.oneof(fc.integer({ min: 0, max: 60 }).map((s) => s * S), fc.integer({ min: 0, max: 3600 * S }));
    case 'string':
      return fc.string({ unit: 'grapheme-ascii', maxLength: 12 });
    case 'strings':
      return fc.array(fc.string({ unit: 'grapheme-ascii', maxLength: 12 }), { maxLength: 3 });
    case 'percentiles':
      return fc.array(fc.double({ min: 0.001, max: 99.999, noNaN: true }), { minLength: 1, maxLength: 6 });
  }
}

// -cacert / -cert / -key are read when the load is made: real (PEM-marked) files, cert and key together.
const pemDir = mkdtempSync(join(tmpdir(), 'tb-loadspec-'));
const pemFile = (name: string, text: string): string => {
  writeFileSync(join(pemDir, name), text);
  return join(pemDir, name);
};
const CA_FILE = pemFile('ca.pem', '-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n');
const CERT_FILE = pemFile('c.pem', '-----BEGIN CERTIFICATE-----\nAQ==\n-----END CERTIFICATE-----\n');
const KEY_FILE = pemFile('c.key', '-----BEGIN PRIVATE KEY-----\nAg==\n-----END PRIVATE KEY-----\n');

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,10}$/);
const headerValue = fc.stringMatching(/^[!-~]([ -~]{0,14}[!-~])?$/);
const ARBITRARIES: Partial<Record<KnobName, fc.Arbitrary<unknown>>> = {
  c: fc.integer({ min: 0, max: LIMITS.connections }),
  n: fc.integer({ min: 0, max: LIMITS.calls }),
  qps: fc.oneof(fc.integer({ min: 0, max: LIMITS.qps }), fc.double({ min: 0, max: LIMITS.qps, noNaN: true })),
  t: fc.integer({ min: 0, max: LIMITS.durationNs }),
  timeout: fc.integer({ min: 0, max: LIMITS.timeoutNs }),
  r: fc.double({ min: 1e-6, max: 10, noNaN: true }),
  'abort-on': fc.constantFrom(0, -1, 200, 503),
  X: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'post', 'PROPFIND'),
  H: fc.array(
    fc.tuple(fc.oneof(token, fc.constantFrom('Host', 'User-Agent', 'Content-Type', 'content-type')), headerValue).map(([k, v]) => `${k}: ${v}`),
    { maxLength: 3 },
  ),
  payload: fc.string({ unit: 'grapheme-ascii', maxLength: 40 }),
  'content-type': fc.constantFrom('', 'application/json', 'text/plain; charset=utf-8'),
  'connection-reuse': fc.oneof(
    fc.constant(''),
    fc.integer({ min: 1, max: 50 }).map(String),
    fc.tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 50 })).map(([a, d]) => `${a}:${a + d}`),
  ),
  resolve: fc.constantFrom('', '127.0.0.1', '10.1.2.3'),
  'connect-to': fc.constantFrom('', '127.0.0.1:15001', 'sidecar.local:15001', '[::1]:8080'),
  user: fc.constantFrom('', 'user:secret', 'a:'),
  workers: fc.integer({ min: 0, max: 8 }),
  cacert: fc.constantFrom('', CA_FILE),
  cert: fc.constantFrom('', CERT_FILE),
  key: fc.constant(''),
};

const loadSpecArb: fc.Arbitrary<LoadSpec> = fc.record(
  Object.fromEntries(KNOB_NAMES.map((k) => [k, ARBITRARIES[k] ?? byKind(k)])) as Record<KnobName, fc.Arbitrary<unknown>>,
  { requiredKeys: [] },
).map((s) => (s['cert'] === CERT_FILE ? { ...s, key: KEY_FILE } : { ...s, cert: undefined, key: undefined }))
  .filter((l) => {
    // -grpc runs c × s threads, bounded as -c is (checkBounds): over it is a flag error, not a load
    const spec = l as LoadSpec;
    return !spec.grpc || Math.max(1, spec.c ?? 4) * Math.max(1, spec.s ?? 1) <= LIMITS.connections;
  }) as fc.Arbitrary<LoadSpec>;

const urlArb = fc.constantFrom('http://127.0.0.1:8080/get', 'localhost:9000/a?b=c', 'https://example.com/', 'http://httpbin:8000/status/503');

describe('a load description and its `tripbench load` command line', () => {
  it('parse back to the same engine and HTTP options (property, 300 descriptions)', () => {
    fc.assert(
      fc.property(loadSpecArb, urlArb, (spec, url) => {
        const argv = loadArgv(spec, url);
        const cfg = parseLoadFlags(argv, 'load');
        const direct = loadOptions(spec, url);
        expect({ run: cfg.run, http: cfg.http, grpc: cfg.grpc, warnings: cfg.httpWarnings }, argv.join(' ')).toEqual(direct);
      }),
      { numRuns: 300 },
    );
  });

  it('prints only what is set, fortio syntax, URL last', () => {
    expect(loadArgv({}, 'http://h/')).toEqual(['http://h/']);
    expect(loadArgv({ t: 90 * S, keepalive: true, 'http1.0': true }, 'h:1/')).toEqual(['-t', '1m30s', '-http1.0', 'h:1/']);
    expect(loadArgv({ keepalive: false, p: [50, 99.9], 'abort-on': -1 }, 'http://h/')).toEqual(['-keepalive=false', '-abort-on', '-1', '-p', '50,99.9', 'http://h/']);
  });

  it('the flag defaults are the defaults of the options the knobs end in', () => {
    const cfg = parseLoadFlags(['http://h/'], 'load');
    expect({ run: cfg.run, http: cfg.http }).toEqual({ run: loadOptions({}, 'http://h/').run, http: loadOptions({}, 'http://h/').http });
  });
});

describe('the scenario `load` block', () => {
  const schema = JSON.parse(readFileSync(new URL('../../schema/scenario.schema.json', import.meta.url), 'utf8')) as {
    definitions: { load: { properties: Record<string, { type: string | string[] }> } };
  };
  const yamlKnobs = KNOB_NAMES.filter((k) => knobDef(k).yaml !== undefined);

  it('has one schema property per YAML knob (and `path`), of the knob kind', () => {
    const props = schema.definitions.load.properties;
    expect(Object.keys(props).sort()).toEqual([...yamlKnobs.map((k) => knobDef(k).yaml as string), 'path'].sort());
    const jsonType = { int: 'integer', float: 'number', bool: 'boolean', string: 'string', strings: 'array', percentiles: 'array', duration: 'number' } as const;
    for (const k of yamlKnobs) {
      const t = props[knobDef(k).yaml as string]?.type;
      expect([t].flat(), k).toContain(jsonType[LOAD_KNOBS[k].kind]);
    }
  });

  it('reads its YAML keys as the knobs of the same name in fortio terms', () => {
    expect(loadSpecFromYaml({ method: 'PUT', headers: ['a: b'], connectionReuse: '1:2', percentiles: [99], insecure: true, http10: true, c: 2 })).toEqual({
      c: 2,
      X: 'PUT',
      H: ['a: b'],
      'http1.0': true,
      k: true,
      'connection-reuse': '1:2',
      p: [99],
    });
  });
});
