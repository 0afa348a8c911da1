/**
 * The run folder module (src/runs/): what the writer lays out the reader reads back, and a folder
 * that is not a run folder is one line naming the file, for `report` and `history` alike.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFortioJson } from '../../src/report/fortioJsonParse.js';
import type { FortioResult } from '../../src/report/fortioResult.js';
import type { StepResult } from '../../src/scenario/results.js';
import { renderVerdictsJson } from '../../src/scenario/render/verdictsJson.js';
import { isRunFolderName, runFolderName, stepDataFiles, VERDICTS_FILE } from '../../src/runs/layout.js';
import { readRunFolder, readStepData, readStepResults, RunFolderError } from '../../src/runs/read.js';
import { makeRunDir, writeStepFiles } from '../../src/runs/write.js';
import { Level } from '../../src/shared/log.js';
import { istioRun } from '../scenario/helpers.js';

function sample(name: string): FortioResult {
  return parseFortioJson(readFileSync(new URL(`../scenario/fixtures/fortio/${name}.json`, import.meta.url), 'utf8'), name);
}

describe('the run folder', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tb-runs-'));
  });
  afterAll(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('is named by its start time, and a second run in the same second gets -2', async () => {
    const at = new Date('2026-11-25T17:28:22.123Z');
    expect(runFolderName(at)).toBe('2026-11-25T172822Z');
    const a = await makeRunDir(root, 'sc', at);
    const b = await makeRunDir(root, 'sc', at);
    expect(b).toBe(`${a}-2`);
    expect((await readdir(join(root, 'sc'))).every(isRunFolderName)).toBe(true);
  });

  it("writes a gRPC step's pooled batches as RunGRPCTest's text, not the HTTP report's", async () => {
    // a real pooled result of scenarios/grpc-circuit-breaking.yaml (step c2, 3 batches)
    const g = parseFortioJson(readFileSync(new URL('./fixtures/grpc-ping-pooled.json', import.meta.url), 'utf8'), 'grpc-ping-pooled');
    const dir = await makeRunDir(root, 'grpc', new Date());
    const s = istioRun().steps[0] as StepResult;
    const files = await writeStepFiles(dir, s, { batches: [g, g], pooled: g }, '# printed\n', Level.Warning);
    expect(files).toContain(`${s.key}.txt`);
    const text = readFileSync(join(dir, `${s.key}.txt`), 'utf8');
    expect(text).toContain('2 batches pooled');
    expect(text).toMatch(/^Ping SERVING : 65$/m);
    expect(text).not.toContain('Sizes');
  });

  it('reads back what the writer wrote: verdicts, and each step from the files it lists', async () => {
    const dir = await makeRunDir(root, 'roundtrip', new Date());
    const r = sample('fortio-load-p-custom-503');
    const sr = istioRun();
    const steps: StepResult[] = [];
    for (const s of sr.steps) {
      const files = await writeStepFiles(dir, s, { batches: [r], pooled: r }, '# printed\n', Level.Warning);
      steps.push({ ...s, files });
    }
    await writeFile(join(dir, VERDICTS_FILE), renderVerdictsJson({ ...sr, steps }, { version: 't' }));
    const run = await readRunFolder(dir);
    expect(run.scenario.scenario).toBe(sr.scenario);
    expect(run.scenario.steps.map((s) => s.key)).toEqual(sr.steps.map((s) => s.key));
    const first = run.scenario.steps[0] as StepResult;
    expect(stepDataFiles(first)).toEqual([`${first.key}.json`]);
    expect((await readStepData(dir, first))?.map((x) => x.DurationHistogram.Count)).toEqual([r.DurationHistogram.Count]);
    const { steps: read, warnings } = await readStepResults(run);
    expect(warnings).toEqual([]);
    expect(Object.keys(read).sort()).toEqual(run.scenario.steps.filter((s) => s.status !== 'not-run').map((s) => s.key).sort());
  });

  it('says which step file is missing instead of failing the whole folder', async () => {
    const dir = join(root, 'missing-step');
    await mkdir(dir);
    const sr = istioRun();
    await writeFile(join(dir, VERDICTS_FILE), renderVerdictsJson(sr, { version: 't' }));
    const run = await readRunFolder(dir);
    const ran = run.scenario.steps.filter((s) => s.status !== 'not-run');
    const { steps, warnings } = await readStepResults(run);
    expect(steps).toEqual({});
    expect(warnings).toHaveLength(ran.length);
    expect(warnings[0]).toBe(`${join(dir, `${ran[0]?.key}.json`)}: missing, step ${ran[0]?.label} is shown without charts`);
    expect(await readStepData(dir, ran[0] as StepResult)).toBeUndefined();
  });

  it('a folder that is not a run folder is one line naming the file', async () => {
    const empty = join(root, 'empty');
    await mkdir(empty);
    const notOurs = join(root, 'not-ours');
    await mkdir(notOurs);
    await writeFile(join(notOurs, VERDICTS_FILE), '{"tests": 3}');
    const truncated = join(root, 'truncated');
    await mkdir(truncated);
    await writeFile(join(truncated, VERDICTS_FILE), '{"format": "tripbench.verdicts/v1", "steps": [');
    const badStep = join(root, 'bad-step');
    await mkdir(badStep);
    await writeFile(join(badStep, VERDICTS_FILE), JSON.stringify({ format: 'tripbench.verdicts/v1', scenario: 's', steps: [{ key: 1 }] }));
    const cases: Array<[string, RunFolderError['problem'], RegExp]> = [
      [empty, 'missing', /empty\/verdicts\.json: no such file or directory$/],
      [notOurs, 'format', /not-ours\/verdicts\.json: not a tripbench verdicts file/],
      [truncated, 'json', /truncated\/verdicts\.json: not valid JSON: /],
      [badStep, 'shape', /bad-step\/verdicts\.json: steps\[0\]\.step: expected a string$/],
    ];
    for (const [dir, problem, message] of cases) {
      const e = await readRunFolder(dir).then(
        () => undefined,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(RunFolderError);
      expect((e as RunFolderError).problem).toBe(problem);
      expect((e as RunFolderError).message).toMatch(message);
      expect((e as RunFolderError).message).not.toContain('\n');
    }
  });
});
