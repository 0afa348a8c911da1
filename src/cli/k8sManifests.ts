/**
 * `tripbench k8s`: the Kubernetes manifests of a distributed or scheduled run, from one set of
 * inputs, so nothing has to be kept equal by hand: the shard count is the Job's completions and
 * parallelism and the merge's --shards; the run id names both Jobs (Jobs are immutable: a new
 * run is a new name, never a delete) and the results folder; the start instant and the deadline
 * are written once. Every pod: no service-account token (nothing here talks to the API server),
 * Pod Security Standards "restricted" (non-root, no privilege escalation, all capabilities
 * dropped, RuntimeDefault seccomp, read-only root filesystem).
 */
import { basename } from 'node:path';
import { stringify } from 'yaml';

export const IMAGE_DEFAULT = 'tripbench';
export const RESULTS_CLAIM = 'tripbench-results';
export const REPORTS_CLAIM = 'tripbench-reports';
export const SCENARIOS_CONFIGMAP = 'tripbench-scenarios';

type Obj = Record<string, unknown>;

export interface DistributedInput {
  image: string;
  runId: string;
  shards: number;
  /** RFC 3339: the shards' shared start (-start-at) */
  startAt: string;
  /** RFC 3339: the merge fails when a shard has no marker by then */
  deadline: string;
  /** seconds from the Jobs' creation to the deadline, for activeDeadlineSeconds */
  activeSeconds: number;
  /** --target of the shards: "scenario" = the scenario's own target */
  target: string;
  /** scenario file name → its text, in the run's ConfigMap */
  scenarios: { name: string; text: string }[];
}

export interface CronInput {
  image: string;
  schedule: string;
  target: string;
  pushgateway: string;
}

const UID = 1000;

function podSecurity(): Obj {
  return { runAsNonRoot: true, runAsUser: UID, runAsGroup: UID, fsGroup: UID, seccompProfile: { type: 'RuntimeDefault' } };
}

function containerSecurity(): Obj {
  return { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } };
}

function env(vars: Record<string, string>): Obj[] {
  return Object.entries(vars).map(([name, value]) => ({ name, value }));
}

function serviceAccount(): Obj {
  return { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'tripbench', labels: { app: 'tripbench' } }, automountServiceAccountToken: false };
}

function claim(name: string, app: string, mode: string): Obj {
  return { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name, labels: { app } }, spec: { accessModes: [mode], resources: { requests: { storage: '1Gi' } } } };
}

/** The Istio annotations of a pod that loads through its sidecar and reads its circuit-breaker stats. */
function meshAnnotations(): Record<string, string> {
  const prefixes = ['cluster.outbound', 'cluster_manager', 'listener_manager', 'server', 'cluster.xds-grpc'];
  return {
    'sidecar.istio.io/statsInclusionPrefixes': prefixes.join(','),
    // Envoy as a native sidecar (Kubernetes >= 1.29) stops when tripbench exits, so the Job completes.
    'sidecar.istio.io/nativeSidecar': 'true',
    'proxy.istio.io/config': `holdApplicationUntilProxyStarts: true\nproxyStatsMatcher:\n  inclusionPrefixes:\n${prefixes.map((p) => `  - ${p}\n`).join('')}`,
  };
}

function podSpec(containers: Obj[], volumes: Obj[], init: Obj[] = []): Obj {
  return {
    restartPolicy: 'Never',
    serviceAccountName: 'tripbench',
    automountServiceAccountToken: false,
    securityContext: podSecurity(),
    ...(init.length > 0 ? { initContainers: init } : {}),
    containers,
    volumes,
  };
}

export function runName(runId: string, part: 'shards' | 'merge' | 'scenario'): string {
  return `tripbench-${runId}-${part}`;
}

/**
 * The shard's wrapper: after tripbench exits, whatever the code, it leaves `shard-<i>.done`
 * (exit 0) or `shard-<i>.failed` (the exit code) in the run's folder, renamed into place so the
 * merge never reads half a marker. A killed pod leaves none: the merge's deadline covers it.
 */
export const SHARD_SCRIPT = `dir="$RESULTS_DIR/$RUN_ID"
mkdir -p "$dir"
tripbench run --shard "$SHARD_INDEX/$SHARD_COUNT" --start-at "$START_AT" --target "$TARGET_URL" --reports "$dir" /scenarios
rc=$?
if [ "$rc" -eq 0 ]; then marker=done; else marker=failed; fi
printf '%s\\n' "$rc" > "$dir/.shard-$SHARD_INDEX.tmp" && mv "$dir/.shard-$SHARD_INDEX.tmp" "$dir/shard-$SHARD_INDEX.$marker"
exit "$rc"
`;

export function distributedManifests(i: DistributedInput): Obj[] {
  const app = 'tripbench-distributed';
  const common = { RUN_ID: i.runId, SHARD_COUNT: String(i.shards), RESULTS_DIR: '/results' };
  const volumes = (extra: Obj[] = []): Obj[] => [
    { name: 'scenarios', configMap: { name: runName(i.runId, 'scenario') } },
    { name: 'results', persistentVolumeClaim: { claimName: RESULTS_CLAIM } },
    ...extra,
  ];
  const mounts = (extra: Obj[] = []): Obj[] => [
    { name: 'scenarios', mountPath: '/scenarios', readOnly: true },
    { name: 'results', mountPath: '/results' },
    ...extra,
  ];
  const configMap: Obj = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: runName(i.runId, 'scenario'), labels: { app, 'tripbench/run-id': i.runId } },
    data: Object.fromEntries(i.scenarios.map((s) => [basename(s.name), s.text])),
  };
  const shardJob: Obj = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: runName(i.runId, 'shards'), labels: { app, 'tripbench/run-id': i.runId } },
    spec: {
      completionMode: 'Indexed',
      completions: i.shards,
      parallelism: i.shards,
      // A retried shard would start late and stretch the run's time range: the merge reports the failure instead.
      backoffLimit: 0,
      activeDeadlineSeconds: i.activeSeconds,
      ttlSecondsAfterFinished: 86400,
      template: {
        metadata: { labels: { app, 'tripbench/run-id': i.runId, 'sidecar.istio.io/inject': 'true' }, annotations: meshAnnotations() },
        spec: podSpec(
          [
            {
              name: 'tripbench',
              image: i.image,
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/sh', '-c'],
              args: [SHARD_SCRIPT],
              env: [
                { name: 'SHARD_INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
                ...env({ ...common, START_AT: i.startAt, TARGET_URL: i.target }),
              ],
              resources: { requests: { cpu: '1', memory: '256Mi' }, limits: { memory: '1Gi' } },
              securityContext: containerSecurity(),
              volumeMounts: mounts([{ name: 'tmp', mountPath: '/tmp' }]),
            },
          ],
          volumes([{ name: 'tmp', emptyDir: {} }]),
        ),
      },
    },
  };
  const mergeJob: Obj = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: runName(i.runId, 'merge'), labels: { app, 'tripbench/run-id': i.runId } },
    spec: {
      backoffLimit: 0,
      // the deadline itself is --deadline; this only bounds a wedged pod
      activeDeadlineSeconds: i.activeSeconds + 600,
      ttlSecondsAfterFinished: 86400,
      template: {
        // Reads files only: no mesh traffic, and no sidecar to keep the Job from completing.
        metadata: { labels: { app: `${app}-merge`, 'tripbench/run-id': i.runId, 'sidecar.istio.io/inject': 'false' } },
        spec: podSpec(
          [
            {
              name: 'merge',
              image: i.image,
              imagePullPolicy: 'IfNotPresent',
              args: ['run', '--merge', '$(RESULTS_DIR)/$(RUN_ID)', '--shards', '$(SHARD_COUNT)', '--deadline', '$(DEADLINE)', '--reports', '$(RESULTS_DIR)/$(RUN_ID)/merged', '/scenarios'],
              env: env({ ...common, DEADLINE: i.deadline }),
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
              securityContext: containerSecurity(),
              volumeMounts: mounts(),
            },
          ],
          volumes(),
        ),
      },
    },
  };
  return [serviceAccount(), claim(RESULTS_CLAIM, app, 'ReadWriteMany'), configMap, shardJob, mergeJob];
}

export function cronManifests(i: CronInput): Obj[] {
  const app = 'tripbench-chaos-check';
  const cron: Obj = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'tripbench-chaos-check', labels: { app } },
    spec: {
      schedule: i.schedule,
      timeZone: 'Etc/UTC',
      // One check at a time: two overlapping runs would load the breaker together and skew both.
      concurrencyPolicy: 'Forbid',
      startingDeadlineSeconds: 600,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 5,
      jobTemplate: {
        metadata: { labels: { app } },
        spec: {
          // A failed verdict is a result, not a crash: retrying would only hide it.
          backoffLimit: 0,
          activeDeadlineSeconds: 1800,
          template: {
            metadata: { labels: { app, 'sidecar.istio.io/inject': 'true' }, annotations: meshAnnotations() },
            spec: podSpec(
              [
                {
                  name: 'tripbench',
                  image: i.image,
                  imagePullPolicy: 'IfNotPresent',
                  args: ['run', '--target', '$(TARGET_URL)', '--reports', '$(REPORTS_DIR)', '--prometheus', '$(REPORTS_DIR)/tripbench.prom', '--pushgateway', '$(PUSHGATEWAY_URL)', '$(SCENARIOS_DIR)'],
                  env: env({ TARGET_URL: i.target, PUSHGATEWAY_URL: i.pushgateway, REPORTS_DIR: '/reports', SCENARIOS_DIR: '/scenarios' }),
                  resources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { memory: '1Gi' } },
                  securityContext: containerSecurity(),
                  volumeMounts: [
                    { name: 'scenarios', mountPath: '/scenarios', readOnly: true },
                    { name: 'reports', mountPath: '/reports' },
                    { name: 'tmp', mountPath: '/tmp' },
                  ],
                },
              ],
              [
                { name: 'scenarios', configMap: { name: SCENARIOS_CONFIGMAP } },
                { name: 'reports', persistentVolumeClaim: { claimName: REPORTS_CLAIM } },
                { name: 'tmp', emptyDir: {} },
              ],
            ),
          },
        },
      },
    },
  };
  return [serviceAccount(), claim(REPORTS_CLAIM, app, 'ReadWriteOnce'), cron];
}

/** Documents as one multi-document YAML stream, after a comment header. */
export function renderManifests(header: string, docs: readonly Obj[]): string {
  const head = header.trimEnd().split('\n').map((l) => (l === '' ? '#' : `# ${l}`)).join('\n');
  return `${head}\n${docs.map((d) => stringify(d, { lineWidth: 0, indentSeq: false })).join('---\n')}`;
}
