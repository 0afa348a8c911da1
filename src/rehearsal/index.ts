/**
 * Library entry of the local mesh rehearsal: the target service and the sidecar emulator,
 * for `tripbench run` and the engine's tests (in-process, ephemeral ports).
 */
export { startTarget, DEFAULT_MAX_DELAY_MS, DEFAULT_MAX_SIZE } from './target.js';
export type { TargetDefaults, TargetHandle, TargetOptions, TargetTls } from './target.js';
export {
  startSidecar,
  DEFAULT_CONCURRENCY,
  DEFAULT_MTLS_HANDSHAKE_MS,
  DEFAULT_HOP_LATENCY_MS,
  DEFAULT_MESH_JITTER,
  DEFAULT_WORKER_ASSIGNMENT,
} from './sidecar.js';
export { formatAccessLog, formatTcpAccessLog } from './accessLog.js';
export type { AccessLogEntry } from './accessLog.js';
export type { SidecarHandle, SidecarOptions, WorkerAssignment } from './sidecar.js';
export { CURRENT_ISTIO, DEFAULT_ISTIO_VERSION, parseIstioVersion, sidecarConfigFromYaml, toSidecarConfig } from './pilot.js';
export type { IstioVersion, MappingOptions } from './pilot.js';
export type { SidecarConfig, ClusterConfig, OutboundTrafficPolicy, RouteConfig } from './envoyConfig.js';
export { OUTBOUND_TRAFFIC_POLICIES } from './envoyConfig.js';
export { BLACK_HOLE_CLUSTER, PASSTHROUGH_CLUSTER } from './outbound.js';
export { OVERFLOW_BODY } from './localReply.js';
export { behaviourOf, describeVersion, meshVersion, NEWEST_ISTIO_MINOR, NOT_MODELLED } from './versions.js';
export type { Behaviour, MeshVersion } from './versions.js';
export { EGRESS_INCLUSION_PREFIXES, FORTIO_SAMPLE_INCLUSION_PREFIXES, renderJson, renderPrometheus, renderText } from './stats.js';
export type { StatEntry, StatStore } from './stats.js';
export { isLoopback } from '../shared/loopback.js';
export { makeRehearsalCerts } from './certs.js';
export type { RehearsalCerts } from './certs.js';
