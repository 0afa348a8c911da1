import { describe, expect, it } from 'vitest';
import { encodeFortioJson, goQuote, parseFortioJson } from '../../src/report/fortioJson.js';
import type { FortioResult } from '../../src/report/fortioResult.js';
import { UsageError } from '../../src/shared/errors.js';
import { currentExampleResult, currentExampleWithConnections } from './currentExample.js';
import { readSample, sampleJsonFiles } from './samples.js';

/** Top-level `"Key": value` blocks of a MarshalIndent document (value text without trailing comma). */
function topLevelBlocks(json: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = json.split('\n');
  let key: string | undefined;
  let buf: string[] = [];
  const flush = () => {
    if (key !== undefined) out.set(key, buf.join('\n').replace(/,$/, ''));
  };
  for (const line of lines.slice(1)) {
    const m = /^ {2}"([^"]+)": (.*)$/.exec(line);
    if (m) {
      flush();
      key = m[1];
      buf = [m[2] as string];
    } else if (line === '}' || line === '') {
      flush();
      key = undefined;
    } else {
      buf.push(line);
    }
  }
  return out;
}

describe('Go string escaping (§5.1)', () => {
  it.each([
    ['a&b<c>', '"a\\u0026b\\u003cc\\u003e"'],
    ['127.0.0.1:18190/echo?delay=2ms:40,7ms:20&status=503:20 , vm', '"127.0.0.1:18190/echo?delay=2ms:40,7ms:20\\u0026status=503:20 , vm"'],
    ['say "hi" \\ bye', '"say \\"hi\\" \\\\ bye"'],
    ['\n\r\t\b\f', '"\\n\\r\\t\\b\\f"'],
    ['\u0001\u001f', '"\\u0001\\u001f"'],
    ['\u2028\u2029', '"\\u2028\\u2029"'],
    ['é 中 😀 /', '"é 中 😀 /"'],
    ['lone \ud800 x', '"lone \\ufffd x"'], // Go writes invalid UTF-8 as the \ufffd escape
    ['YSZiPGM+', '"YSZiPGM+"'], // the 1.33 -payload 'a&b<c>' base64
  ])('%j', (s, want) => {
    expect(goQuote(s)).toBe(want);
  });
});

describe('encodeFortioJson', () => {
  it('writes numbers as Go does: shortest digits, exponent only below 1e-6 / from 1e21', () => {
    const r = currentExampleResult();
    Object.assign(r.DurationHistogram, { Min: 1e-7, Max: 0.000001, Sum: 1e21, Avg: 0.00030000000000000003, StdDev: -0 });
    r.ActualQPS = Number.NaN;
    const blocks = topLevelBlocks(encodeFortioJson(r));
    const dh = blocks.get('DurationHistogram') ?? '';
    expect(dh).toContain('"Min": 1e-7,\n');
    expect(dh).toContain('"Max": 0.000001,\n');
    expect(dh).toContain('"Sum": 1e+21,\n');
    expect(dh).toContain('"Avg": 0.00030000000000000003,\n');
    expect(dh).toContain('"StdDev": -0,\n');
    expect(blocks.get('ActualQPS')).toBe('null'); // Go would refuse to encode; we keep the file valid
  });

  it('sorts map keys as strings, like Go', () => {
    const r = currentExampleResult();
    r.RetCodes = { '200': 1, '503': 2, '1000': 3, '-1': 4 }; // JS iterates "200","503","1000","-1"
    r.IPCountMap = { 'b:1': 1, 'a:2': 2, '10.0.0.1:80': 3 };
    const blocks = topLevelBlocks(encodeFortioJson(r));
    expect(blocks.get('RetCodes')).toBe('{\n    "-1": 4,\n    "1000": 3,\n    "200": 1,\n    "503": 2\n  }');
    expect(blocks.get('IPCountMap')).toBe('{\n    "10.0.0.1:80": 3,\n    "a:2": 2,\n    "b:1": 1\n  }');
  });

  it('writes empty values as Go does: null Data, omitted Percentiles, [] and {}', () => {
    const r = currentExampleResult();
    r.ErrorsDurationHistogram = { Count: 0, Min: 0, Max: 0, Sum: 0, Avg: 0, StdDev: 0, Data: null, Percentiles: [] };
    r.RetCodes = {};
    r.Sockets = [];
    const blocks = topLevelBlocks(encodeFortioJson(r));
    expect(blocks.get('ErrorsDurationHistogram')).toBe(
      '{\n    "Count": 0,\n    "Min": 0,\n    "Max": 0,\n    "Sum": 0,\n    "Avg": 0,\n    "StdDev": 0,\n    "Data": null\n  }',
    );
    expect(blocks.get('RetCodes')).toBe('{}');
    expect(blocks.get('Sockets')).toBe('[]');
    expect(blocks.get('ConnReuseRange')).toBe('[\n    0,\n    0\n  ]');
  });

  it('emits the struct order whatever the caller object order, and nothing unknown', () => {
    const r = currentExampleWithConnections();
    const shuffled = Object.fromEntries(Object.entries(r).reverse()) as unknown as FortioResult;
    (shuffled as unknown as Record<string, unknown>).NotAField = 1;
    expect(encodeFortioJson(shuffled)).toBe(encodeFortioJson(r));
    expect(encodeFortioJson(shuffled)).not.toContain('NotAField');
    expect([...topLevelBlocks(encodeFortioJson(r)).keys()].slice(-3)).toEqual(['ConnectionStats', 'AbortOn', 'Tripbench']);
  });

  it('writes Tripbench known fields in order, then extras sorted (maps inside too), and round-trips', () => {
    const r = currentExampleWithConnections();
    const t = r.Tripbench as NonNullable<FortioResult['Tripbench']>;
    Object.assign(t, {
      ErrorKinds: { timeout: 2, refused: 1 },
      DurationHdr: 'HISTFAAA',
      Shard: '1/2',
      zeta: { b: 1, a: [true, null, 'x<y'] },
      Alpha: 'first',
    });
    const json = encodeFortioJson(r);
    const tb = topLevelBlocks(json).get('Tripbench') ?? '';
    const keys = [...tb.matchAll(/^ {4}"([^"]+)":/gm)].map((m) => m[1]);
    expect(keys).toEqual(['Version', 'WarmupCalls', 'ThreadsFlag', 'Interrupted', 'DurationHdr', 'ErrorKinds', 'ThreadCalls', 'ThreadDurations', 'Workers', 'Connections', 'Shard', 'Alpha', 'zeta']);
    expect(tb).toContain('"ErrorKinds": {\n      "refused": 1,\n      "timeout": 2\n    }');
    expect(tb).toContain('"zeta": {\n      "a": [\n        true,\n        null,\n        "x\\u003cy"\n      ],\n      "b": 1\n    }');
    expect(encodeFortioJson(parseFortioJson(json, 'ours.json'))).toBe(json);
  });

  it('still writes a file when a producer left required Tripbench fields out', () => {
    const r = currentExampleResult();
    r.Tripbench = { Version: 'x' } as unknown as NonNullable<FortioResult['Tripbench']>;
    const tb = topLevelBlocks(encodeFortioJson(r)).get('Tripbench');
    expect(tb).toBe('{\n    "Version": "x",\n    "WarmupCalls": 0,\n    "ThreadsFlag": 0,\n    "Interrupted": false,\n    "ErrorKinds": {},\n    "ThreadCalls": [],\n    "ThreadDurations": [],\n    "Workers": []\n  }');
  });
});

describe('fortio 1.33 files', () => {
  // Fields both schemas share must come out exactly as 1.33 wrote them (number formatting such as
  // 0.000020578 and 0.00030000000000000003, escaped &, integer durations). What differs by design:
  // 1.33's `"Percentiles": null` (omitted since 1.38), its integer `"ID": 0` (the result ID string
  // since 1.35), and the fields 1.33 does not have (§5.3b).
  for (const file of sampleJsonFiles()) {
    it(`${file}: shared fields re-encode byte for byte`, () => {
      const text = readSample(file);
      const ours = topLevelBlocks(encodeFortioJson(parseFortioJson(text, file)));
      const theirs = topLevelBlocks(text);
      expect(theirs.size).toBe(44);
      for (const [key, block] of theirs) {
        if (key === 'ID') {
          expect(block).toBe('0');
          expect(ours.get('ID')).toBe('""');
          continue;
        }
        const expected = block.replace(/,\n {4}"Percentiles": null/, '');
        expect(ours.get(key), key).toBe(expected);
      }
      expect([...ours.keys()].filter((k) => !theirs.has(k))).toEqual([
        'MTLS', 'H2', 'MethodOverride', 'ConnReuseRange', 'NoResolveEachConn', 'Offset', 'Resolution', 'Sockets', 'ConnectionStats',
      ]);
    });
  }

  it('uses defaults for fields 1.33 lacks and drops unknown ones', () => {
    const raw = JSON.parse(readSample('fortio-load-p-custom-503.json')) as Record<string, unknown>;
    raw.SomethingNew = { x: 1 };
    const r = parseFortioJson(JSON.stringify(raw), 'x.json');
    expect(r.ID).toBe('');
    expect(r.Sizes.Percentiles).toBeUndefined();
    expect('Percentiles' in r.HeaderSizes).toBe(false); // 1.33 wrote null
    expect(r.DurationHistogram.Percentiles?.map((p) => p.Percentile)).toEqual([10, 50, 99.99]);
    expect(r.Labels).toBe('127.0.0.1:18190/echo?delay=2ms:40,7ms:20&status=503:20 , vm');
    expect(r).toMatchObject({ MTLS: false, H2: false, MethodOverride: '', ConnReuseRange: [0, 0], NoResolveEachConn: false, Offset: 0, Resolution: 0.001, Sockets: [] });
    expect(r.ConnectionStats).toEqual({ Count: 0, Min: 0, Max: 0, Sum: 0, Avg: 0, StdDev: 0, Data: null });
    expect(r.Tripbench).toBeUndefined();
    expect('SomethingNew' in r).toBe(false);
    expect(Object.keys(r)).toEqual(Object.keys(currentExampleResult()));
  });

  it('reads a 1.3.x result (no errors histogram, no HTTP options)', () => {
    const old = {
      RunType: 'HTTP', Labels: 'x', StartTime: '2018-04-03T16:32:58.895472681-07:00', RequestedQPS: 'max', RequestedDuration: 'exactly 20 calls',
      ActualQPS: 334.16, ActualDuration: 59852400, NumThreads: 2, Version: '1.3.1',
      DurationHistogram: { Count: 1, Min: 0.001, Max: 0.001, Sum: 0.001, Avg: 0.001, StdDev: 0, Data: [{ Start: 0.001, End: 0.001, Percent: 100, Count: 1 }], Percentiles: null },
      Exactly: 20, RetCodes: { '200': 1 }, Sizes: null, HeaderSizes: null, URL: 'http://httpbin:8000/get', SocketCount: 4, AbortOn: 0,
    };
    const r = parseFortioJson(JSON.stringify(old), 'old.json');
    expect(r.ErrorsDurationHistogram.Data).toBeNull();
    expect(r.DurationHistogram.Percentiles).toBeUndefined();
    expect(r).toMatchObject({ NumConnections: 1, HTTPReqTimeOut: 3_000_000_000, LogErrors: true, IPCountMap: {}, Payload: '' });
  });
});

describe('parseFortioJson errors', () => {
  const err = (text: string) => {
    try {
      parseFortioJson(text, 'runs/result.json');
    } catch (e) {
      expect(e).toBeInstanceOf(UsageError);
      return (e as Error).message;
    }
    throw new Error('no error');
  };
  it('names the file and the field in one line', () => {
    const good = encodeFortioJson(currentExampleWithConnections());
    const cases: [string, RegExp][] = [
      ['{"RunType": "HTTP",', /^runs\/result\.json: not valid JSON: /],
      // V8 quotes the offending text, line breaks included: still one line, and the quote is kept
      ['nope\nmore', /^runs\/result\.json: not valid JSON: .*"nope\\nmore"/],
      ['[1,2]', /^runs\/result\.json: not a fortio result: expected a JSON object$/],
      ['{"RunType": "HTTP"}', /^runs\/result\.json: not a fortio result: no DurationHistogram object$/],
      [good.replace('"Count": 6,', '"Count": "6",'), /^runs\/result\.json: DurationHistogram\.Count: expected a number, got "6"$/],
      [good.replace('"Start": 0.000412301', '"Start": true'), /^runs\/result\.json: DurationHistogram\.Data\[0\]\.Start: expected a number/],
      [good.replace('"Jitter": false', '"Jitter": "no"'), /^runs\/result\.json: Jitter: expected true or false/],
      [good.replace('"200": 5', '"200": "5"'), /^runs\/result\.json: RetCodes\.200: expected a number/],
      [good.replace('"Sockets": 2,', '"Sockets": [],'), /^runs\/result\.json: Tripbench\.Connections\[0\]\.Sockets: expected a number/],
      [good.replace(/"Workers": \[/, '"Workers": [7,'), /^runs\/result\.json: Tripbench\.Workers\[0\]: expected an object$/],
    ];
    for (const [text, re] of cases) {
      const m = err(text);
      expect(m).toMatch(re);
      expect(m).not.toContain('\n');
    }
  });

  it('reads null like Go (zero value), and a default source name', () => {
    const r = parseFortioJson(encodeFortioJson(currentExampleResult()).replace('"Payload": ""', '"Payload": null'));
    expect(r.Payload).toBe('');
    expect(() => parseFortioJson('nope')).toThrow(/^JSON result: not valid JSON/);
  });
});
