/**
 * JSON Schemas for the Istio resources the sidecar emulator reads (networking.istio.io
 * v1alpha3 / v1beta1 / v1 share these fields). Every Istio API field is listed so that a
 * typo is an "unknown field" while a real-but-unmodelled field is accepted (the loader
 * warns about those). Limits are non-negative because Istio's validation rejects negatives.
 */
import type { JsonSchema } from '../shared/yamlConfig.js';

const INT32_MAX = 2147483647;
const UINT32_MAX = 4294967295;

function obj(properties: Record<string, JsonSchema>, required: string[] = []): JsonSchema {
  return { type: 'object', properties, additionalProperties: false, ...(required.length > 0 ? { required } : {}) };
}
const str: JsonSchema = { type: 'string' };
const bool: JsonSchema = { type: 'boolean' };
const dur: JsonSchema = { type: 'string', format: 'go-duration' };
const int32: JsonSchema = { type: 'integer', minimum: 0, maximum: INT32_MAX };
const uint32: JsonSchema = { type: 'integer', minimum: 0, maximum: UINT32_MAX };
const percentInt: JsonSchema = { type: 'integer', minimum: 0, maximum: 100 };
const strList: JsonSchema = { type: 'array', items: str };
const strMap: JsonSchema = { type: 'object', additionalProperties: str };
/** Parts of the API the emulator never reads and does not check deeply. */
const opaque: JsonSchema = { type: 'object' };
const opaqueList: JsonSchema = { type: 'array' };

const stringMatch: JsonSchema = { ...obj({ exact: str, prefix: str, regex: str }), minProperties: 1, maxProperties: 1 };
const portSelector = obj({ number: { type: 'integer', minimum: 1, maximum: 65535 } });

const metadata: JsonSchema = {
  type: 'object',
  properties: { name: str, namespace: str, labels: strMap, annotations: strMap },
};

const loadBalancer = obj({
  simple: { enum: ['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'] },
  consistentHash: opaque,
  localityLbSetting: opaque,
  warmupDurationSecs: dur,
  warmup: opaque,
});

const connectionPool = obj({
  tcp: obj({
    maxConnections: int32,
    connectTimeout: dur,
    tcpKeepalive: obj({ probes: uint32, time: dur, interval: dur }),
    maxConnectionDuration: dur,
    idleTimeout: dur,
  }),
  http: obj({
    http1MaxPendingRequests: int32,
    http2MaxRequests: int32,
    maxRequestsPerConnection: int32,
    maxRetries: int32,
    idleTimeout: dur,
    h2UpgradePolicy: { enum: ['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'] },
    useClientProtocol: bool,
    maxConcurrentStreams: int32,
    http2KeepAlive: opaque,
  }),
});

const outlierDetection = obj({
  consecutiveErrors: int32,
  consecutive5xxErrors: uint32,
  consecutiveGatewayErrors: uint32,
  consecutiveLocalOriginFailures: uint32,
  splitExternalLocalOriginErrors: bool,
  interval: dur,
  baseEjectionTime: dur,
  maxEjectionPercent: percentInt,
  minHealthPercent: percentInt,
  outlierDetectionHttpErrorCodes: { type: 'array', items: uint32 },
});

const tls = obj({
  mode: { enum: ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'] },
  clientCertificate: str,
  privateKey: str,
  caCertificates: str,
  caCrl: str,
  credentialName: str,
  subjectAltNames: strList,
  sni: str,
  insecureSkipVerify: bool,
});

const portTrafficPolicy = obj({ port: portSelector, loadBalancer, connectionPool, outlierDetection, tls });

const trafficPolicy = obj({
  loadBalancer,
  connectionPool,
  outlierDetection,
  tls,
  portLevelSettings: { type: 'array', items: portTrafficPolicy },
  tunnel: opaque,
  proxyProtocol: opaque,
  retryBudget: opaque,
});

export const API_VERSIONS = ['networking.istio.io/v1alpha3', 'networking.istio.io/v1beta1', 'networking.istio.io/v1'] as const;

function resource(kind: string, spec: JsonSchema): JsonSchema {
  return obj(
    {
      apiVersion: { enum: [...API_VERSIONS] },
      kind: { const: kind },
      metadata,
      spec,
      status: opaque,
    },
    ['apiVersion', 'kind', 'spec'],
  );
}

export const destinationRuleSchema: JsonSchema = resource(
  'DestinationRule',
  obj(
    {
      host: { type: 'string', minLength: 1 },
      trafficPolicy,
      subsets: { type: 'array', items: obj({ name: str, labels: strMap, trafficPolicy }, ['name']) },
      exportTo: strList,
      workloadSelector: opaque,
    },
    ['host'],
  ),
);

const percent = obj({ value: { type: 'number', minimum: 0, maximum: 100 } });

const httpFault = obj({
  delay: obj({ fixedDelay: dur, exponentialDelay: dur, percentage: percent, percent: percentInt }),
  abort: obj({
    httpStatus: { type: 'integer', minimum: 200, maximum: 599 },
    grpcStatus: str,
    http2Error: str,
    percentage: percent,
    percent: percentInt,
  }),
});

const httpMatch = obj({
  name: str,
  uri: stringMatch,
  scheme: stringMatch,
  method: stringMatch,
  authority: stringMatch,
  headers: { type: 'object', additionalProperties: stringMatch },
  port: { type: 'integer', minimum: 0, maximum: 65535 },
  sourceLabels: strMap,
  gateways: strList,
  queryParams: { type: 'object', additionalProperties: stringMatch },
  ignoreUriCase: bool,
  withoutHeaders: { type: 'object', additionalProperties: stringMatch },
  sourceNamespace: str,
  statPrefix: str,
});

const destination = obj({ host: { type: 'string', minLength: 1 }, subset: str, port: portSelector }, ['host']);

const httpRoute = obj({
  name: str,
  match: { type: 'array', items: httpMatch },
  route: { type: 'array', items: obj({ destination, weight: int32, headers: opaque }, ['destination']) },
  redirect: opaque,
  directResponse: opaque,
  delegate: opaque,
  rewrite: opaque,
  timeout: dur,
  retries: obj({
    attempts: int32,
    perTryTimeout: dur,
    retryOn: str,
    retryRemoteLocalities: bool,
    retryIgnorePreviousHosts: bool,
    backoff: dur,
  }),
  fault: httpFault,
  mirror: opaque,
  mirrors: opaqueList,
  mirrorPercent: percentInt,
  mirrorPercentage: percent,
  mirror_percent: percentInt,
  corsPolicy: opaque,
  headers: opaque,
});

export const virtualServiceSchema: JsonSchema = resource(
  'VirtualService',
  obj({
    hosts: strList,
    gateways: strList,
    http: { type: 'array', items: httpRoute },
    tls: opaqueList,
    tcp: opaqueList,
    exportTo: strList,
  }),
);

/**
 * A ServiceEntry declares the external host the local target stands in for: its first host
 * names the cluster when there is no DestinationRule. The rest is accepted as Istio has it.
 */
export const serviceEntrySchema: JsonSchema = resource(
  'ServiceEntry',
  obj({
    hosts: strList,
    addresses: strList,
    ports: {
      type: 'array',
      items: obj({ number: { type: 'integer', minimum: 0, maximum: 65535 }, protocol: str, name: str, targetPort: { type: 'integer', minimum: 0, maximum: 65535 } }),
    },
    location: { enum: ['MESH_EXTERNAL', 'MESH_INTERNAL'] },
    resolution: { enum: ['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN'] },
    endpoints: opaqueList,
    workloadSelector: opaque,
    exportTo: strList,
    subjectAltNames: strList,
  }),
);

/**
 * An Istio `Sidecar` (networking.istio.io): the emulator reads `outboundTrafficPolicy.mode`; its
 * egress/ingress listeners and workload selector are accepted as Istio has them.
 */
export const sidecarSchema: JsonSchema = resource(
  'Sidecar',
  obj({
    workloadSelector: opaque,
    ingress: opaqueList,
    egress: opaqueList,
    inboundConnectionPool: opaque,
    outboundTrafficPolicy: obj({ mode: { enum: ['REGISTRY_ONLY', 'ALLOW_ANY'] }, egressProxy: opaque }),
  }),
);

/** Only the header fields, so the kind/apiVersion problem is reported before the spec is looked at. */
export const resourceHeaderSchema: JsonSchema = {
  type: 'object',
  properties: { apiVersion: str, kind: str },
  required: ['apiVersion', 'kind'],
};

/**
 * A Kubernetes `v1 Service`: its ports' `name` and `appProtocol` are how Istio selects a port's
 * protocol (explicit protocol selection); the rest is accepted as Kubernetes has it.
 */
export const kubeServiceSchema: JsonSchema = obj(
  {
    apiVersion: { const: 'v1' },
    kind: { const: 'Service' },
    metadata,
    spec: obj({
      ports: {
        type: 'array',
        items: obj(
          {
            name: str,
            port: { type: 'integer', minimum: 1, maximum: 65535 },
            targetPort: { anyOf: [{ type: 'integer', minimum: 1, maximum: 65535 }, str] },
            protocol: { enum: ['TCP', 'UDP', 'SCTP'] },
            appProtocol: str,
            nodePort: { type: 'integer' },
          },
          ['port'],
        ),
      },
      selector: opaque,
      type: str,
      clusterIP: str,
      clusterIPs: strList,
      ipFamilies: opaqueList,
      ipFamilyPolicy: str,
      sessionAffinity: str,
    }),
    status: opaque,
  },
  ['apiVersion', 'kind', 'spec'],
);
