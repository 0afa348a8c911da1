/**
 * `tripbench k8s`: the shipped manifests are its output (regenerated, never edited), its
 * output passes the Kubernetes schemas (kubernetes-models, and its TypeScript types), and
 * `kubectl create --dry-run=client` accepts every object by name. Client-side dry-run still asks
 * an API server which kinds exist, so kubectl talks to a loopback discovery server
 * (kubeDiscovery.ts) that serves exactly the kinds the manifests use; a wrong apiVersion or kind
 * is refused as a real cluster refuses it. kubectl runs with --validate=false: its schema check
 * needs the server's OpenAPI documents, which cannot be obtained here; kubernetes-models checks
 * the schema instead. CI installs kubectl (kubernetes-client) and, with TRIPBENCH_REQUIRE_TOOLS=1,
 * a missing kubectl fails these tests.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { needTool } from '../helpers/tools.js';
import { startKubeDiscovery, type KubeDiscovery } from './kubeDiscovery.js';
import { typeCheckDocs } from './typecheck.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SHIPPED: Record<string, string[]> = {
  'distributed-job.yaml': ['k8s', '-shards', '4', '-run-id', 'run-1', '-start-at', '2026-12-07T03:00:00Z', 'scenarios/fault-injection.yaml'],
  'cronjob.yaml': ['k8s', '-schedule', '17 * * * *'],
};

function docsOf(text: string): Record<string, unknown>[] {
  return parseAllDocuments(text, { strict: true }).map((d) => d.toJS() as Record<string, unknown>);
}

const kubectl = needTool('kubectl', 'kubernetes-client');

/** Every generator form the kubectl check covers: the shipped files, one shard, seven shards. */
const FORMS: Record<string, string[]> = {
  ...SHIPPED,
  'one-shard.yaml': ['k8s', '-shards', '1', '-run-id', 'solo', 'scenarios/fault-injection.yaml'],
  'seven-shards.yaml': ['k8s', '-shards', '7', '-run-id', 'nightly-42', '-start-in', '5m', 'scenarios/'],
};

/** What `kubectl create -o name` prints for a document: kind, plus the API group when not core. */
function kubectlName(d: Record<string, unknown>): string {
  const apiVersion = d['apiVersion'] as string;
  const group = apiVersion.includes('/') ? `.${apiVersion.split('/')[0] ?? ''}` : '';
  return `${(d['kind'] as string).toLowerCase()}${group}/${(d['metadata'] as { name: string }).name}`;
}

interface KubectlRun {
  code: number;
  stdout: string;
  stderr: string;
}

describe('tripbench k8s', () => {
  let dir: string;
  let api: KubeDiscovery | undefined;
  let kubeconfig: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'tripbench-k8s-'));
    if (kubectl.skip) return;
    api = await startKubeDiscovery();
    // No user and no credentials: the discovery server asks for none, and kubectl sends none.
    kubeconfig = join(dir, 'kubeconfig');
    await writeFile(kubeconfig, stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'loopback',
      clusters: [{ name: 'loopback', cluster: { server: api.url } }],
      contexts: [{ name: 'loopback', context: { cluster: 'loopback', namespace: 'default' } }],
      users: [],
    }));
    await mkdir(join(dir, 'home'));
  });
  afterAll(async () => {
    await api?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** kubectl must run asynchronously: the discovery server answers from this process's loop. */
  function kubectlCreate(file: string): Promise<KubectlRun> {
    const args = ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), '--request-timeout=30s', 'create', '--dry-run=client', '--validate=false', '-o', 'name', '-f', file];
    return new Promise((resolve, reject) => {
      execFile(kubectl.path, args, { encoding: 'utf8', timeout: 90_000, env: { PATH: process.env['PATH'] ?? '', HOME: join(dir, 'home') } }, (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') reject(new Error(`kubectl ${args.join(' ')}: ${err.message}; requests: ${api?.requests.join(', ') ?? ''}`));
        else resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      });
    });
  }

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
    expect(Object.keys(cm.data).sort()).toEqual((await readdir(join(ROOT, 'scenarios'))).filter((f) => f.endsWith('.yaml')).sort());
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

  it.skipIf(kubectl.skip)(kubectl.title('kubectl create --dry-run=client accepts every object of every form by name (1, 4 and 7 shards, CronJob, client.yaml)'), async () => {
    for (const [file, args] of Object.entries(FORMS)) {
      const r = await runCli(args, { cwd: ROOT, timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      const f = join(dir, file);
      await writeFile(f, r.stdout);
      const k = await kubectlCreate(f);
      expect(k.code, `${file}: ${k.stderr}`).toBe(0);
      expect(k.stdout.trim().split('\n'), file).toEqual(docsOf(r.stdout).map(kubectlName));
    }
    // The hand-written client Deployment goes through the same check.
    const client = join(ROOT, 'deploy/kubernetes/client.yaml');
    const k = await kubectlCreate(client);
    expect(k.code, `client.yaml: ${k.stderr}`).toBe(0);
    expect(k.stdout.trim().split('\n')).toEqual(docsOf(await readFile(client, 'utf8')).map(kubectlName));
    // kubectl mapped each kind through discovery, not from a built-in table.
    const paths = new Set(api?.requests.map((q) => q.split('?')[0]));
    expect([...paths].filter((p) => p === 'GET /api/v1' || p === 'GET /apis/batch/v1').sort()).toEqual(['GET /api/v1', 'GET /apis/batch/v1']);
  }, 240_000);

  it.skipIf(kubectl.skip)(kubectl.title('kubectl refuses a manifest with a wrong apiVersion or kind, naming it; kubernetes-models refuses a wrongly typed field'), async () => {
    const r = await runCli(FORMS['one-shard.yaml'] ?? [], { cwd: ROOT, timeoutMs: 60_000 });
    expect(r.code, r.stderr).toBe(0);
    for (const [field, value, msg] of [
      ['apiVersion', 'batch/v2', 'no matches for kind "Job" in version "batch/v2"'],
      ['kind', 'Jobs', 'no matches for kind "Jobs" in version "batch/v1"'],
    ] as const) {
      const docs = docsOf(r.stdout).map((d) => (d['kind'] === 'Job' ? { ...d, [field]: value } : d));
      const f = join(dir, `wrong-${field}.yaml`);
      await writeFile(f, docs.map((d) => stringify(d)).join('---\n'));
      const k = await kubectlCreate(f);
      expect(k.code, k.stdout).not.toBe(0);
      expect(k.stderr).toContain(msg);
    }
    // A wrongly typed field passes kubectl (--validate=false decodes objects untyped): that check
    // is kubernetes-models', which refuses it.
    const job = docsOf(r.stdout).find((d) => d['kind'] === 'Job') as { spec: Record<string, unknown> } & Record<string, unknown>;
    const typo = { ...job, spec: { ...job.spec, completions: 'seven' } };
    const f = join(dir, 'wrong-type.yaml');
    await writeFile(f, stringify(typo));
    expect((await kubectlCreate(f)).code).toBe(0);
    const { Job } = await import('kubernetes-models/batch/v1/Job');
    expect(() => new Job(typo as never).validate()).toThrow(/completions/);
  }, 120_000);
});
