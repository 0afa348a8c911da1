/**
 * A loopback server that answers kubectl's API discovery, so `kubectl create --dry-run=client`
 * runs without a cluster. Client-side dry-run still maps every document's apiVersion/kind to a
 * resource through discovery (/api, /apis, then each group-version's resource list); this server
 * serves the standard legacy (non-aggregated) discovery documents for exactly the kinds
 * `tripbench k8s` emits and deploy/kubernetes/client.yaml uses, so a kind or apiVersion outside them is refused the way a real API
 * server refuses an unknown one ("no matches for kind").
 *
 * It serves no OpenAPI: no copy of Kubernetes' OpenAPI documents can be obtained here (none ships
 * in an npm package; CI reaches npm and Debian only), so kubectl runs with --validate=false and the schema
 * check is kubernetes-models' (generator.test.ts). Every path kubectl asks for is recorded, so a
 * kubectl that starts asking for something new shows up in the test's failure, not as a hang.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Resource {
  readonly name: string;
  readonly kind: string;
  readonly shortNames?: readonly string[];
}

/** Group-version → the resources the manifests use, as a real API server lists them. */
const RESOURCES: Record<string, readonly Resource[]> = {
  v1: [
    { name: 'configmaps', kind: 'ConfigMap', shortNames: ['cm'] },
    { name: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', shortNames: ['pvc'] },
    { name: 'serviceaccounts', kind: 'ServiceAccount', shortNames: ['sa'] },
  ],
  'apps/v1': [{ name: 'deployments', kind: 'Deployment', shortNames: ['deploy'] }],
  'batch/v1': [
    { name: 'cronjobs', kind: 'CronJob', shortNames: ['cj'] },
    { name: 'jobs', kind: 'Job' },
  ],
};

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function resourceList(groupVersion: string): unknown {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion,
    resources: (RESOURCES[groupVersion] ?? []).map((r) => ({ name: r.name, singularName: r.kind.toLowerCase(), namespaced: true, kind: r.kind, verbs: VERBS, ...(r.shortNames ? { shortNames: r.shortNames } : {}) })),
  };
}

function groupList(): unknown {
  const groups = Object.keys(RESOURCES).filter((gv) => gv.includes('/'));
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: groups.map((gv) => {
      const [name, version] = gv.split('/') as [string, string];
      const v = { groupVersion: gv, version };
      return { name, versions: [v], preferredVersion: v };
    }),
  };
}

/** path (no query) → JSON body; everything else is a 404 Status, as an API server answers. */
function route(path: string): unknown {
  if (path === '/version') return { major: '1', minor: '32', gitVersion: 'v1.32.0', platform: 'linux/amd64' };
  if (path === '/api') return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }] };
  if (path === '/apis') return groupList();
  if (path === '/api/v1') return resourceList('v1');
  const gv = /^\/apis\/([^/]+\/[^/]+)$/.exec(path)?.[1];
  if (gv && RESOURCES[gv]) return resourceList(gv);
  return undefined;
}

export interface KubeDiscovery {
  readonly url: string;
  /** Every request path (with query) in arrival order. */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

export async function startKubeDiscovery(): Promise<KubeDiscovery> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push(`${req.method ?? 'GET'} ${url}`);
    const body = req.method === 'GET' ? route(url.split('?')[0] ?? '') : undefined;
    // Plain application/json answers kubectl's aggregated-discovery Accept header with the
    // legacy documents, which every kubectl since 1.0 reads.
    res.setHeader('content-type', 'application/json');
    if (body === undefined) {
      res.statusCode = 404;
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message: 'the server could not find the requested resource', reason: 'NotFound', code: 404 }));
      return;
    }
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
