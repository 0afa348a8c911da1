/**
 * `tripbench sidecar -f dr.yaml [-f vs.yaml] -upstream host:port …`: the Envoy sidecar
 * emulator for one outbound cluster (the files: the multi-document Istio YAML `run` takes in a
 * scenario's mesh), until SIGINT/SIGTERM. Bad resources: one line per
 * problem (`file:line:col: field: message`), exit 2, nothing starts.
 */
import { readFileSync } from 'node:fs';
import { errorMessage, UsageError } from '../shared/errors.js';
import { readYamlFile } from '../shared/yamlConfig.js';
import {
  DEFAULT_CONCURRENCY,
  DEFAULT_HOP_LATENCY_MS,
  DEFAULT_ISTIO_VERSION,
  DEFAULT_MESH_JITTER,
  DEFAULT_MTLS_HANDSHAKE_MS,
  DEFAULT_WORKER_ASSIGNMENT,
  EGRESS_INCLUSION_PREFIXES,
  OUTBOUND_TRAFFIC_POLICIES,
  describeVersion,
  formatAccessLog,
  formatTcpAccessLog,
  parseIstioVersion,
  sidecarConfigFromYaml,
  startSidecar,
} from '../rehearsal/index.js';
import type { OutboundTrafficPolicy, SidecarHandle, WorkerAssignment } from '../rehearsal/index.js';
import type { SourceText } from '../istio/resources.js';
import { DECLARABLE_PROTOCOLS, isTcpProxyProtocol } from '../istio/protocol.js';
import { ExitCode } from '../shared/exitCodes.js';
import { flagBool, flagNumber, flagString, flagStrings, formatUsage, parseFlags } from './flags.js';
import type { FlagSpecs } from './flags.js';
import { waitForSignal } from './server.js';
import type { CommandIo } from './server.js';

const ms = (x: number): number => x * 1e6;

export const SIDECAR_FLAGS: FlagSpecs = {
  f: { type: 'strings', default: [], usage: 'Istio YAML: DestinationRule, VirtualService, ServiceEntry, Sidecar; multi-document (repeatable; - for stdin)' },
  upstream: { type: 'strings', default: [], usage: 'upstream endpoint host:port (repeatable; default 127.0.0.1:8080)' },
  listen: { type: 'string', default: '127.0.0.1:15001', usage: 'downstream listener (what the app calls)' },
  admin: { type: 'string', default: '127.0.0.1:15000', usage: 'Envoy-style admin endpoint; "off" for none' },
  'allow-remote': { type: 'bool', default: false, usage: 'allow the listener and admin on non-loopback addresses' },
  concurrency: { type: 'int', default: DEFAULT_CONCURRENCY, usage: 'worker lanes, like Envoy --concurrency (Istio sidecars: 2)' },
  'worker-assign': { type: 'string', default: DEFAULT_WORKER_ASSIGNMENT, usage: 'downstream connection → worker: random (kernel reuse_port hash), round-robin, least-connections (exact balance)' },
  'mtls-handshake': { type: 'duration', default: ms(DEFAULT_MTLS_HANDSHAKE_MS), usage: 'extra time per new upstream connection (mTLS handshake) on top of the real connect' },
  'hop-latency': { type: 'duration', default: ms(DEFAULT_HOP_LATENCY_MS), usage: 'time per upstream request across the mesh (network + server-side sidecar)' },
  'mesh-jitter': { type: 'float', default: DEFAULT_MESH_JITTER, usage: 'relative spread of -mtls-handshake and -hop-latency (0..1)' },
  'istio-version': { type: 'string', default: DEFAULT_ISTIO_VERSION, usage: 'Istio release whose pilot mapping and Envoy to emulate (1.0 … 1.30; current = the newest)' },
  'envoy-version': { type: 'string', default: '', usage: 'Envoy release to emulate instead of the one that Istio release ships (1.8 … 1.38)' },
  'cluster-name': { type: 'string', default: '', usage: 'Envoy cluster name (default outbound|<port>||<host> from the DestinationRule, ServiceEntry or VirtualService)' },
  'service-port': { type: 'int', default: 0, usage: 'service port in the cluster name and stat prefixes (0 = the one the resources name: route destination, ServiceEntry port; else 80 outside, 8000 in the mesh)' },
  'service-protocol': { type: 'string', default: '', usage: "the service port's protocol, as if its port were named so: http, http2, grpc (the HTTP connection manager; HTTP/2 upstream for http2 and grpc) or tcp (a tcp_proxy to the cluster, circuit-broken on tcp.maxConnections); empty: from the resources (a Service port's name or appProtocol, a ServiceEntry port's protocol)" },
  'outbound-traffic-policy': { type: 'string', default: '', usage: 'mesh-wide meshConfig.outboundTrafficPolicy.mode: REGISTRY_ONLY or ALLOW_ANY (default: the Istio version\'s; a Sidecar resource in -f overrides it)' },
  'stats-inclusion': { type: 'string', default: 'fortio-sample', usage: 'Istio stats inclusion prefixes: fortio-sample, egress (fortio-sample + BlackHole/Passthrough clusters and tcp.), all, none, or a comma list' },
  seed: { type: 'int', default: 0, usage: 'seed for faults, worker assignment and jitter (0 = random)' },
  'tls-upstream': { type: 'string', default: '', usage: 'host:port serving the ServiceEntries\' TLS hosts (tripbench server -tls-hosts): SNI-routed streams go there' },
  'upstream-cacert': { type: 'string', default: '', usage: 'CA (PEM file) trusted when the sidecar originates TLS (DestinationRule tls SIMPLE); default: the system roots' },
  accesslog: { type: 'bool', default: false, usage: "print one access-log line per request (and per TLS passthrough connection) on stderr, in Istio's default format" },
};

function readSources(files: string[]): SourceText[] {
  return files.map((file) => ({ file, text: readYamlFile(file) }));
}

function inclusion(v: string): string[] | undefined {
  if (v === 'fortio-sample') return undefined;
  if (v === 'egress') return [...EGRESS_INCLUSION_PREFIXES];
  if (v === 'all') return ['*'];
  if (v === 'none') return [];
  return v.split(',').map((x) => x.trim()).filter((x) => x !== '');
}

const ASSIGNMENTS: readonly WorkerAssignment[] = ['random', 'round-robin', 'least-connections'];

export async function runSidecar(argv: string[], io: CommandIo, onStarted?: (s: SidecarHandle) => void): Promise<number> {
  let p;
  try {
    p = parseFlags(argv, SIDECAR_FLAGS);
  } catch (e) {
    if (e instanceof UsageError && e.message === 'help requested') {
      io.stderr(`Usage: tripbench sidecar -f dr.yaml [-f vs.yaml] [-upstream host:port …] [flags]\n${formatUsage(SIDECAR_FLAGS)}`);
      return ExitCode.OK;
    }
    throw e;
  }
  if (p.positional.length > 0) throw new UsageError(`sidecar: unexpected argument ${JSON.stringify(p.positional[0])} (resources go in -f)`);
  const version = parseIstioVersion(flagString(p, 'istio-version'));
  if (!version) throw new UsageError(`invalid value "${flagString(p, 'istio-version')}" for flag -istio-version: want 1.0 … 1.30 or current`);
  const envoyFlag = flagString(p, 'envoy-version');
  if (envoyFlag !== '') {
    const withEnvoy = parseIstioVersion(flagString(p, 'istio-version'), envoyFlag);
    if (!withEnvoy) throw new UsageError(`invalid value "${envoyFlag}" for flag -envoy-version: want 1.8 … 1.38`);
    version.envoy = withEnvoy.envoy;
  }
  const assign = flagString(p, 'worker-assign') as WorkerAssignment;
  if (!ASSIGNMENTS.includes(assign)) throw new UsageError(`invalid value "${assign}" for flag -worker-assign: want ${ASSIGNMENTS.join(', ')}`);
  const jitter = flagNumber(p, 'mesh-jitter');
  if (jitter < 0 || jitter > 1) throw new UsageError('-mesh-jitter must be between 0 and 1');
  for (const n of ['mtls-handshake', 'hop-latency']) if (flagNumber(p, n) < 0) throw new UsageError(`-${n} must not be negative`);
  const clusterName = flagString(p, 'cluster-name');
  const policy = flagString(p, 'outbound-traffic-policy');
  if (policy !== '' && !(OUTBOUND_TRAFFIC_POLICIES as readonly string[]).includes(policy)) {
    throw new UsageError(`invalid value "${policy}" for flag -outbound-traffic-policy: want ${OUTBOUND_TRAFFIC_POLICIES.join(' or ')}`);
  }
  const servicePort = flagNumber(p, 'service-port');
  if (servicePort < 0 || servicePort > 65535) throw new UsageError(`invalid value "${servicePort}" for flag -service-port: want 1 … 65535 (0 = from the resources)`);
  const declared = flagString(p, 'service-protocol');
  const protocol = DECLARABLE_PROTOCOLS.find((x) => x === declared.toLowerCase());
  if (declared !== '' && protocol === undefined) throw new UsageError(`invalid value "${declared}" for flag -service-protocol: want ${DECLARABLE_PROTOCOLS.join(', ')} (empty: from the resources)`);
  const config = sidecarConfigFromYaml(readSources(flagStrings(p, 'f')), {
    istioVersion: version,
    ...(protocol !== undefined ? { serviceProtocol: protocol } : {}),
    ...(servicePort > 0 ? { servicePort } : {}),
    ...(clusterName !== '' ? { clusterName } : {}),
    ...(policy !== '' ? { outboundTrafficPolicy: policy as OutboundTrafficPolicy } : {}),
  });
  for (const w of config.warnings) io.stderr(`tripbench sidecar: warning: ${w}\n`);
  const upstreams = flagStrings(p, 'upstream');
  const tlsUpstream = flagString(p, 'tls-upstream');
  const caFile = flagString(p, 'upstream-cacert');
  let upstreamCaPem: string | undefined;
  if (caFile !== '') {
    try {
      upstreamCaPem = readFileSync(caFile, 'utf8');
    } catch (e) {
      throw new UsageError(`invalid value "${caFile}" for flag -upstream-cacert: ${errorMessage(e)}`);
    }
  }
  const admin = flagString(p, 'admin');
  const s = await startSidecar({
    config,
    upstreams: upstreams.length > 0 ? upstreams : ['127.0.0.1:8080'],
    listen: flagString(p, 'listen'),
    admin: admin === 'off' ? false : admin,
    allowRemote: flagBool(p, 'allow-remote'),
    concurrency: flagNumber(p, 'concurrency'),
    workerAssignment: assign,
    mtlsHandshakeMs: flagNumber(p, 'mtls-handshake') / 1e6,
    hopLatencyMs: flagNumber(p, 'hop-latency') / 1e6,
    meshJitter: jitter,
    seed: flagNumber(p, 'seed'),
    ...(tlsUpstream !== '' ? { tlsUpstream } : {}),
    ...(upstreamCaPem !== undefined ? { upstreamCaPem } : {}),
    ...(flagBool(p, 'accesslog')
      ? {
          onAccessLog: (e) => io.stderr(formatAccessLog(e, version.istio.minor) + '\n'),
          onTcpLog: (e) => io.stderr(formatTcpAccessLog(e, version.istio.minor) + '\n'),
        }
      : {}),
    ...(inclusion(flagString(p, 'stats-inclusion')) !== undefined ? { statsInclusionPrefixes: inclusion(flagString(p, 'stats-inclusion')) as string[] } : {}),
  });
  io.stderr(`tripbench sidecar (Envoy emulator, ${describeVersion(version)}, ${flagNumber(p, 'concurrency')} workers) listening on ${isTcpProxyProtocol(config.servicePortProtocol) ? `tcp://${s.url.slice('http://'.length)} (tcp_proxy)` : s.url}, cluster ${s.clusterName} → ${s.cluster.hosts.map((h) => h.key).join(', ')}\n`);
  io.stderr(`tripbench sidecar outbound traffic policy ${config.outboundPolicy} (${config.outboundPolicySource}): other outside hosts → ${config.outboundPolicy === 'ALLOW_ANY' ? 'PassthroughCluster' : 'BlackHoleCluster'}\n`);
  if (s.adminUrl) io.stderr(`tripbench sidecar admin on ${s.adminUrl} (/stats, /stats/prometheus, /clusters, /ready)\n`);
  onStarted?.(s);
  await io.stopped;
  await s.close();
  return ExitCode.OK;
}

export async function sidecarCommand(argv: string[]): Promise<number> {
  return runSidecar(argv, { stderr: (s) => process.stderr.write(s), stopped: waitForSignal() });
}
