/**
 * The Istio resources the emulator reads — DestinationRule and VirtualService as plain data —
 * and their loading: YAML, schema validation, one DestinationRule and one VirtualService at
 * most, every problem as `file:line:col: field: message`.
 */
import { parseGoDuration } from '../shared/duration.js';
import { ProblemsError, loadYamlDocuments, validate } from '../shared/yamlConfig.js';
import type { PathSegment, Problem, YamlDocument } from '../shared/yamlConfig.js';
import { API_VERSIONS, destinationRuleSchema, resourceHeaderSchema, virtualServiceSchema } from './istioSchema.js';

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
  tls?: { mode?: string };
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
  spec: { hosts?: string[]; gateways?: string[]; http?: HttpRoute[]; tls?: unknown[]; tcp?: unknown[] };
}

export interface IstioResources {
  destinationRule?: DestinationRule;
  virtualService?: VirtualService;
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

export function virtualServiceProblems(doc: YamlDocument): Problem[] {
  return validate(doc, virtualServiceSchema);
}

export interface LoadResult {
  resources: IstioResources;
  problems: Problem[];
}

/** Parses and validates YAML texts holding at most one DestinationRule and one VirtualService. */
export function loadIstioResources(sources: readonly SourceText[]): LoadResult {
  const problems: Problem[] = [];
  const resources: IstioResources = {};
  let drDoc: YamlDocument | undefined;
  let vsDoc: YamlDocument | undefined;
  for (const src of sources) {
    const loaded = loadYamlDocuments(src.text, src.file);
    problems.push(...loaded.problems);
    // An empty or all-comment file would silently leave every breaker unlimited.
    if (loaded.problems.length === 0 && loaded.docs.length === 0) {
      problems.push({ file: src.file, line: 1, col: 1, path: '(document)', message: 'no DestinationRule or VirtualService in this file' });
    }
    for (const doc of loaded.docs) {
      const head = validate(doc, resourceHeaderSchema);
      if (head.length > 0) {
        problems.push(...head);
        continue;
      }
      const v = doc.value as { apiVersion: string; kind: string };
      if (!(API_VERSIONS as readonly string[]).includes(v.apiVersion)) {
        problems.push(doc.problem(['apiVersion'], `unsupported apiVersion ${JSON.stringify(v.apiVersion)} (expected one of ${API_VERSIONS.join(', ')})`));
        continue;
      }
      if (v.kind === 'DestinationRule') {
        if (drDoc) {
          problems.push(doc.problem(['kind'], `a second DestinationRule (the first is in ${drDoc.file}); the emulator models one cluster`));
          continue;
        }
        drDoc = doc;
        const p = destinationRuleProblems(doc);
        problems.push(...p);
        if (p.length === 0) resources.destinationRule = doc.value as DestinationRule;
      } else if (v.kind === 'VirtualService') {
        if (vsDoc) {
          problems.push(doc.problem(['kind'], `a second VirtualService (the first is in ${vsDoc.file}); the emulator models one route table`));
          continue;
        }
        vsDoc = doc;
        const p = virtualServiceProblems(doc);
        problems.push(...p);
        if (p.length === 0) resources.virtualService = doc.value as VirtualService;
      } else {
        problems.push(doc.problem(['kind'], `unsupported kind ${JSON.stringify(v.kind)} (expected DestinationRule or VirtualService)`));
      }
    }
  }
  return { resources, problems };
}


/** Bad Istio YAML: the message is one `file:line:col: field: problem` line per problem. */
export class IstioConfigError extends ProblemsError {
  constructor(problems: Problem[]) {
    super(problems);
    this.name = 'IstioConfigError';
  }
}
