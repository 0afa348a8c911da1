/**
 * Scenarios with a tcp:// target: the file is accepted (schema and semantic checks), a step's
 * path is refused, fortio's tcp outcome keys are expectation codes (quoted when they hold a
 * space), a udp:// target is refused by the local rehearsal in one line, and the step's load
 * runs fortio's tcp echo runner against a real TCP echo behind the rehearsal's tcp_proxy.
 */
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/shared/yamlConfig.js';
import { parseExpect } from '../../src/scenario/expectParse.js';
import { codeCount } from '../../src/scenario/expectEvaluate.js';
import { parseScenario } from '../../src/scenario/schema.js';
import { rehearsalConfig } from '../../src/scenario/rehearsalRig.js';
import { runScenario } from '../../src/scenario/run.js';

const TCP = `name: tcp
target: tcp://tcp-echo:9000
mesh:
  - apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: { name: tcp-echo }
    spec:
      host: tcp-echo
      trafficPolicy: { connectionPool: { tcp: { maxConnections: 1 } } }
steps:
  - name: c2
    load: { c: 2, qps: 40, t: 1s }
    expect:
      codes: { OK: [0.3, 0.7], "short read": [0.3, 0.7] }
      envoy: { upstream_cx_overflow: "== code 'short read' count" }
`;

describe('tcp:// scenarios', () => {
  it('accepts a tcp:// target and fortio tcp outcome keys; refuses a path, a bad destination and unknown keys', () => {
    expect(parseScenario(TCP, 'tcp.yaml').problems.map(formatProblem)).toEqual([]);
    const withPath = TCP.replace('load: { c: 2,', 'load: { path: /x, c: 2,');
    expect(parseScenario(withPath, 'tcp.yaml').problems.map(formatProblem)).toEqual(['tcp.yaml:12:13: steps[0].load.path: a tcp:// or udp:// target has no path']);
    expect(parseScenario(TCP.replace('tcp://tcp-echo:9000', 'tcp://tcp-echo'), 'tcp.yaml').problems.map(formatProblem)).toEqual(["tcp.yaml:2:9: target: destination 'tcp-echo' is not host:port format"]);
    const bad = parseExpect({ codes: { 'Short Read': 0 } }).issues.map((i) => i.message);
    expect(bad).toEqual(['unknown status code "Short Read": use -1 (transport error), 100..599, a class 2xx..5xx, a tcp/udp outcome (OK, short read, …) or a gRPC one (SERVING, ERROR, …)']);
  });

  it('counts a tcp outcome key as written, and an HTTP code numerically', () => {
    const codes = { OK: 3, 'short read': 2, '503': 1 };
    expect(codeCount(codes, 'OK')).toBe(3);
    expect(codeCount(codes, 'short read')).toBe(2);
    expect(codeCount(codes, '503')).toBe(1);
    expect(codeCount(codes, '5xx')).toBe(1);
  });

  it('the rehearsal makes the port TCP (tcp_proxy); a udp:// target is refused in one line', () => {
    const s = parseScenario(TCP, 'tcp.yaml').scenario!;
    const c = rehearsalConfig(s);
    expect(c.servicePortProtocol).toBe('tcp');
    expect(c.cluster.name).toBe('outbound|9000||tcp-echo.default.svc.cluster.local');
    expect(c.cluster.thresholds.maxConnections).toBe(1);
    const u = parseScenario(TCP.replace('tcp://', 'udp://'), 'udp.yaml').scenario!;
    expect(() => rehearsalConfig(u)).toThrow("udp.yaml: target: a udp:// target cannot be rehearsed locally (Istio's sidecar does not proxy UDP); run it in a cluster with --target");
  });

  it('runs the step with fortio tcp runner through the rehearsal: the refused thread and the overflow agree', async () => {
    const s = parseScenario(TCP, 'tcp.yaml').scenario!;
    const run = await runScenario(s, { log: { level: 'Critical' as never } });
    const step = run.result.steps[0]!;
    expect(step.status).toBe('completed');
    const codes = step.observed?.codes ?? {};
    expect((codes['OK'] ?? 0) + (codes['short read'] ?? 0)).toBe(step.observed?.calls);
    expect(codes['short read']).toBeGreaterThan(0);
    expect(step.results.map((r) => r.verdict)).toEqual(['PASS', 'PASS', 'PASS']);
    expect(run.loads['c2']?.pooled?.RunType).toBe('TCP');
  }, 120_000);

  it('an http:// target whose Service port is named tcp-*: the listener is a tcp_proxy, the endpoints stay httpbin, HTTP passes through', async () => {
    const HTTP_OVER_TCP = `name: http-over-tcp
target: http://httpbin:8000/get
mesh:
  - apiVersion: v1
    kind: Service
    metadata: { name: httpbin }
    spec:
      ports: [{ name: tcp-web, port: 8000 }]
  - apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: { name: httpbin }
    spec:
      host: httpbin
      trafficPolicy: { connectionPool: { tcp: { maxConnections: 1 } } }
steps:
  - name: c1
    load: { c: 1, qps: 0, n: 10 }
    expect:
      codes: { 200: 1 }
`;
    const s = parseScenario(HTTP_OVER_TCP, 'http-over-tcp.yaml').scenario!;
    expect(rehearsalConfig(s).servicePortProtocol).toBe('tcp');
    const run = await runScenario(s, { log: { level: 'Critical' as never } });
    const step = run.result.steps[0]!;
    expect(step.status).toBe('completed');
    expect(step.observed?.codes).toEqual({ '200': 10 });
    expect(step.results.map((r) => r.verdict)).toEqual(['PASS']);
  }, 120_000);
});
