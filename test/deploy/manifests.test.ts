/**
 * deploy/kubernetes/*.yaml against the Kubernetes API schemas, without a cluster:
 * kubernetes-models' validators (compiled from the Kubernetes OpenAPI spec: types, enums,
 * formats, required fields) and its TypeScript interfaces for unknown fields. Then what each
 * manifest is for: the Istio annotations, the CronJob's schedule policy, the Indexed Job's shard
 * arithmetic, and the image/user matching the Dockerfile.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Container, type Manifest, containerArgv, cronJobArgv, loadManifests, manifest, manifestFiles, podTemplate, references } from './manifests.js';
import { typeCheckDocs } from './typecheck.js';

const PKG = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
const DOCKERFILE = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

/** apiVersion "apps/v1" → "apps/v1", "v1" → "v1": kubernetes-models' folder of the group. */
function modelPath(m: Manifest): string {
  return `kubernetes-models/${m.doc.apiVersion}/${m.doc.kind}`;
}

const all = loadManifests();

describe('deploy/kubernetes manifests', () => {
  it('are the three documented files, each with its documents', () => {
    expect(manifestFiles()).toEqual(['client.yaml', 'cronjob.yaml', 'distributed-job.yaml']);
    const kinds = all.map((m) => `${m.file}:${m.doc.kind}/${m.doc.metadata.name}`);
    expect(kinds).toEqual([
      'client.yaml:ServiceAccount/tripbench',
      'client.yaml:Deployment/tripbench',
      'cronjob.yaml:ServiceAccount/tripbench',
      'cronjob.yaml:PersistentVolumeClaim/tripbench-reports',
      'cronjob.yaml:CronJob/tripbench-chaos-check',
      'distributed-job.yaml:ServiceAccount/tripbench',
      'distributed-job.yaml:PersistentVolumeClaim/tripbench-results',
      'distributed-job.yaml:ConfigMap/tripbench-run-1-scenario',
      'distributed-job.yaml:Job/tripbench-run-1-shards',
      'distributed-job.yaml:Job/tripbench-run-1-merge',
    ]);
  });

  for (const m of all) {
    it(`${m.file}#${m.index} ${m.doc.kind} ${m.doc.metadata.name} passes the Kubernetes schema`, async () => {
      const mod = (await import(modelPath(m))) as Record<string, new (d: unknown) => { validate(): void }>;
      const Model = mod[m.doc.kind];
      expect(Model, `kubernetes-models has no ${m.doc.apiVersion} ${m.doc.kind}`).toBeDefined();
      expect(() => new (Model as new (d: unknown) => { validate(): void })(m.doc).validate()).not.toThrow();
    });
  }

  it('has no unknown or misspelt fields (TypeScript interfaces of the same API)', () => {
    const problems = typeCheckDocs(
      all.map((m) => ({ label: `${m.file}#${m.index} ${m.doc.kind}`, module: modelPath(m), iface: `I${m.doc.kind}`, value: m.doc })),
    );
    expect(problems).toEqual([]);
  }, 120_000);

  it('the checks catch real mistakes', async () => {
    const job = structuredClone(manifest('Job', 'tripbench-run-1-shards').doc) as unknown as { spec: Record<string, unknown> };
    job.spec['completionMode'] = 'indexed';
    const { Job } = await import('kubernetes-models/batch/v1/Job');
    expect(() => new Job(job as never).validate()).toThrow(/completionMode must be equal to one of the allowed values/);
    const typo = structuredClone(manifest('CronJob', 'tripbench-chaos-check').doc) as unknown as { spec: Record<string, unknown> };
    typo.spec['concurrencyPolcy'] = 'Forbid';
    const problems = typeCheckDocs([{ label: 'typo', module: 'kubernetes-models/batch/v1/CronJob', iface: 'ICronJob', value: typo }]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^typo: "concurrencyPolcy": "Forbid".*'"concurrencyPolcy"' does not exist in type 'ICronJobSpec'/);
  }, 120_000);

  it('the README shows how to apply each of them and how to make the ConfigMap they mount', () => {
    for (const f of manifestFiles()) expect(README, f).toContain(`kubectl apply -f deploy/kubernetes/${f}`);
    const maps = all.flatMap((m) => (['Deployment', 'Job', 'CronJob'].includes(m.doc.kind) ? (podTemplate(m).spec.volumes ?? []) : []))
      .flatMap((v) => (v.configMap ? [v.configMap.name] : []));
    // a ConfigMap the manifests carry themselves (the distributed run's scenario) needs no command
    const carried = new Set(all.filter((m) => m.doc.kind === 'ConfigMap').map((m) => m.doc.metadata.name));
    for (const name of new Set(maps)) if (!carried.has(name)) expect(README).toContain(`kubectl create configmap ${name} --from-file=scenarios/`);
  });

  it('every pod runs the image of this version as the Dockerfile user, non-root, every $(VAR) defined', () => {
    const user = /^USER (\d+):(\d+)$/m.exec(DOCKERFILE);
    expect(user).not.toBeNull();
    for (const m of all.filter((x) => ['Deployment', 'Job', 'CronJob'].includes(x.doc.kind))) {
      const pod = podTemplate(m);
      expect(pod.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: Number(user?.[1]), runAsGroup: Number(user?.[2]), seccompProfile: { type: 'RuntimeDefault' } });
      // nothing in these pods talks to the API server: no token to steal
      expect((pod.spec as { automountServiceAccountToken?: boolean }).automountServiceAccountToken, m.file).toBe(false);
      for (const c of pod.spec.containers) {
        // Pod Security Standards "restricted"
        expect((c as { securityContext?: unknown }).securityContext, `${m.file} ${c.name}`).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
        expect(c.image, `${m.file} ${c.name}`).toBe(`tripbench:${PKG.version}`);
        const defined = new Set((c.env ?? []).map((e) => e.name));
        // The kubelet leaves an undefined $(VAR) as literal text: a silent wrong argument.
        for (const a of [...(c.command ?? []), ...(c.args ?? [])]) for (const r of references(a)) expect(defined, `${m.file}: $(${r})`).toContain(r);
      }
    }
  });
});

describe('client.yaml: the fortio sample client role', () => {
  const pod = podTemplate(manifest('Deployment', 'tripbench'));
  it('is injected and keeps the circuit-breaker stats', () => {
    expect(pod.metadata?.labels?.['sidecar.istio.io/inject']).toBe('true');
    expect(pod.metadata?.annotations?.['sidecar.istio.io/statsInclusionPrefixes']?.split(',')).toContain('cluster.outbound');
    expect(pod.metadata?.annotations?.['proxy.istio.io/config']).toContain('- cluster.outbound');
  });
  it('mounts the scenarios ConfigMap and has a container named tripbench for kubectl exec -c', () => {
    const c = pod.spec.containers[0] as Container;
    expect(c.name).toBe('tripbench');
    expect(pod.spec.volumes?.find((v) => v.name === 'scenarios')?.configMap?.name).toBe('tripbench-scenarios');
    expect(c.volumeMounts?.find((v) => v.name === 'scenarios')?.mountPath).toBe('/scenarios');
  });
});

describe('cronjob.yaml: the scheduled chaos check', () => {
  const cj = manifest('CronJob', 'tripbench-chaos-check');
  const spec = cj.doc['spec'] as Record<string, unknown>;
  it('never overlaps, keeps a bounded history, does not retry a verdict', () => {
    expect(spec['concurrencyPolicy']).toBe('Forbid');
    expect(spec['successfulJobsHistoryLimit']).toBeGreaterThan(0);
    expect(spec['failedJobsHistoryLimit']).toBeGreaterThan(0);
    expect((spec['jobTemplate'] as { spec: { backoffLimit: number } }).spec.backoffLimit).toBe(0);
    expect(podTemplate(cj).spec.restartPolicy).toBe('Never');
    expect(podTemplate(cj).metadata?.annotations?.['sidecar.istio.io/nativeSidecar']).toBe('true');
  });
  it('runs `tripbench run` over the scenario ConfigMap, reports on a volume, metrics to file and Pushgateway', () => {
    expect(cronJobArgv({})).toEqual([
      'run',
      '--target',
      'scenario',
      '--reports',
      '/reports',
      '--prometheus',
      '/reports/tripbench.prom',
      '--pushgateway',
      'http://prometheus-pushgateway.monitoring.svc:9091',
      '/scenarios',
    ]);
    expect(cronJobArgv({ TARGET_URL: 'http://127.0.0.1:1/get', REPORTS_DIR: '/tmp/r', SCENARIOS_DIR: '/tmp/s', PUSHGATEWAY_URL: 'http://127.0.0.1:2' })).toEqual([
      'run', '--target', 'http://127.0.0.1:1/get', '--reports', '/tmp/r', '--prometheus', '/tmp/r/tripbench.prom', '--pushgateway', 'http://127.0.0.1:2', '/tmp/s',
    ]);
    const pod = podTemplate(cj);
    expect(pod.spec.volumes?.find((v) => v.name === 'scenarios')?.configMap?.name).toBe('tripbench-scenarios');
    expect(pod.spec.volumes?.find((v) => v.name === 'reports')?.persistentVolumeClaim?.claimName).toBe('tripbench-reports');
  });
});

describe('distributed-job.yaml: shards of one run, from one generator', () => {
  const job = manifest('Job', 'tripbench-run-1-shards');
  const merge = manifest('Job', 'tripbench-run-1-merge');
  const spec = job.doc['spec'] as { completionMode: string; completions: number; parallelism: number };
  const c = podTemplate(job).spec.containers[0] as Container;
  const m = podTemplate(merge).spec.containers[0] as Container;
  const env = (x: Container, n: string): string | undefined => x.env?.find((e) => e.name === n)?.value;

  it('is an Indexed Job whose SHARD_COUNT is its completions and parallelism and the merge\'s --shards', () => {
    expect(spec.completionMode).toBe('Indexed');
    expect(spec.parallelism).toBe(spec.completions);
    expect(Number(env(c, 'SHARD_COUNT'))).toBe(spec.completions);
    expect(c.env?.find((e) => e.name === 'SHARD_INDEX')?.valueFrom).toEqual({
      fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" },
    });
    const argv = containerArgv(m, {}).argv;
    expect(argv.slice(0, 8)).toEqual(['run', '--merge', '/results/run-1', '--shards', String(spec.completions), '--deadline', env(m, 'DEADLINE'), '--reports']);
  });

  it('the merge reads the run the shards write, on the same volume, the scenarios of the same ConfigMap', () => {
    for (const n of ['SHARD_COUNT', 'RUN_ID', 'RESULTS_DIR']) expect(env(m, n), n).toBe(env(c, n));
    const vol = (x: Manifest, name: string) => podTemplate(x).spec.volumes?.find((v) => v.name === name);
    for (const x of [job, merge]) {
      expect(vol(x, 'results')?.persistentVolumeClaim?.claimName).toBe('tripbench-results');
      expect(vol(x, 'scenarios')?.configMap?.name).toBe('tripbench-run-1-scenario');
    }
    const pvc = manifest('PersistentVolumeClaim', 'tripbench-results').doc['spec'] as { accessModes: string[] };
    expect(pvc.accessModes).toEqual(['ReadWriteMany']);
    // the deadline is after the shared start
    expect(Date.parse(env(m, 'DEADLINE') as string)).toBeGreaterThan(Date.parse(env(c, 'START_AT') as string));
  });
});
