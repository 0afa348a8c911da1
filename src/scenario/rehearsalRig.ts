/**
 * The local rehearsal of one scenario: its `upstream` as target server(s) and its `mesh` as the
 * sidecar emulator in front of them, in this process on ephemeral loopback ports. The load runs
 * in worker threads, so it never shares an event loop with them. One rig per scenario, not per
 * step: state such as ejections carries over between steps, as it does in a cluster.
 */
import { UsageError } from '../shared/errors.js';
import { urlPort } from '../shared/urlPort.js';
import { loadYamlDocuments, ProblemsError } from '../shared/yamlConfig.js';
import { meshDocuments } from './checks.js';
import {
  collectMesh,
  DEFAULT_ISTIO_VERSION,
  parseIstioVersion,
  startSidecar,
  startTarget,
  toSidecarConfig,
  type SidecarConfig,
  type SidecarHandle,
  type TargetDefaults,
  type TargetHandle,
  type VirtualService,
  type MeshVersion,
} from '../rehearsal/index.js';
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
  return toSidecarConfig(res, {
    istioVersion,
    servicePort: urlPort(new URL(s.target)),
    ...(s.cluster !== undefined ? { clusterName: s.cluster } : {}),
    ...(s.rehearsal?.outboundTrafficPolicy !== undefined ? { outboundTrafficPolicy: s.rehearsal.outboundTrafficPolicy } : {}),
  });
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
  const targets: TargetHandle[] = [];
  const closeAll = async (sidecar?: SidecarHandle): Promise<void> => {
    await sidecar?.close();
    await Promise.all(targets.map((t) => t.close()));
  };
  try {
    const n = s.upstream?.endpoints ?? 1;
    for (let i = 0; i < n; i++) {
      targets.push(await startTarget({ defaults: endpointDefaults(s, i), ...(opts.seed ? { seed: opts.seed + i } : {}) }));
    }
    const r = s.rehearsal ?? {};
    const sidecar = await startSidecar({
      config,
      upstreams: targets.map((t) => `${t.address.host}:${t.address.port}`),
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
