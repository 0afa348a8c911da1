/**
 * Scenario steps with a gRPC load (`grpc: true` in the load block): the knobs and fortio's gRPC
 * RetCodes keys (SERVING, ERROR) are accepted, `--dry-run`'s command line is `tripbench load
 * -grpc …`, and the step runs fortio's gRPC runner through the rehearsal's HTTP/2 cluster, where
 * every ERROR is one requests-breaker overflow. A step of several batches pools them into one
 * gRPC result.
 */
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../src/shared/yamlConfig.js';
import { parseExpect } from '../../src/scenario/expectParse.js';
import { codeCount } from '../../src/scenario/expectEvaluate.js';
import { parseScenario } from '../../src/scenario/schema.js';
import { loadCommand } from '../../src/scenario/plan.js';
import { runScenario } from '../../src/scenario/run.js';

const GRPC = `name: grpc
target: http://fortio:8079/
mesh:
  - apiVersion: v1
    kind: Service
    metadata: { name: fortio }
    spec:
      ports:
        - { name: grpc, port: 8079, targetPort: 8079 }
  - apiVersion: networking.istio.io/v1
    kind: DestinationRule
    metadata: { name: fortio }
    spec:
      host: fortio
      trafficPolicy: { connectionPool: { http: { http2MaxRequests: 1 } } }
steps:
  - name: s2
    repeat: 2
    load: { grpc: true, ping: true, streams: 2, c: 1, qps: 0, n: 30, grpcPingDelay: 1ms }
    expect:
      codes: { SERVING: [0, 1], ERROR: [0, 1] }
      envoy: { upstream_rq_active_overflow: "== code ERROR count" }
`;

describe('gRPC scenario steps', () => {
  it('accepts the gRPC knobs and RetCodes keys; refuses an unknown status name', () => {
    expect(parseScenario(GRPC, 'grpc.yaml').problems.map(formatProblem)).toEqual([]);
    expect(parseExpect({ codes: { SERVING: 1, NOT_SERVING: 0, ERROR: 0 } }).issues).toEqual([]);
    expect(parseExpect({ codes: { serving: 1 } }).issues.map((i) => i.message)).toEqual([
      'unknown status code "serving": use -1 (transport error), 100..599, a class 2xx..5xx, a tcp/udp outcome (OK, short read, …) or a gRPC one (SERVING, ERROR, …)',
    ]);
    expect(codeCount({ SERVING: 3, ERROR: 2 }, 'ERROR')).toBe(2);
  });

  it('--dry-run prints the step as `tripbench load -grpc -ping -s 2 …`', () => {
    const s = parseScenario(GRPC, 'grpc.yaml').scenario!;
    expect(loadCommand(s.steps[0]!.load, s.target)).toBe('tripbench load -c 1 -qps 0 -n 30 -grpc -ping -s 2 -grpc-ping-delay 1ms http://fortio:8079/');
  });

  it('runs fortio\'s gRPC runner through the rehearsal: ERROR calls and overflows agree, batches pool into one gRPC result', async () => {
    const s = parseScenario(GRPC, 'grpc.yaml').scenario!;
    const run = await runScenario(s, { log: { level: 'Critical' as never } });
    const step = run.result.steps[0]!;
    expect(step.status).toBe('completed');
    expect(step.error).toBeUndefined();
    const codes = step.observed?.codes ?? {};
    expect((codes['SERVING'] ?? 0) + (codes['ERROR'] ?? 0)).toBe(60);
    expect(codes['ERROR']).toBeGreaterThan(0);
    expect(step.results.map((r) => r.verdict)).toEqual(['PASS', 'PASS', 'PASS']);
    const pooled = run.loads['s2']?.pooled;
    expect(pooled?.RunType).toBe('GRPC Ping Delay=1ms');
    expect(pooled?.RetCodes).toEqual(codes);
  }, 120_000);
});
