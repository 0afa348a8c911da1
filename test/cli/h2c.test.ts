import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:http2';
import type { Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { startTarget } from '../../src/rehearsal/target.js';
import type { TargetHandle } from '../../src/rehearsal/target.js';
import { runCli } from '../helpers/cli.js';

describe('load -h2 against h2c servers', () => {
  let t: TargetHandle;
  let h2only: Http2Server;
  let h2url = '';
  let h2requests = 0;
  beforeAll(async () => {
    t = await startTarget({ seed: 5 });
    // Speaks HTTP/2 only: a 200 from it proves the client sent prior-knowledge HTTP/2.
    h2only = createServer((req, res) => {
      h2requests++;
      res.end('ok');
    });
    await new Promise<void>((resolve) => h2only.listen(0, '127.0.0.1', resolve));
    h2url = `http://127.0.0.1:${(h2only.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await t.close();
    await new Promise<void>((resolve) => h2only.close(() => resolve()));
  });

  it('gets 200s from tripbench server and from an h2-only server', async () => {
    for (const url of [`${t.url}/`, h2url]) {
      const r = await runCli(['load', '-h2', '-n', '10', '-c', '2', '-qps', '0', url]);
      expect(r.stderr).toMatch(/Code 200 : 10 \(100\.0 %\)/);
      expect(r.code).toBe(0);
    }
    expect(h2requests).toBe(10);
  }, 120_000);
});
