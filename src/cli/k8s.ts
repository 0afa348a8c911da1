/**
 * `tripbench k8s --shards N --run-id ID FILE|DIR...` prints the manifests of one distributed
 * run (k8sManifests.ts): the scenarios' ConfigMap, the Indexed shard Job and the merge Job, all
 * from these flags. `tripbench k8s --schedule CRON` prints the scheduled check (CronJob) from the
 * same pod builders. Pipe either into `kubectl apply -f -`.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { flagsFirst } from './argOrder.js';
import { FlagError, flagNumber, flagString, formatUsage, parseFlags, type FlagSpecs, type ParsedFlags } from './flags.js';
import { parseStartAt } from './loadFlags.js';
import { cronManifests, distributedManifests, renderManifests, runName } from './k8sManifests.js';
import { loadRunFiles } from '../scenario/runFiles.js';
import { SCENARIO_TARGET } from '../scenario/run.js';
import { ExitCode } from '../shared/exitCodes.js';
import { UsageError } from '../shared/errors.js';
import { formatRfc3339Nano } from '../shared/goFormat.js';
import { VERSION } from '../shared/version.js';

const S = 1e9;

export const K8S_FLAGS: FlagSpecs = {
  shards: { type: 'int', default: 0, usage: 'shard pods of the distributed run (the Indexed Job\'s completions and parallelism)' },
  'run-id': { type: 'string', default: '', usage: 'names the run\'s Jobs, ConfigMap and results folder (lowercase letters, digits, -; a new id for every run)' },
  'start-at': { type: 'string', default: '', usage: 'the shards\' shared start, RFC 3339 (default: now + -start-in)' },
  'start-in': { type: 'duration', default: 120 * S, usage: 'without -start-at: start this long after now (time to schedule the pods and pull the image)' },
  timeout: { type: 'duration', default: 1800 * S, usage: 'the merge fails when a shard has not finished this long after the start' },
  target: { type: 'string', default: SCENARIO_TARGET, usage: 'the shards\' --target ("scenario" = each scenario\'s own target)' },
  image: { type: 'string', default: `tripbench:${VERSION}`, usage: 'container image' },
  schedule: { type: 'string', default: '', usage: 'print the scheduled check instead: a CronJob running the tripbench-scenarios ConfigMap on this cron schedule' },
  pushgateway: { type: 'string', default: 'http://prometheus-pushgateway.monitoring.svc:9091', usage: 'with -schedule: the Pushgateway the verdicts go to' },
};

const USAGE = `Usage: tripbench k8s -shards N -run-id ID [flags] FILE|DIR...   (distributed run)
       tripbench k8s -schedule CRON [flags]                         (scheduled check)
Prints Kubernetes manifests; apply them with: tripbench k8s ... | kubectl apply -f -
${formatUsage(K8S_FLAGS)}`;

// Job names are DNS labels (63 characters): "tripbench-" + id + "-scenario".
const RUN_ID = /^[a-z0-9]([-a-z0-9]{0,42}[a-z0-9])?$/;

function parse(argv: string[]): ParsedFlags | number {
  try {
    return parseFlags(flagsFirst(argv, K8S_FLAGS), K8S_FLAGS);
  } catch (e) {
    if (!(e instanceof FlagError)) throw e;
    if (e.message === 'help requested') {
      process.stderr.write(USAGE);
      return ExitCode.OK;
    }
    process.stderr.write(`tripbench k8s: ${e.message}\nRun 'tripbench k8s -h' for usage.\n`);
    return ExitCode.USAGE;
  }
}

/** The command line that regenerates the output, for its header. */
function commandLine(argv: readonly string[]): string {
  return ['tripbench', 'k8s', ...argv].map((a) => (/^[\w./:=@-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(' ');
}

export async function k8sCommand(argv: string[]): Promise<number> {
  const p = parse(argv);
  if (typeof p === 'number') return p;
  const image = flagString(p, 'image');
  const schedule = flagString(p, 'schedule');
  if (schedule !== '') {
    if (p.positional.length > 0 || p.set.has('shards') || p.set.has('run-id')) throw new UsageError('k8s -schedule prints the CronJob over the tripbench-scenarios ConfigMap: it takes no files, -shards or -run-id');
    const docs = cronManifests({ image, schedule, target: flagString(p, 'target'), pushgateway: flagString(p, 'pushgateway') });
    process.stdout.write(renderManifests(CRON_HEADER(commandLine(argv)), docs));
    return ExitCode.OK;
  }
  const shards = flagNumber(p, 'shards');
  const runId = flagString(p, 'run-id');
  if (shards < 1) throw new UsageError('k8s: -shards N (at least 1) is required for a distributed run');
  if (!RUN_ID.test(runId)) throw new UsageError(`invalid value "${runId}" for flag -run-id: lowercase letters, digits and '-', at most 44 characters, starting and ending with a letter or digit`);
  let startAtMs: number;
  try {
    startAtMs = parseStartAt(flagString(p, 'start-at')) ?? Date.now() + flagNumber(p, 'start-in') / 1e6;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const timeoutMs = flagNumber(p, 'timeout') / 1e6;
  // Validated as `tripbench run` will read them in the pods: a bad scenario is exit 2 here, not a failed Job.
  const { selected } = await loadRunFiles(p.positional, { local: false });
  const names = selected.map((s) => basename(s.scenario.file));
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new UsageError(`k8s: two scenario files are named ${dup}: ConfigMap keys must differ`);
  const scenarios = await Promise.all(selected.map(async (s) => ({ name: s.scenario.file, text: await readFile(s.scenario.file, 'utf8') })));
  const startAt = formatRfc3339Nano(Math.floor(startAtMs / 1000) * 1000);
  const deadline = formatRfc3339Nano(Math.floor(startAtMs / 1000) * 1000 + timeoutMs);
  const docs = distributedManifests({ image, runId, shards, startAt, deadline, activeSeconds: Math.ceil(timeoutMs / 1000) + 600, target: flagString(p, 'target'), scenarios });
  process.stdout.write(renderManifests(DISTRIBUTED_HEADER(commandLine(argv), runId), docs));
  return ExitCode.OK;
}

const DISTRIBUTED_HEADER = (cmd: string, runId: string): string => `A distributed run, generated by:
  ${cmd}
Regenerate it (with a new -run-id) for every run; never edit it by hand.

  ${cmd} | kubectl apply -f -
  kubectl wait --for=condition=complete job/${runName(runId, 'merge')} --timeout=1h
  kubectl logs job/${runName(runId, 'merge')}          # the verdicts of the whole run

Each shard pod runs \`tripbench run --shard i/N --start-at T\` (measures, judges nothing) and
leaves shard-<i>.done or shard-<i>.failed in the results volume; the merge Job waits for every
marker, fails at the first .failed or at the deadline naming the shard, and judges all shards'
calls once (\`tripbench run --merge\`). The results volume must be ReadWriteMany.`;

const CRON_HEADER = (cmd: string): string => `Scheduled chaos check, generated by:
  ${cmd}
Every run replays the scenarios of the tripbench-scenarios ConfigMap through the pod's Envoy
sidecar, keeps the reports on a volume (tripbench history shows drift) and pushes the verdicts to
a Pushgateway. A FAIL exits 1, so the Job is marked failed too.

  kubectl create configmap tripbench-scenarios --from-file=scenarios/ --dry-run=client -o yaml | kubectl apply -f -
  ${cmd} | kubectl apply -f -
  kubectl create job --from=cronjob/tripbench-chaos-check tripbench-check-now   # run once now`;
