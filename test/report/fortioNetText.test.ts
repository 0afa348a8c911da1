/**
 * The tcp/udp report and JSON as pure functions of a FortioNetResult: fortio's RunTCPTest lines
 * (tcprunner/tcprunner.go) and tcprunner.RunnerResults' field order.
 */
import { describe, expect, it } from 'vitest';
import { formatNetReport } from '../../src/report/fortioText.js';
import { encodeFortioNetJson } from '../../src/report/fortioJson.js';
import type { FortioNetResult } from '../../src/report/fortioNetResult.js';
import { Level } from '../../src/shared/log.js';

const EMPTY = { Count: 0, Min: 0, Max: 0, Sum: 0, Avg: 0, StdDev: 0, Data: null };

function result(runType: 'TCP' | 'UDP', retCodes: Record<string, number>): FortioNetResult {
  const count = Object.values(retCodes).reduce((a, b) => a + b, 0);
  return {
    RunType: runType,
    Labels: 'tcp://127.0.0.1:8078 , h',
    StartTime: '2026-12-07T07:00:00Z',
    RequestedQPS: 'max',
    RequestedDuration: `exactly ${count} calls`,
    ActualQPS: 1000,
    ActualDuration: count * 1e6,
    NumThreads: 2,
    Version: 'tripbench-0.1.0',
    DurationHistogram: { Count: count, Min: 0.001, Max: 0.001, Sum: count * 0.001, Avg: 0.001, StdDev: 0, Data: [{ Start: 0.001, End: 0.001, Percent: 100, Count: count }] },
    ErrorsDurationHistogram: EMPTY,
    Exactly: count,
    Jitter: false,
    Uniform: false,
    NoCatchUp: false,
    RunID: 0,
    AccessLoggerInfo: '',
    ID: '2026-12-07-070000_tcp_127_0_0_1_8078_h',
    Destination: 'tcp://127.0.0.1:8078',
    Payload: '',
    ...(runType === 'TCP' ? { UnixDomainSocket: '' } : {}),
    ReqTimeout: 3e9,
    RetCodes: retCodes,
    SocketCount: 3,
    BytesSent: 72,
    BytesReceived: 48,
  };
}

describe('formatNetReport', () => {
  it("prints fortio's sockets, bytes and per-key lines, keys in Go's byte order, at every level", () => {
    const r = result('TCP', { 'short read': 1, OK: 2, 'dial tcp 127.0.0.1:1: connect: connection refused': 1 });
    for (const level of [Level.Info, Level.Error]) {
      const lines = formatNetReport(r, { level }).split('\n');
      const i = lines.indexOf('Sockets used: 3 (for perfect no error run, would be 2)');
      expect(i).toBeGreaterThan(0);
      expect(lines.slice(i, i + 6)).toEqual([
        'Sockets used: 3 (for perfect no error run, would be 2)',
        'Total Bytes sent: 72, received: 48',
        'tcp OK : 2 (50.0 %)',
        'tcp dial tcp 127.0.0.1:1: connect: connection refused : 1 (25.0 %)',
        'tcp short read : 1 (25.0 %)',
        'All done 4 calls (plus 0 warmup) 1.000 ms avg, 1000.0 qps',
      ]);
    }
  });

  it('names the protocol from RunType', () => {
    expect(formatNetReport(result('UDP', { timeout: 3 }), { level: Level.Info })).toContain('udp timeout : 3 (100.0 %)\n');
  });
});

describe('encodeFortioNetJson', () => {
  it("writes tcprunner.RunnerResults' fields in struct order; UDP has no UnixDomainSocket", () => {
    const tcp = JSON.parse(encodeFortioNetJson(result('TCP', { OK: 1 }))) as Record<string, unknown>;
    expect(Object.keys(tcp).slice(-9)).toEqual(['ID', 'Destination', 'Payload', 'UnixDomainSocket', 'ReqTimeout', 'RetCodes', 'SocketCount', 'BytesSent', 'BytesReceived']);
    const udp = JSON.parse(encodeFortioNetJson(result('UDP', { OK: 1 }))) as Record<string, unknown>;
    expect(Object.keys(udp)).not.toContain('UnixDomainSocket');
    expect(udp['RunType']).toBe('UDP');
  });
});
