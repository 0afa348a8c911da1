/**
 * The local rehearsal of one scenario: its `upstream` as target server(s) and its `mesh` as the
 * sidecar emulator in front of them, in this process on ephemeral loopback ports. The load runs
 * in worker threads, so it never shares an event loop with them. One rig per scenario, not per
 * step: state such as ejections carries over between steps, as it does in a cluster.
 */
import { UsageError } from '../shared/errors.js';
import { urlPort } from '../shared/urlPort.js';
import { netScheme } from '../http/urlScheme.js';
import { startTcpEchoServer, type EchoServerHandle } from '../netload/tcpEchoServer.js';
import { DEFAULT_TIMEOUT_MS } from '../http/options.js';
import { loadYamlDocuments, ProblemsError } from '../shared/yamlConfig.js';
import { meshDocuments } from './checks.js';
import { collectMesh } from '../istio/resources.js';
import type { VirtualService } from '../istio/resources.js';
import {
  DEFAULT_ISTIO_VERSION,
  EGRESS_INCLUSION_PREFIXES,
  makeRehearsalCerts,
  parseIstioVersion,
  startSidecar,
  startTarget,
  toSidecarConfig,
  type SidecarConfig,
  type SidecarHandle,
  type TargetDefaults,
  type TargetHandle,
  type MeshVersion,
} from '../rehearsal/index.js';
import { startPingServer } from '../grpc/pingServer.js';
import type { GrpcServerHandle } from '../grpc/pingServer.js';
import type { Scenario } from './types.js';

export interface Rehearsal {
  /** The sidecar's listener: the scenario's target path is appended to it. */
  url: string;
  adminUrl: string;
  clusterName: string;
  /** the Istio/Envoy pair emulated */
  version: MeshVersion;
  /** Istio fields the emulator accepts but does not model (one line each) */
  warnings: string[];
  sidecar: SidecarHandle;
  targets: TargetHandle[];
  /** fortio's ping/health services standing in for the upstream of a grpc port */
  grpcTargets: GrpcServerHandle[];
  /** host:port of the sidecar's listener: where the load connects, whatever the URL says (a pod's iptables) */
  connectTo: string;
  /** PEM of the rehearsal's CA, which signed the HTTPS upstream's certificate ('' when none is needed) */
  caPem: string;
  close(): Promise<void>;
}

/** Why a local rehearsal refuses a second DestinationRule or VirtualService. */
export const ONE_CLUSTER = 'the local rehearsal models one cluster and one route table (run it in a cluster with --target)';

/**
 * What pilot would push for the scenario's mesh, read by the same loader as `sidecar -f`:
 * ServiceEntries only declare the external host the local target stands in for; a second
 * DestinationRule or VirtualService is valid in a cluster but beyond the one-cluster emulator,
 * so it is refused (at its line in the scenario file) before anything runs.
 */
export function rehearsalConfig(s: Scenario): SidecarConfig {
  const doc = loadYamlDocuments(s.source, s.file).docs[0];
  const { resources: res, problems } = collectMesh(doc ? meshDocuments(doc) : [], { oneCluster: ONE_CLUSTER });
  if (problems.length > 0) throw new ProblemsError(problems);
  const raw = s.rehearsal?.istioVersion ?? DEFAULT_ISTIO_VERSION;
  const istioVersion = parseIstioVersion(raw);
  if (!istioVersion) throw new UsageError(`${s.file}: rehearsal.istioVersion: unknown Istio version "${raw}"`);
  const net = netScheme(s.target);
  // Istio's sidecars intercept TCP only: a udp:// service has no listener to emulate.
  if (net === 'udp') throw new UsageError(`${s.file}: target: a udp:// target cannot be rehearsed locally (Istio's sidecar does not proxy UDP); run it in a cluster with --target`);
  return toSidecarConfig(res, {
    istioVersion,
    servicePort: urlPort(new URL(s.target)),
    ...(net === 'tcp' ? { serviceProtocol: 'tcp' as const } : {}),
    ...(s.cluster !== undefined ? { clusterName: s.cluster } : {}),
    ...(s.rehearsal?.outboundTrafficPolicy !== undefined ? { outboundTrafficPolicy: s.rehearsal.outboundTrafficPolicy } : {}),
  });
}

/**
 * A step whose client `-timeout` is not above the route timeout: the client gives up first and
 * records -1 (i/o timeout) where Envoy would answer 504 (fortio's default -timeout is 3 s, the
 * egress task's route timeout too).
 */
export function clientTimeoutWarnings(s: Scenario, config: SidecarConfig): string[] {
  const routeMs = Math.max(0, ...config.routes.map((r) => r.timeoutMs));
  if (routeMs <= 0) return [];
  const out: string[] = [];
  for (const st of s.steps) {
    const clientMs = (st.load.timeout ?? DEFAULT_TIMEOUT_MS * 1e6) / 1e6;
    if (clientMs <= routeMs) {
      out.push(`step ${st.name}: the client's timeout ${clientMs}ms is not above the route timeout ${routeMs}ms: the client gives up first (-1 i/o timeout) instead of seeing Envoy's 504; set load.timeout above it`);
    }
  }
  return out;
}

function endpointDefaults(s: Scenario, i: number): TargetDefaults {
  const u = s.upstream ?? {};
  const o = u.endpointOverrides?.[i] ?? {};
  const d: TargetDefaults = {};
  const delay = o.delay ?? u.delay;
  const status = o.status ?? u.status;
  if (delay !== undefined) d.delay = delay;
  if (status !== undefined) d.status = status;
  return d;
}

export interface RehearsalOptions {
  /** seeds the sidecar's and targets' randomness (0 = random) */
  seed?: number;
}

export async function startRehearsal(s: Scenario, opts: RehearsalOptions = {}): Promise<Rehearsal> {
  const config = rehearsalConfig(s);
  config.warnings.push(...clientTimeoutWarnings(s, config));
  const targets: TargetHandle[] = [];
  const echoes: EchoServerHandle[] = [];
  const grpcTargets: GrpcServerHandle[] = [];
  const closeAll = async (sidecar?: SidecarHandle): Promise<void> => {
    await sidecar?.close();
    await Promise.all([...targets.map((t) => t.close()), ...echoes.map((e) => e.close()), ...grpcTargets.map((t) => t.close())]);
  };
  try {
    const n = s.upstream?.endpoints ?? 1;
    // A grpc port's upstream is a gRPC server: fortio's ping and health services (h2c), one per endpoint.
    const grpcPort = config.servicePortProtocol === 'grpc';
    // A tcp:// target's endpoints echo (fortio's TCP echo); an http:// one through a TCP port still reaches httpbin.
    const tcpEcho = netScheme(s.target) === 'tcp';
    if (grpcPort && (s.upstream?.delay !== undefined || s.upstream?.status !== undefined || s.upstream?.endpointOverrides !== undefined)) {
      config.warnings.push('upstream delay/status do not apply to a grpc port: the upstream is fortio\'s ping service (delay a call with the ping message\'s delay)');
    }
    // A TCP service's endpoints are fortio's TCP echo (`fortio server -tcp-port`), not httpbin.
    for (let i = 0; i < n; i++) {
      if (tcpEcho) echoes.push(await startTcpEchoServer('127.0.0.1', 0));
      else if (grpcPort) grpcTargets.push(await startPingServer('127.0.0.1', '0'));
      else targets.push(await startTarget({ defaults: endpointDefaults(s, i), ...(opts.seed ? { seed: opts.seed + i } : {}) }));
    }
    // Outside hosts on a TLS port (SNI passthrough) or reached by TLS origination: an HTTPS target
    // with a certificate for their names, signed by a CA made now that the load trusts.
    const tlsHosts = [...new Set([...config.tlsPassthrough.flatMap((c) => c.sniHosts), ...(config.tlsOrigination ? [config.tlsOrigination.sni] : [])])];
    let caPem = '';
    let tlsTarget: TargetHandle | undefined;
    if (tlsHosts.length > 0 || new URL(s.target).protocol === 'https:') {
      const certs = makeRehearsalCerts(tlsHosts.length > 0 ? tlsHosts : [new URL(s.target).hostname]);
      caPem = certs.caPem;
      tlsTarget = await startTarget({ defaults: endpointDefaults(s, 0), tls: { cert: certs.certPem, key: certs.keyPem }, ...(opts.seed ? { seed: opts.seed } : {}) });
      targets.push(tlsTarget);
    }
    const hostPort = (t: TargetHandle): string => `${t.address.host}:${t.address.port}`;
    const httpTargets = tlsTarget ? targets.filter((t) => t !== tlsTarget) : targets;
    const r = s.rehearsal ?? {};
    const sidecar = await startSidecar({
      config,
      upstreams: config.tlsOrigination && tlsTarget ? [hostPort(tlsTarget)] : tcpEcho ? echoes.map((e) => `${e.address.address}:${e.address.port}`) : [...httpTargets.map(hostPort), ...grpcTargets.map((g) => `127.0.0.1:${g.port}`)],
      ...(tlsTarget ? { tlsUpstream: hostPort(tlsTarget), upstreamCaPem: caPem } : {}),
      statsInclusionPrefixes: [...EGRESS_INCLUSION_PREFIXES],
      servicePort: urlPort(new URL(s.target)),
      ...(r.concurrency !== undefined ? { concurrency: r.concurrency } : {}),
      ...(r.mtlsHandshake !== undefined ? { mtlsHandshakeMs: r.mtlsHandshake / 1e6 } : {}),
      ...(opts.seed ? { seed: opts.seed } : {}),
    });
    return {
      url: sidecar.url,
      adminUrl: sidecar.adminUrl as string,
      clusterName: sidecar.clusterName,
      version: config.version,
      warnings: config.warnings,
      sidecar,
      targets,
      grpcTargets,
      connectTo: `${sidecar.address.host.includes(':') ? `[${sidecar.address.host}]` : sidecar.address.host}:${sidecar.address.port}`,
      caPem,
      close: () => closeAll(sidecar),
    };
  } catch (e) {
    await closeAll();
    throw e;
  }
}

/** The scenario's target path and query on the rig's listener. */
export function rehearsalTarget(rig: Pick<Rehearsal, 'url'>, scenarioTarget: string): string {
  const u = new URL(scenarioTarget);
  return `${rig.url}${u.pathname}${u.search}`;
}
