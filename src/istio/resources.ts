/**
 * The Istio resources the emulator reads — DestinationRule, VirtualService and ServiceEntry as
 * plain data — and their one loader, used by `sidecar -f` files and a scenario's `mesh` list
 * alike: schema validation, one DestinationRule and one VirtualService at most, every problem
 * as `file:line:col: field: message`.
 */
import { parseGoDuration } from '../shared/duration.js';
import { re2Problem } from './re2.js';
import { ProblemsError, loadYamlDocuments, validate } from '../shared/yamlConfig.js';
import type { PathSegment, Problem, YamlDocument } from '../shared/yamlConfig.js';
import { API_VERSIONS, destinationRuleSchema, kubeServiceSchema, resourceHeaderSchema, serviceEntrySchema, sidecarSchema, virtualServiceSchema } from './schema.js';

// ---- resource shapes (only what the schema admits and the mapping reads) ----

export type StringMatch = { exact?: string; prefix?: string; regex?: string };
export interface Percent {
  value?: number;
}

export interface DestinationRule {
  apiVersion: string;
  kind: 'DestinationRule';
  metadata?: { name?: string; namespace?: string };
  spec: {
    host: string;
    trafficPolicy?: TrafficPolicy;
    subsets?: unknown[];
    exportTo?: string[];
    workloadSelector?: unknown;
  };
}

export interface TrafficPolicy {
  loadBalancer?: { simple?: string; consistentHash?: unknown; localityLbSetting?: unknown };
  connectionPool?: {
    tcp?: {
      maxConnections?: number;
      connectTimeout?: string;
      tcpKeepalive?: unknown;
      maxConnectionDuration?: string;
      idleTimeout?: string;
    };
    http?: {
      http1MaxPendingRequests?: number;
      http2MaxRequests?: number;
      maxRequestsPerConnection?: number;
      maxRetries?: number;
      idleTimeout?: string;
      h2UpgradePolicy?: string;
      useClientProtocol?: boolean;
      maxConcurrentStreams?: number;
    };
  };
  outlierDetection?: {
    consecutiveErrors?: number;
    consecutive5xxErrors?: number;
    consecutiveGatewayErrors?: number;
    consecutiveLocalOriginFailures?: number;
    splitExternalLocalOriginErrors?: boolean;
    interval?: string;
    baseEjectionTime?: string;
    maxEjectionPercent?: number;
    minHealthPercent?: number;
  };
  tls?: { mode?: string; sni?: string; insecureSkipVerify?: boolean };
  portLevelSettings?: unknown[];
}

export interface HttpRoute {
  name?: string;
  match?: Array<{
    uri?: StringMatch;
    method?: StringMatch;
    authority?: StringMatch;
    scheme?: StringMatch;
    headers?: Record<string, StringMatch>;
    withoutHeaders?: Record<string, StringMatch>;
    queryParams?: Record<string, StringMatch>;
    ignoreUriCase?: boolean;
    [k: string]: unknown;
  }>;
  route?: Array<{ destination: { host: string }; weight?: number }>;
  timeout?: string;
  retries?: { attempts?: number; perTryTimeout?: string; retryOn?: string; retryRemoteLocalities?: boolean };
  fault?: {
    delay?: { fixedDelay?: string; exponentialDelay?: string; percentage?: Percent; percent?: number };
    abort?: { httpStatus?: number; grpcStatus?: string; http2Error?: string; percentage?: Percent; percent?: number };
  };
  [k: string]: unknown;
}

export interface VirtualService {
  apiVersion: string;
  kind: 'VirtualService';
  metadata?: { name?: string; namespace?: string };
  spec: { hosts?: string[]; gateways?: string[]; http?: HttpRoute[]; tls?: TlsRoute[]; tcp?: unknown[] };
}

/** A VirtualService `tls:` route (opaque to the schema): the SNI match Istio's egress task writes. */
export interface TlsRoute {
  match?: Array<{ port?: number; sniHosts?: string[]; sni_hosts?: string[] }>;
  route?: Array<{ destination?: { host?: string; port?: { number?: number } } }>;
}

export interface ServiceEntry {
  apiVersion: string;
  kind: 'ServiceEntry';
  metadata?: { name?: string; namespace?: string };
  spec: { hosts?: string[]; ports?: Array<{ number?: number; protocol?: string; name?: string }>; [k: string]: unknown };
}

export interface IstioSidecar {
  apiVersion: string;
  kind: 'Sidecar';
  metadata?: { name?: string; namespace?: string };
  spec: { outboundTrafficPolicy?: { mode?: 'REGISTRY_ONLY' | 'ALLOW_ANY' }; [k: string]: unknown };
}

/** A Kubernetes Service: only its ports matter here (their protocol, istio/protocol.ts). */
export interface KubeService {
  apiVersion: 'v1';
  kind: 'Service';
  metadata?: { name?: string; namespace?: string };
  spec: { ports?: Array<{ name?: string; port: number; appProtocol?: string; protocol?: string }>; [k: string]: unknown };
}

export interface IstioResources {
  /** Kubernetes Services named in the mesh: their ports' protocols */
  services?: KubeService[];
  destinationRule?: DestinationRule;
  virtualService?: VirtualService;
  /** in order; the first one's host names the cluster when there is no DestinationRule */
  serviceEntries?: ServiceEntry[];
  /** the workload's Sidecar resource (its outboundTrafficPolicy) */
  sidecar?: IstioSidecar;
}

export interface SourceText {
  text: string;
  file: string;
}

// ---- loading ----

/**
 * Durations Envoy requires to be positive (`connect_timeout`, outlier `interval` and
 * `base_ejection_time` are `gt: 0` in its API) and Istio's validation rejects below 1ms: a 0s
 * connectTimeout would otherwise time every connect out at once, a 0s interval spin the sweep.
 */
const AT_LEAST_1MS: ReadonlyArray<readonly string[]> = [
  ['connectionPool', 'tcp', 'connectTimeout'],
  ['outlierDetection', 'interval'],
  ['outlierDetection', 'baseEjectionTime'],
];

function durationFloors(doc: YamlDocument): Problem[] {
  const spec = (doc.value as DestinationRule).spec;
  const policies: Array<{ at: PathSegment[]; tp: unknown }> = [];
  const withPorts = (at: PathSegment[], tp: TrafficPolicy | undefined): void => {
    if (!tp) return;
    policies.push({ at, tp });
    tp.portLevelSettings?.forEach((pl, i) => policies.push({ at: [...at, 'portLevelSettings', i], tp: pl }));
  };
  withPorts(['spec', 'trafficPolicy'], spec.trafficPolicy);
  spec.subsets?.forEach((sub, i) => withPorts(['spec', 'subsets', i, 'trafficPolicy'], (sub as { trafficPolicy?: TrafficPolicy }).trafficPolicy));
  const out: Problem[] = [];
  for (const { at, tp } of policies) {
    for (const rel of AT_LEAST_1MS) {
      let v: unknown = tp;
      for (const k of rel) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
      if (typeof v !== 'string') continue;
      const ns = parseGoDuration(v);
      if (ns !== undefined && ns < 1e6) out.push(doc.problem([...at, ...rel], `must be at least 1ms (got ${JSON.stringify(v)})`));
    }
  }
  return out;
}

/** Everything wrong with one DestinationRule document: schema first, then what the schema cannot say. */
export function destinationRuleProblems(doc: YamlDocument): Problem[] {
  const p = validate(doc, destinationRuleSchema);
  return p.length > 0 ? p : durationFloors(doc);
}

const MATCH_STRINGS = ['uri', 'method', 'authority', 'scheme'] as const;
const MATCH_MAPS = ['headers', 'withoutHeaders', 'queryParams'] as const;

/** Regexes Istio's validation compiles as RE2 (Go regexp): a JavaScript-only construct is an error here too. */
function regexProblems(doc: YamlDocument): Problem[] {
  const out: Problem[] = [];
  const check = (path: PathSegment[], m: StringMatch | undefined): void => {
    if (typeof m?.regex !== 'string') return;
    const bad = re2Problem(m.regex);
    if (bad) out.push(doc.problem([...path, 'regex'], `invalid RE2 regex: ${bad}`));
  };
  (doc.value as VirtualService).spec.http?.forEach((r, i) =>
    r.match?.forEach((m, j) => {
      const at: PathSegment[] = ['spec', 'http', i, 'match', j];
      for (const k of MATCH_STRINGS) check([...at, k], m[k]);
      for (const k of MATCH_MAPS) for (const [name, sm] of Object.entries(m[k] ?? {})) check([...at, k, name], sm);
    }),
  );
  return out;
}

export function virtualServiceProblems(doc: YamlDocument): Problem[] {
  const p = validate(doc, virtualServiceSchema);
  return p.length > 0 ? p : regexProblems(doc);
}

export function serviceEntryProblems(doc: YamlDocument): Problem[] {
  return validate(doc, serviceEntrySchema);
}

export interface LoadResult {
  resources: IstioResources;
  problems: Problem[];
}

export const MESH_KINDS = ['DestinationRule', 'VirtualService', 'ServiceEntry', 'Sidecar', 'Service'] as const;

export interface MeshOptions {
  /**
   * Refuse a second DestinationRule or VirtualService, with this reason: valid in a cluster,
   * beyond the one-cluster emulator. Unset: only each resource is checked (a run in a cluster).
   */
  oneCluster?: string;
}

/**
 * The one loader of Istio resources: every document checked by its kind, the emulator's
 * resources collected. A document is a whole resource (`sidecar -f`) or one item of a
 * scenario's `mesh` list; positions come from the document, so problems point into its file.
 */
export function collectMesh(docs: readonly YamlDocument[], opts: MeshOptions = {}): LoadResult {
  const problems: Problem[] = [];
  const resources: IstioResources = {};
  const add = (p: readonly Problem[]): void => {
    for (const x of p) problems.push(x);
  };
  let drDoc: YamlDocument | undefined;
  let vsDoc: YamlDocument | undefined;
  let scDoc: YamlDocument | undefined;
  const where = (d: YamlDocument): string => {
    const pos = d.locate([]);
    return `${d.file}:${pos.line}:${pos.col}`;
  };
  for (const doc of docs) {
    const head = validate(doc, resourceHeaderSchema);
    if (head.length > 0) {
      add(head);
      continue;
    }
    const v = doc.value as { apiVersion: string; kind: string };
    if (v.kind === 'Service') {
      const p = validate(doc, kubeServiceSchema);
      add(p);
      if (p.length === 0) (resources.services ??= []).push(doc.value as KubeService);
      continue;
    }
    if (!(API_VERSIONS as readonly string[]).includes(v.apiVersion)) {
      problems.push(doc.problem(['apiVersion'], `unsupported apiVersion ${JSON.stringify(v.apiVersion)} (expected one of ${API_VERSIONS.join(', ')})`));
      continue;
    }
    if (v.kind === 'DestinationRule') {
      if (drDoc && opts.oneCluster !== undefined) {
        problems.push(doc.problem(['kind'], `a second DestinationRule (the first is at ${where(drDoc)}): ${opts.oneCluster}`));
        continue;
      }
      const p = destinationRuleProblems(doc);
      add(p);
      if (p.length === 0 && !drDoc) resources.destinationRule = doc.value as DestinationRule;
      drDoc ??= doc;
    } else if (v.kind === 'VirtualService') {
      if (vsDoc && opts.oneCluster !== undefined) {
        problems.push(doc.problem(['kind'], `a second VirtualService (the first is at ${where(vsDoc)}): ${opts.oneCluster}`));
        continue;
      }
      const p = virtualServiceProblems(doc);
      add(p);
      if (p.length === 0 && !vsDoc) resources.virtualService = doc.value as VirtualService;
      vsDoc ??= doc;
    } else if (v.kind === 'ServiceEntry') {
      const p = serviceEntryProblems(doc);
      add(p);
      if (p.length === 0) (resources.serviceEntries ??= []).push(doc.value as ServiceEntry);
    } else if (v.kind === 'Sidecar') {
      // One workload has one Sidecar in force (Istio picks the selector match, else the namespace's).
      if (scDoc && opts.oneCluster !== undefined) {
        problems.push(doc.problem(['kind'], `a second Sidecar (the first is at ${where(scDoc)}): the emulator is one workload's sidecar`));
        continue;
      }
      const p = validate(doc, sidecarSchema);
      add(p);
      if (p.length === 0 && !scDoc) resources.sidecar = doc.value as IstioSidecar;
      scDoc ??= doc;
    } else {
      problems.push(doc.problem(['kind'], `must be one of ${MESH_KINDS.join(', ')} (got ${JSON.stringify(v.kind)})`));
    }
  }
  return { resources, problems };
}

/** `sidecar -f` texts: multi-document Istio YAML (DestinationRule, VirtualService, ServiceEntry, Sidecar), one cluster. */
export function loadIstioResources(sources: readonly SourceText[]): LoadResult {
  const problems: Problem[] = [];
  const docs: YamlDocument[] = [];
  for (const src of sources) {
    const loaded = loadYamlDocuments(src.text, src.file);
    for (const p of loaded.problems) problems.push(p);
    // An empty or all-comment file would silently leave every breaker unlimited.
    if (loaded.problems.length === 0 && loaded.docs.length === 0) {
      problems.push({ file: src.file, line: 1, col: 1, path: '(document)', message: `no ${MESH_KINDS.slice(0, -1).join(', ')} or ${MESH_KINDS[MESH_KINDS.length - 1]} in this file` });
    }
    for (const d of loaded.docs) docs.push(d);
  }
  const r = collectMesh(docs, { oneCluster: 'the emulator models one cluster' });
  for (const p of r.problems) problems.push(p);
  return { resources: r.resources, problems };
}

/** Bad Istio YAML: the message is one `file:line:col: field: problem` line per problem. */
export class IstioConfigError extends ProblemsError {
  constructor(problems: Problem[]) {
    super(problems);
    this.name = 'IstioConfigError';
  }
}
