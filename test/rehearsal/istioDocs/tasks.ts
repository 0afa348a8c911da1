/**
 * Istio's own documentation tests (istio.io content/en/docs/tasks/…/snips.sh + test.sh, and
 * tests/util/verify.sh), pinned in test/fixtures/istio-docs.json. Their code is not committed
 * here: `npm run fetch:istio-docs` (scripts/fetch-istio-docs.mjs, run by .ci/run) puts them under
 * test/fixtures/istio-docs/ from those commits. This file says, per task, which Istio release the
 * pinned page shows and the lines of test.sh the rehearsal cannot run, and why.
 */
import { readFileSync } from 'node:fs';

interface Pins {
  repo: string;
  files: Record<string, { path: string; commit: string }>;
}
const PINS = JSON.parse(readFileSync(new URL('../../fixtures/istio-docs.json', import.meta.url), 'utf8')) as Pins;
export const ISTIO_IO = PINS.repo;

function pinned(local: string): DocFile {
  const f = PINS.files[local];
  if (!f) throw new Error(`test/fixtures/istio-docs.json: no entry for ${local}`);
  return { local, ...f };
}

export interface DocFile {
  /** where it goes under test/fixtures/istio-docs/ */
  local: string;
  /** path in istio/istio.io */
  path: string;
  commit: string;
}

export interface LineChange {
  /** the exact line of test.sh */
  line: string;
  /** a _verify_* check (counted), or a cluster command around one */
  check: boolean;
  why: string;
  /** what runs instead (default: nothing, recorded as skipped) */
  instead?: string;
}

export interface DocTask {
  name: string;
  files: { snips: DocFile; test: DocFile };
  /** the Istio release whose output the pinned page shows */
  istioVersion: string;
  changes: readonly LineChange[];
  /** _verify_* calls in test.sh */
  checks: number;
}

export const VERIFY_SH: DocFile = pinned('util/verify.sh');

const API_SERVER = 'needs a Kubernetes API server';

export const CIRCUIT_BREAKING: DocTask = {
  name: 'circuit-breaking',
  files: {
    snips: pinned('circuit-breaking/snips.sh'),
    test: pinned('circuit-breaking/test.sh'),
  },
  // The pinned page prints 7 lines (remaining_pending: Istio ≥ 1.10) and `cluster.<name>.` (before
  // the `;` suffix of Istio 1.23): the newest release whose proxy prints what it shows is 1.22.
  istioVersion: '1.22',
  checks: 5,
  changes: [
    {
      line: '_verify_elided snip_configuring_the_circuit_breaker_2 "$snip_configuring_the_circuit_breaker_2_out"',
      check: true,
      why: `kubectl get destinationrule -o yaml prints the API server's stored object (v1beta1, keys sorted): ${API_SERVER}`,
    },
  ],
};

export const EGRESS_CONTROL: DocTask = {
  name: 'egress-control',
  files: {
    snips: pinned('egress-control/snips.sh'),
    test: pinned('egress-control/test.sh'),
  },
  istioVersion: '1.30',
  checks: 9,
  changes: [
    { line: '_verify_not_contains snip_envoy_passthrough_to_external_services_1 "REGISTRY_ONLY"', check: true, why: `reads the istio ConfigMap: ${API_SERVER}` },
    {
      line: '_verify_first_line snip_manage_traffic_to_external_services_3 "$snip_manage_traffic_to_external_services_3_out"',
      check: true,
      why: "renumbered: the pinned snips.sh inserted the Gateway API HTTPRoute variant as _3, so the task's curl is _4 (as in the task's gtwapi_test.sh)",
      instead: '_verify_first_line snip_manage_traffic_to_external_services_4 "$snip_manage_traffic_to_external_services_4_out"',
    },
    { line: "IP_RANGE=$(snip_minikube_docker_for_desktop_bare_metal_1 | sed -e 's/^[[:space:]]*--service-cluster-ip-range=//')", check: false, why: `kubectl describe pod kube-apiserver: ${API_SERVER}` },
    {
      line: 'istioctl install --set profile=demo \\',
      check: false,
      why: `values.global.proxy.includeIPRanges="$IP_RANGE": the cluster's service IP range (${API_SERVER}) and iptables interception by IP range (the rehearsal has no pod network)`,
    },
    { line: '                 --set meshConfig.outboundTrafficPolicy.mode=REGISTRY_ONLY --set values.global.proxy.includeIPRanges="$IP_RANGE" -y', check: false, why: 'continuation of that istioctl install' },
    { line: 'kubectl wait --for=delete "pod/$SOURCE_POD" --timeout=180s', check: false, why: `waits for a pod's deletion: ${API_SERVER}` },
    { line: 'kubectl get po', check: false, why: `lists pods: ${API_SERVER}` },
    { line: 'kubectl exec "$SOURCE_POD" -c sleep -- curl -v http://httpbin.org/headers', check: false, why: 'no check (test.sh: "curl returns 502"); it calls httpbin.org bypassing the sidecar (includeIPRanges, skipped above)' },
  ],
};

export const TASKS: readonly DocTask[] = [CIRCUIT_BREAKING, EGRESS_CONTROL];
