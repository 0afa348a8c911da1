/**
 * The Istio resources the emulator reads — DestinationRule and VirtualService as plain data —
 * and their loading: YAML, schema validation, one DestinationRule and one VirtualService at
 * most, every problem as `file:line:col: field: message`.
 */
import { ProblemsError, loadYamlDocuments, validate } from '../shared/yamlConfig.js';
import type { Problem, YamlDocument } from '../shared/yamlConfig.js';
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
        const p = validate(doc, destinationRuleSchema);
        problems.push(...p);
        if (p.length === 0) resources.destinationRule = doc.value as DestinationRule;
      } else if (v.kind === 'VirtualService') {
        if (vsDoc) {
          problems.push(doc.problem(['kind'], `a second VirtualService (the first is in ${vsDoc.file}); the emulator models one route table`));
          continue;
        }
        vsDoc = doc;
        const p = validate(doc, virtualServiceSchema);
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
