/**
 * Istio resources as test input: builders for a DestinationRule and a VirtualService on httpbin,
 * the circuit-breaking task's settings (the seed experiment), the same as a scenario's `mesh:`
 * block, and the mesh of a shipped scenario.
 */
import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';

/** A DestinationRule with the given trafficPolicy YAML (indented under trafficPolicy). */
export function destinationRule(trafficPolicy: string, apiVersion = 'networking.istio.io/v1beta1'): string {
  const body = trafficPolicy
    .trim()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
  return `apiVersion: ${apiVersion}\nkind: DestinationRule\nmetadata:\n  name: httpbin\nspec:\n  host: httpbin\n  trafficPolicy:\n${body}\n`;
}

/** The TCP experiment's DestinationRule on tcp-echo: `tcp.maxConnections`, plus more `tcp` fields in `extra` (", connectTimeout: 2s"). */
export function tcpEchoDestinationRule(maxConnections: number, extra = ''): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: tcp-echo }
spec:
  host: tcp-echo
  trafficPolicy:
    connectionPool:
      tcp: { maxConnections: ${maxConnections}${extra} }
`;
}

/** A VirtualService with one http route (the YAML lines of the route, indented under `- `). */
export function virtualService(route: string): string {
  const lines = route.trim().split('\n');
  const body = lines.map((l, i) => (i === 0 ? `  - ${l}` : `    ${l}`)).join('\n');
  return `apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata:\n  name: httpbin\nspec:\n  hosts:\n  - httpbin\n  http:\n${body}\n    route:\n    - destination:\n        host: httpbin\n`;
}

/** Istio's circuit-breaking task: one connection, one pending request, one request per connection. */
export const TASK_CONNECTION_POOL = `connectionPool:
  tcp:
    maxConnections: 1
  http:
    http1MaxPendingRequests: 1
    maxRequestsPerConnection: 1`;

/** The task's connection pool alone: breaker behaviour without outlier detection. */
export const TASK_POOL_DR = destinationRule(TASK_CONNECTION_POOL);

/** The task's DestinationRule as published: v1alpha3, with the deprecated `consecutiveErrors`. */
export const TASK_DR = destinationRule(
  `${TASK_CONNECTION_POOL}
outlierDetection:
  consecutiveErrors: 1
  interval: 1s
  baseEjectionTime: 3m
  maxEjectionPercent: 100`,
  'networking.istio.io/v1alpha3',
);

/** A scenario `mesh:` list entry: a DestinationRule on httpbin with these trafficPolicy lines. */
export function meshDestinationRule(trafficPolicy: string): string {
  const body = trafficPolicy
    .trim()
    .split('\n')
    .map((l) => `        ${l}`)
    .join('\n');
  return `  - apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: { name: httpbin }
    spec:
      host: httpbin
      trafficPolicy:
${body}
`;
}

/** A scenario's `mesh:` block with the task's connection pool. */
export const TASK_MESH = `mesh:
${meshDestinationRule(`connectionPool:
  tcp: { maxConnections: 1 }
  http: { http1MaxPendingRequests: 1, maxRequestsPerConnection: 1 }`)}`;

/** The mesh of a shipped scenario (scenarios/<name>.yaml) as multi-document YAML, for `-f`. */
export function shippedMesh(name: string): string {
  const file = new URL(`../../scenarios/${name}.yaml`, import.meta.url);
  const doc = parse(readFileSync(file, 'utf8')) as { mesh: unknown[] };
  return doc.mesh.map((r) => stringify(r)).join('---\n');
}

/** Istio's egress tasks: a `Sidecar` resource setting the outbound traffic policy. */
export function sidecarResource(mode: string): string {
  return `apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: default
  namespace: istio-system
spec:
  outboundTrafficPolicy:
    mode: ${mode}
`;
}

/** The egress task's ServiceEntry for httpbin.org:80 (HTTP); `location` as given. */
export function httpbinOrgEntry(location = 'MESH_EXTERNAL'): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: httpbin-ext
spec:
  hosts:
  - httpbin.org
  ports:
  - number: 80
    name: http
    protocol: HTTP
  resolution: DNS
  location: ${location}
`;
}

/** The egress task's ServiceEntry for httpbin.org:80. */
export const HTTPBIN_SE = httpbinOrgEntry();

/** The timeout task's VirtualService: httpbin.org with a 3 s route timeout. */
export const HTTPBIN_TIMEOUT_VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin-ext
spec:
  hosts:
  - httpbin.org
  http:
  - timeout: 3s
    route:
    - destination:
        host: httpbin.org
      weight: 100
`;

/** The egress task's ServiceEntry for www.google.com:443 (HTTPS, routed by SNI). */
export const GOOGLE_SE = `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: google
spec:
  hosts:
  - www.google.com
  ports:
  - number: 443
    name: https
    protocol: HTTPS
  resolution: DNS
  location: MESH_EXTERNAL
`;
