/**
 * The "current version" computed example of fortio-compat.md §3.4 (text) and §5.4 (JSON):
 * `fortio load -c 2 -qps 0 -n 6 -loglevel Warning http://localhost:8080/`, built from the six
 * latencies the reference gives, through src/stats (record, export) – not from the expected output.
 */
import type { FortioResult } from '../../src/report/fortioResult.js';
import { exportHistogram, newFortioHistogram, recordValue, type HistogramData } from '../../src/stats/fortioHistogram.js';
import { DEFAULT_PERCENTILES } from '../../src/report/fortioText.js';

export const LATENCIES = [0.000412301, 0.000523118, 0.000987654, 0.001204567, 0.00183211, 0.004315009];
export const ERROR_LATENCY = 0.000987654;

function hist(values: readonly number[], offset: number, divider: number, percentiles?: readonly number[]): HistogramData {
  const h = newFortioHistogram(offset, divider);
  for (const v of values) recordValue(h, v);
  return exportHistogram(h, percentiles);
}

export function currentExampleResult(): FortioResult {
  const P = DEFAULT_PERCENTILES;
  return {
    RunType: 'HTTP',
    Labels: 'localhost:8080/ , myhost',
    StartTime: '2025-01-15T10:20:30.123456789-08:00',
    RequestedQPS: 'max',
    RequestedDuration: 'exactly 6 calls',
    ActualQPS: 6 / (5123456 / 1e9),
    ActualDuration: 5123456,
    NumThreads: 2,
    Version: '1.75.2',
    DurationHistogram: hist(LATENCIES, 0, 0.001, P),
    ErrorsDurationHistogram: hist([ERROR_LATENCY], 0, 0.001, P),
    Exactly: 6,
    Jitter: false,
    Uniform: false,
    NoCatchUp: false,
    RunID: 0,
    AccessLoggerInfo: '',
    ID: '2025-01-15-102030_localhost_8080_myhost',
    RetCodes: { '503': 1, '200': 5 }, // deliberately unsorted: the encoder must sort
    IPCountMap: { '127.0.0.1:8080': 3 },
    Insecure: false,
    MTLS: false,
    CACert: '',
    Cert: '',
    Key: '',
    UnixDomainSocket: '',
    URL: 'http://localhost:8080/',
    NumConnections: 1,
    Compression: false,
    DisableFastClient: false,
    HTTP10: false,
    H2: false,
    DisableKeepAlive: false,
    AllowHalfClose: false,
    FollowRedirects: false,
    Resolve: '',
    HTTPReqTimeOut: 3_000_000_000,
    UserCredentials: '',
    ContentType: '',
    Payload: '',
    MethodOverride: '',
    LogErrors: true,
    SequentialWarmup: false,
    ConnReuseRange: [0, 0],
    NoResolveEachConn: false,
    Offset: 0,
    Resolution: 0.001,
    // The 503 response: header size 0, 132 bytes read (§3.4 note); sizes divider 100, headers 5.
    Sizes: hist([132, 250, 250, 250, 250, 250], 0, 100),
    HeaderSizes: hist([0, 230, 230, 230, 230, 230], 0, 5),
    Sockets: [2, 1],
    SocketCount: 3,
    // The reference computed this one from a single histogram fed in time order; fortio merges
    // per thread ((t0 + t0) + t1), which changes StdDev's last digits (§4.2, float sums).
    ConnectionStats: hist([0.000176458, 0.000188002, 0.000201117], 0, 0.001, P),
    AbortOn: 0,
  };
}

/** The same run with the per-connection details the text report's socket block needs. */
export function currentExampleWithConnections(): FortioResult {
  const r = currentExampleResult();
  r.Tripbench = {
    Version: '0.1.0',
    WarmupCalls: 0,
    ThreadsFlag: 2,
    Interrupted: false,
    ErrorKinds: {},
    ThreadCalls: [3, 3],
    ThreadDurations: [5_000_000, 5_100_000],
    Workers: [{ Index: 0, Threads: [0, 1], Calls: 6 }],
    Connections: [
      { Thread: 0, Sockets: 2, Addresses: { '127.0.0.1:8080': 2 }, Timing: hist([0.000176458, 0.000201117], 0, 0.001) },
      { Thread: 1, Sockets: 1, Addresses: { '127.0.0.1:8080': 1 }, Timing: hist([0.000188002], 0, 0.001) },
    ],
  };
  return r;
}

/** §3.4 current example, the report lines only (the two `<…>` log placeholders dropped). */
export const CURRENT_EXAMPLE_TEXT = `Fortio 1.75.2 running at 0 queries per second, 8->8 procs, for 6 calls: http://localhost:8080/
Starting at max qps with 2 thread(s) [gomax 8] for exactly 6 calls (3 per thread + 0)
Ended after 5.123456ms : 6 calls. qps=1171.1
Aggregated Function Time : count 6 avg 0.0015457932 +/- 0.001323 min 0.000412301 max 0.004315009 sum 0.009274759
# range, mid point, percentile, count
>= 0.000412301 <= 0.001 , 0.00070615 , 50.00, 3
> 0.001 <= 0.002 , 0.0015 , 83.33, 2
> 0.004 <= 0.00431501 , 0.0041575 , 100.00, 1
# target 50% 0.001
# target 75% 0.00175
# target 90% 0.004126
# target 99% 0.00429611
# target 99.9% 0.00431312
Error cases : count 1 avg 0.000987654 +/- 0 min 0.000987654 max 0.000987654 sum 0.000987654
# range, mid point, percentile, count
>= 0.000987654 <= 0.000987654 , 0.000987654 , 100.00, 1
# target 50% 0.000987654
# target 75% 0.000987654
# target 90% 0.000987654
# target 99% 0.000987654
# target 99.9% 0.000987654
# Socket and IP used for each connection:
[0]   2 socket used, resolved to 127.0.0.1:8080, connection timing : count 2 avg 0.0001887875 +/- 1.233e-05 min 0.000176458 max 0.000201117 sum 0.000377575
[1]   1 socket used, resolved to 127.0.0.1:8080, connection timing : count 1 avg 0.000188002 +/- 0 min 0.000188002 max 0.000188002 sum 0.000188002
Connection time (s) : count 3 avg 0.00018852567 +/- 1.007e-05 min 0.000176458 max 0.000201117 sum 0.000565577
Sockets used: 3 (for perfect keepalive, would be 2)
Uniform: false, Jitter: false, Catchup allowed: true
IP addresses distribution:
127.0.0.1:8080: 3
Code 200 : 5 (83.3 %)
Code 503 : 1 (16.7 %)
Response Header Sizes : count 6 avg 191.66667 +/- 85.72 min 0 max 230 sum 1150
Response Body/Total Sizes : count 6 avg 230.33333 +/- 43.98 min 132 max 250 sum 1382
All done 6 calls (plus 0 warmup) 1.546 ms avg, 1171.1 qps
`;
