/**
 * A step's batches that cannot be pooled into one result: the failure is reported in the step
 * result (verdict table notes, verdicts.json) and every batch still gets its JSON file.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { writeStepFiles } from '../../src/runs/write.js';
import { parseFortioJson } from '../../src/report/fortioJsonParse.js';
import type { FortioResult } from '../../src/report/fortioResult.js';
import { renderVerdictTable } from '../../src/scenario/render/table.js';
import { renderVerdictsJson } from '../../src/scenario/render/verdictsJson.js';
import { poolBatches } from '../../src/scenario/stepRunner.js';
import type { StepResult } from '../../src/scenario/results.js';
import { Level } from '../../src/shared/log.js';
import { istioRun } from './helpers.js';

function sample(name: string): FortioResult {
  return parseFortioJson(readFileSync(new URL(`./fixtures/fortio/${name}.json`, import.meta.url), 'utf8'), name);
}

describe('batches that cannot be pooled', () => {
  // two batches of "one step" whose URLs differ: mergeResults refuses them
  const batches = [sample('fortio-load-p-custom-503'), sample('fortio-load-timeouts-mixed')];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('gives no pooled result but an error naming the cause', () => {
    const p = poolBatches(batches, [50, 99]);
    expect(p.pooled).toBeUndefined();
    expect(p.error).toMatch(/^the 2 batches could not be pooled into one result \(refusing to merge runs of different URLs.*\); the verdicts were judged on the batches, whose files are kept$/);
    expect(poolBatches(batches.slice(0, 1), [50]).pooled).toBe(batches[0]);
    expect(poolBatches([batches[0] as FortioResult, batches[0] as FortioResult], [50]).error).toBeUndefined();
  });

  it('writes every batch file, lists them, and shows the error in the table and verdicts.json', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tb-poolerr-'));
    dirs.push(dir);
    const p = poolBatches(batches, [50, 99]);
    const sr = istioRun();
    const step: StepResult = { ...(sr.steps[0] as StepResult), error: p.error as string };
    const files = await writeStepFiles(dir, step, { batches }, '# printed\n', Level.Warning);
    expect(files).toEqual([`${step.key}.batch1.json`, `${step.key}.batch2.json`, `${step.key}.txt`]);
    expect((await readdir(dir)).sort()).toEqual([...files].sort());
    for (const [i, f] of files.slice(0, 2).entries()) {
      const back = parseFortioJson(await readFile(join(dir, f), 'utf8'), f);
      expect(back.URL).toBe(batches[i]?.URL);
    }
    const table = renderVerdictTable([step]);
    expect(table).toContain(`Notes:\n`);
    expect(table).toContain(`  ${step.label}: the 2 batches could not be pooled`);
    const doc = JSON.parse(renderVerdictsJson({ ...sr, steps: [step] }, { version: 't' })) as { steps: StepResult[] };
    expect(doc.steps[0]?.error).toBe(p.error);
  });
});
