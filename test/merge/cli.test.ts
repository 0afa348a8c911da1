/** `tripbench merge` as a user runs it: the real binary (compiled dist/), real files. */
import { mkdtemp, readFile, rm, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RUN_OPTIONS } from '../../src/engine/options.js';
import { runLoad } from '../../src/load/runLoad.js';
import { encodeFortioJson, parseFortioJson } from '../../src/report/fortioJson.js';
import { runCli } from '../helpers/cli.js';
import { startKeepAliveServer, type TestServer } from '../helpers/servers.js';

const FORTIO_JSON = fileURLToPath(new URL('../report/fixtures/fortio-1.33/fortio-load-c2-n20.json', import.meta.url));

describe('tripbench merge (CLI)', () => {
  let dir: string;
  let srv: TestServer;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tripbench-merge-'));
    srv = await startKeepAliveServer();
    for (const index of [0, 1]) {
      const out = await runLoad({
        run: { ...DEFAULT_RUN_OPTIONS, threads: 2, qps: 0, exactly: 21 },
        http: { url: srv.url },
        shard: { index, count: 2 },
        log: { write: () => undefined },
      });
      await writeFile(join(dir, `shard-${index}.json`), encodeFortioJson(out.result));
      const other = { ...out.result, URL: 'http://elsewhere:8000/get' };
      if (index === 1) await writeFile(join(dir, 'other-url.json'), encodeFortioJson(other));
    }
    await copyFile(FORTIO_JSON, join(dir, 'fortio.json'));
  }, 120_000);

  afterAll(async () => {
    await srv?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('merges shards given before the flags and writes -o', async () => {
    const r = await runCli(['merge', 'shard-0.json', 'shard-1.json', '-o', 'merged.json'], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Merged 2 result\(s\) \(shards 0\/2, 1\/2\), exact \(HDR histograms\): http:\/\/127\.0\.0\.1:\d+\/\n/);
    expect(r.stdout).toContain('\nCode 200 : 21 (100.0 %)\n');
    expect(r.stdout).toContain('\nAll done 21 calls (plus 0 warmup) ');
    expect(r.stdout).toMatch(/\nSuccessfully wrote \d+ bytes of Json data to merged\.json\n/);
    expect(r.stdout).toMatch(/\n# hdr target 99% [0-9.e-]+\n/);
    const merged = parseFortioJson(await readFile(join(dir, 'merged.json'), 'utf8'), 'merged.json');
    expect(merged.DurationHistogram.Count).toBe(21);
    expect(merged.Exactly).toBe(21);
    expect(merged.Tripbench?.['Merged']).toMatchObject({ Shards: ['0/2', '1/2'], Exact: true });
  });

  it('writes the JSON to stdout with -o - and the report to stderr', async () => {
    const r = await runCli(['merge', '-o', '-', 'shard-0.json', 'shard-1.json'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(parseFortioJson(r.stdout, 'stdout').DurationHistogram.Count).toBe(21);
    expect(r.stderr).toContain('All done 21 calls');
  });

  it('refuses different URLs (exit 2) unless --force', async () => {
    const refused = await runCli(['merge', 'shard-0.json', 'other-url.json'], { cwd: dir });
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^tripbench: refusing to merge runs of different URLs \(shard-0\.json: http:\/\/127\.0\.0\.1:\d+\/, other-url\.json: http:\/\/elsewhere:8000\/get\); use --force to merge them anyway\n$/);
    const forced = await runCli(['merge', '--force', 'shard-0.json', 'other-url.json'], { cwd: dir });
    expect(forced.code).toBe(0);
    expect(forced.stderr).toContain('tripbench merge: note: merged runs of different URLs (--force)');
    expect(forced.stdout).toContain('All done 21 calls');
  });

  it("says a merge with fortio's JSON is bucket-approximate", async () => {
    const r = await runCli(['merge', 'fortio.json', 'fortio.json', '-p', '50,99'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("tripbench merge: note: fortio.json: no HDR data (fortio's JSON): the merge is bucket-approximate");
    expect(r.stdout).toMatch(/^Merged 2 result\(s\), bucket-approximate: /);
    expect(r.stdout).toContain('# target 50% ');
    expect(r.stdout).toContain('# target 99% ');
    expect(r.stdout).not.toContain('# hdr target');
  });

  it('fails clearly on usage errors', async () => {
    const none = await runCli(['merge'], { cwd: dir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('no result files given');
    const missing = await runCli(['merge', 'nope.json'], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/^tripbench: cannot read nope\.json: /);
    const badFlag = await runCli(['merge', '-x', 'shard-0.json'], { cwd: dir });
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('flag provided but not defined: -x');
    await writeFile(join(dir, 'bad.json'), '{"nope": 1}');
    const notJson = await runCli(['merge', 'bad.json'], { cwd: dir });
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('bad.json: not a fortio result');
  });
});
