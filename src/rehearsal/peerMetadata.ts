/**
 * Istio's metadata exchange on the outbound HTTP path (the `istio.metadata_exchange` HTTP filter,
 * `upstream_propagation: istio_headers`, pilot/pkg/xds/filters/filters.go
 * SidecarOutboundMetadataFilter): the sidecar adds `x-envoy-peer-metadata`, its node metadata as
 * a base64 `google.protobuf.Struct`, and `x-envoy-peer-metadata-id`, its node id. The egress task
 * page shows both after `X-Envoy-Decorator-Operation`. The emulated client is one pod,
 * `rehearsal` in namespace `default` on 127.0.0.1; the values are what a real proxy's look like,
 * not anything the upstream should act on.
 */

function varint(n: number): number[] {
  const out: number[] = [];
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

function lengthDelimited(field: number, bytes: readonly number[]): number[] {
  return [(field << 3) | 2, ...varint(bytes.length), ...bytes];
}

const utf8 = (s: string): number[] => [...Buffer.from(s, 'utf8')];

type StructValue = string | { [key: string]: StructValue };

/** google.protobuf.Struct { map<string, Value> fields = 1 }; Value: string_value = 3, struct_value = 5. Keys sorted, as Envoy serialises them. */
function encodeStruct(fields: { [key: string]: StructValue }): number[] {
  const out: number[] = [];
  for (const key of Object.keys(fields).sort()) {
    const v = fields[key] as StructValue;
    const value = typeof v === 'string' ? lengthDelimited(3, utf8(v)) : lengthDelimited(5, encodeStruct(v));
    out.push(...lengthDelimited(1, [...lengthDelimited(1, utf8(key)), ...lengthDelimited(2, value)]));
  }
  return out;
}

export const REHEARSAL_POD = { name: 'rehearsal', namespace: 'default', ip: '127.0.0.1', app: 'rehearsal' } as const;

export interface PeerMetadataHeaders {
  metadata: string;
  id: string;
}

export function peerMetadataHeaders(istioVersion: string): PeerMetadataHeaders {
  const p = REHEARSAL_POD;
  const metadata = encodeStruct({
    APP_CONTAINERS: p.app,
    CLUSTER_ID: 'Kubernetes',
    INSTANCE_IPS: p.ip,
    ISTIO_VERSION: `${istioVersion}.0`,
    LABELS: { app: p.app, 'service.istio.io/canonical-name': p.app, 'service.istio.io/canonical-revision': 'latest' },
    MESH_ID: 'cluster.local',
    NAME: p.name,
    NAMESPACE: p.namespace,
    WORKLOAD_NAME: p.app,
  });
  return {
    metadata: Buffer.from(metadata).toString('base64'),
    id: `sidecar~${p.ip}~${p.name}.${p.namespace}~${p.namespace}.svc.cluster.local`,
  };
}
