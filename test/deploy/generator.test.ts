/**
 * `tripbench k8s`: the shipped manifests are its output (regenerated, never edited), its
 * output passes the Kubernetes schemas, and `kubectl create --dry-run=client` accepts it when a
 * cluster answers kubectl's discovery (client-side dry-run still asks the API server which kinds
 * exist). TRIPBENCH_KUBECTL_CLUSTER=1, set by a CI job that has a cluster (kind, k3d), makes a
 * missing kubectl or an unreachable cluster a failure; TRIPBENCH_REQUIRE_TOOLS alone does not,
 * because .ci/run has no cluster to offer.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { needTool } from '../helpers/tools.js';
import { typeCheckDocs } from './typecheck.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHIPPED: Record<string, string[]> = {
  'distributed-job.yaml': ['k8s', '-shards', '4', '-run-id', 'run-1', '-start-at', '2026-12-07T03:00:00Z', 'scenarios/fault-injection.yaml'],
  'cronjob.yaml': ['k8s', '-schedule', '17 * * * *'],
};

function docsOf(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text, { strict: true }).map((d) => d.toJS() as Record<string, unknown>);
}

const kubectl = needTool('kubectl', 'kubectl');
function clusterAnswers(): boolean {
  if (kubectl.skip || !kubectl.name) return false;
  try {
    execFileSync(kubectl.path, ['version', '--request-timeout=5s'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}
const cluster = clusterAnswers();
const CLUSTER_REQUIRED = process.env['TRIPBENCH_KUBECTL_CLUSTER'] === '1';

describe('tripbench k8s', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tripbench-k8s-'));
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const [file, args] of Object.entries(SHIPPED)) {
    it(`deploy/kubernetes/${file} is exactly \`tripbench ${args.join(' ')}\``, async () => {
      const r = await runCli(args, { cwd: ROOT, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(await readFile(join(ROOT, 'deploy/kubernetes', file), 'utf8'), `regenerate: node bin/tripbench.js ${args.join(' ')} > deploy/kubernetes/${file}`).toBe(r.stdout);
    });
  }

  it('any shard count and run id give consistent, schema-valid manifests', async () => {
    const r = await runCli(['k8s', '-shards', '7', '-run-id', 'nightly-42', '-start-in', '5m', '-timeout', '10m', '-image', 'registry.example/tripbench:1', 'scenarios/'], { cwd: ROOT, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    const docs = docsOf(r.stdout);
    expect(docs.map((d) => `${d['kind'] as string}/${(d['metadata'] as { name: string }).name}`)).toEqual([
      'ServiceAccount/tripbench', 'PersistentVolumeClaim/tripbench-results', 'ConfigMap/tripbench-nightly-42-scenario', 'Job/tripbench-nightly-42-shards', 'Job/tripbench-nightly-42-merge',
    ]);
    const cm = docs[2] as { data: Record<string, string> };
    expect(Object.keys(cm.data).sort()).toEqual(['concurrency-sweep.yaml', 'egress-timeout.yaml', 'fault-injection.yaml', 'istio-circuit-breaking.yaml', 'outlier-ejection.yaml']);
    const shards = docs[3] as { spec: { completions: number; parallelism: number; template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } };
    expect([shards.spec.completions, shards.spec.parallelism]).toEqual([7, 7]);
    const env = Object.fromEntries(shards.spec.template.spec.containers[0]?.env.map((e) => [e.name, e.value]) ?? []);
    expect(env['SHARD_COUNT']).toBe('7');
    expect(env['RUN_ID']).toBe('nightly-42');
    const merge = docs[4] as { spec: { template: { spec: { containers: { env: { name: string; value?: string }[] }[] } } } };
    const menv = Object.fromEntries(merge.spec.template.spec.containers[0]?.env.map((e) => [e.name, e.value]) ?? []);
    expect(Date.parse(menv['DEADLINE'] as string) - Date.parse(env['START_AT'] as string)).toBe(600_000);
    for (const d of docs) {
      const mod = (await import(`kubernetes-models/${d['apiVersion'] as string}/${d['kind'] as string}`)) as Record<string, new (x: unknown) => { validate(): void }>;
      expect(() => new (mod[d['kind'] as string] as new (x: unknown) => { validate(): void })(d).validate()).not.toThrow();
    }
    const problems = typeCheckDocs(docs.map((d, i) => ({ label: `#${i} ${d['kind'] as string}`, module: `kubernetes-models/${d['apiVersion'] as string}/${d['kind'] as string}`, iface: `I${d['kind'] as string}`, value: d })));
    expect(problems).toEqual([]);
  }, 180_000);

  it('refuses what would make broken manifests, in one line, exit 2', async () => {
    for (const [args, msg] of [
      [['k8s', '-shards', '2', '-run-id', 'Run_1', 'scenarios/'], 'invalid value "Run_1" for flag -run-id'],
      [['k8s', '-run-id', 'a', 'scenarios/'], '-shards N (at least 1) is required'],
      [['k8s', '-shards', '2', '-run-id', 'a', '-start-at', 'soon', 'scenarios/'], 'invalid value "soon" for flag -start-at'],
    ] as const) {
      const r = await runCli([...args], { cwd: ROOT, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  }, 120_000);

  const why = kubectl.skip ? kubectl.missing : cluster ? '' : 'no cluster answers kubectl (client-side dry-run still needs API discovery)';
  it.skipIf(why !== '' && !CLUSTER_REQUIRED)(why === '' ? 'kubectl create --dry-run=client accepts every shipped manifest' : `kubectl create --dry-run=client (SKIPPED: ${why}; TRIPBENCH_KUBECTL_CLUSTER=1 requires it)`, async () => {
    for (const [file, args] of Object.entries(SHIPPED)) {
      const r = await runCli(args, { cwd: ROOT, timeoutMs: 60_000 });
      const f = join(dir, file);
      await writeFile(f, r.stdout);
      execFileSync(kubectl.path, ['create', '--dry-run=client', '-f', f], { stdio: 'pipe', timeout: 60_000 });
    }
  }, 120_000);
});
