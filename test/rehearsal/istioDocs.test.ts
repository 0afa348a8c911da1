/**
 * Istio's circuit-breaking and egress-control tasks, run as Istio's own doc tests run them:
 * verify.sh, then the task's snips.sh, then its test.sh, in bash, against `tripbench server` +
 * `tripbench sidecar`. Only the cluster is replaced (test/rehearsal/istioDocs/cluster.sh: a
 * `kubectl` function and the istio.io test helpers); the snippets and the `_verify_*` checks are
 * Istio's, unchanged. The lines of test.sh the rehearsal cannot run are listed in
 * test/rehearsal/istioDocs/tasks.ts with the reason (what needs a Kubernetes API server or a pod
 * network); each must still be found in the pinned test.sh, so an upstream change shows.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN } from '../helpers/cli.js';
import { needTool, REQUIRE_TOOLS } from '../helpers/tools.js';
import { TASKS, VERIFY_SH } from './istioDocs/tasks.js';
import type { DocTask } from './istioDocs/tasks.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = join(HERE, '..', 'fixtures', 'istio-docs');
const CLUSTER_SH = join(HERE, 'istioDocs', 'cluster.sh');
const BASH = needTool('bash', 'bash');
const CURL = needTool('curl', 'curl');

const docsMissing = [VERIFY_SH, ...TASKS.flatMap((t) => [t.files.snips, t.files.test])]
  .map((f) => join(FIXTURES, f.local))
  .filter((f) => !existsSync(f));
// Istio's files are Istio's code: never committed here, fetched from GitHub by
// `npm run fetch:istio-docs`. CI reaches only the npm registry and Debian's mirrors, so their
// absence skips (the title says so) unless TRIPBENCH_REQUIRE_ISTIO_DOCS=1 asks for them;
// bash and curl follow the usual CI switch.
const REQUIRE_DOCS = process.env['TRIPBENCH_REQUIRE_ISTIO_DOCS'] === '1';
const docsReason = docsMissing.length > 0 ? `Istio's doc tests are not fetched (${docsMissing.length} files; npm run fetch:istio-docs)` : '';
const toolReason = BASH.missing || CURL.missing;
const missing = docsReason || toolReason;
const skip = (docsReason !== '' && !REQUIRE_DOCS) || (toolReason !== '' && !REQUIRE_TOOLS);
const title = (t: string): string => (skip ? `${t} (SKIPPED: ${missing})` : t);

/** test.sh with the listed lines replaced; throws if one is not (or more than once) in it. */
export function adaptTestScript(task: DocTask, text: string): string {
  const lines = text.split('\n');
  for (const change of task.changes) {
    const at = lines.flatMap((l, i) => (l === change.line ? [i] : []));
    if (at.length !== 1) throw new Error(`${task.files.test.local}: ${at.length} lines are ${JSON.stringify(change.line)} (want 1)`);
    const shellWord = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const record = `__tb_skip ${shellWord(`${change.check ? 'check' : 'command'}: ${change.line} — ${change.why}`)}`;
    lines[at[0] as number] = change.instead ?? record;
  }
  return lines.join('\n');
}

interface Replay {
  code: number | null;
  output: string;
  passed: string[];
  skipped: string[];
}

const work = mkdtempSync(join(tmpdir(), 'tripbench-istio-docs-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

async function replay(task: DocTask): Promise<Replay> {
  const dir = join(work, task.name);
  // the paths the scripts source, relative to istio.io's root: the helpers are cluster.sh's
  for (const stub of ['tests/util/samples.sh', 'content/en/boilerplates/snips/start-httpbin-service.sh', 'content/en/boilerplates/snips/gateway-api-gamma-support.sh']) {
    mkdirSync(dirname(join(dir, stub)), { recursive: true });
    writeFileSync(join(dir, stub), '# replaced by test/rehearsal/istioDocs/cluster.sh (the cluster is the rehearsal)\n');
  }
  const test = join(dir, 'test.sh');
  writeFileSync(test, adaptTestScript(task, readFileSync(join(FIXTURES, task.files.test.local), 'utf8')));
  const checks = join(dir, 'checks.txt');
  writeFileSync(checks, '');
  const runner = join(dir, 'run.sh');
  writeFileSync(
    runner,
    [
      `source ${JSON.stringify(CLUSTER_SH)}`,
      `source ${JSON.stringify(join(FIXTURES, VERIFY_SH.local))}`,
      '__tb_count_checks',
      `source ${JSON.stringify(join(FIXTURES, task.files.snips.local))}`,
      `source ${JSON.stringify(test)}`,
      '',
    ].join('\n'),
  );
  const child = spawn(BASH.path, [runner], {
    cwd: dir,
    env: { ...process.env, TB_BIN: BIN, TB_WORK: dir, TB_ISTIO_VERSION: task.istioVersion, TB_CHECKS: checks, VERIFY_TIMEOUT: '120' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const recorded = readFileSync(checks, 'utf8').split('\n').filter((l) => l !== '');
  return {
    code,
    output,
    passed: recorded.filter((l) => l.startsWith('PASS ')).map((l) => l.slice(5)),
    skipped: recorded.filter((l) => l.startsWith('SKIP check: ')).map((l) => l.slice(12)),
  };
}

describe.skipIf(skip)(title("Istio's doc tests against the rehearsal"), () => {
  for (const task of TASKS) {
    const skippedChecks = task.changes.filter((c) => c.check && c.instead === undefined).length;
    it(`${task.name} (istio.io ${task.files.test.commit.slice(0, 8)}, Istio ${task.istioVersion}): ${task.checks - skippedChecks} of ${task.checks} checks pass, ${skippedChecks} skipped`, async () => {
      const r = await replay(task);
      expect(r.output).not.toContain('VERIFY FAILED');
      expect(r.code, r.output).toBe(0);
      expect(r.passed.length + r.skipped.length, r.output).toBe(task.checks);
      expect(r.skipped).toHaveLength(skippedChecks);
    }, 600_000);
  }
});
