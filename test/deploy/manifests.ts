/**
 * The Kubernetes manifests in deploy/kubernetes as data, for the schema tests and for tests that
 * run a manifest's command line locally: `containerArgv` expands `$(VAR)` the way the kubelet
 * does, from the container's env with chosen overrides (a local URL, a temp dir).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';

export const MANIFEST_DIR = new URL('../../deploy/kubernetes/', import.meta.url);

export interface Manifest {
  file: string;
  index: number;
  doc: Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string } };
}

export function manifestFiles(): string[] {
  return readdirSync(MANIFEST_DIR).filter((f) => f.endsWith('.yaml')).sort();
}

/** Every document of every manifest file; YAML errors and warnings throw. */
export function loadManifests(): Manifest[] {
  const out: Manifest[] = [];
  for (const file of manifestFiles()) {
    const docs = parseAllDocuments(readFileSync(new URL(file, MANIFEST_DIR), 'utf8'), { strict: true, uniqueKeys: true });
    docs.forEach((d, index) => {
      const problems = [...d.errors, ...d.warnings];
      if (problems.length > 0) throw new Error(`${file}#${index}: ${problems.map((p) => p.message).join('; ')}`);
      out.push({ file, index, doc: d.toJS() as Manifest['doc'] });
    });
  }
  return out;
}

export function manifest(kind: string, name: string): Manifest {
  const m = loadManifests().find((x) => x.doc.kind === kind && x.doc.metadata.name === name);
  if (!m) throw new Error(`no ${kind} ${name} in deploy/kubernetes`);
  return m;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  volumeMounts?: { name: string; mountPath: string }[];
}

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: { name: string; configMap?: { name: string }; persistentVolumeClaim?: { claimName: string } }[];
  restartPolicy?: string;
  securityContext?: Record<string, unknown>;
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

/** The pod template of a Deployment, Job or CronJob. */
export function podTemplate(m: Manifest): PodTemplate {
  const spec = m.doc['spec'] as Record<string, unknown>;
  if (m.doc.kind === 'CronJob') return ((spec['jobTemplate'] as { spec: { template: PodTemplate } }).spec.template);
  return spec['template'] as PodTemplate;
}

/** $(VAR) → value, $$(VAR) → $(VAR), unknown names left as written (kubelet rules). */
export function expand(s: string, env: Record<string, string>): string {
  return s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name: string | undefined) => {
    if (name === undefined) return '$';
    return env[name] ?? all;
  });
}

/** Names a string refers to with $(NAME). */
export function references(s: string): string[] {
  return [...s.replace(/\$\$/g, '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g)].map((m) => m[1] as string);
}

/**
 * The container's command line (command + args, without the image's ENTRYPOINT) with `$(VAR)`
 * expanded from its env, `overrides` winning; env entries with valueFrom need an override.
 */
export function containerArgv(c: Container, overrides: Record<string, string>): { argv: string[]; env: Record<string, string> } {
  const env: Record<string, string> = {};
  for (const e of c.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  Object.assign(env, overrides);
  return { argv: [...(c.command ?? []), ...(c.args ?? [])].map((a) => expand(a, env)), env };
}

/**
 * The CronJob's `tripbench` argv for a local run: e.g. `{ TARGET_URL: rehearsalUrl, REPORTS_DIR:
 * tmp, SCENARIOS_DIR: dir, PUSHGATEWAY_URL: receiverUrl }` gives the exact arguments the pod runs
 * (the image's ENTRYPOINT is `tripbench`).
 */
export function cronJobArgv(overrides: Record<string, string>): string[] {
  const c = podTemplate(manifest('CronJob', 'tripbench-chaos-check')).spec.containers[0] as Container;
  return containerArgv(c, overrides).argv;
}
