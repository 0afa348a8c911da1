/** Per-thread tcp/udp counters (fortio's RunnerResults of tcprunner/udprunner) and their merge. */
export interface NetThreadStats {
  /** Error text (Go's) or "OK" → count, timed calls only. */
  retCodes: Record<string, number>;
  /** Sockets opened, warmup included (fortio counts in the client). */
  socketCount: number;
  /** Bytes written and read, warmup included (fortio counts in the client). */
  bytesSent: number;
  bytesReceived: number;
}

export function newNetThreadStats(): NetThreadStats {
  return { retCodes: {}, socketCount: 0, bytesSent: 0, bytesReceived: 0 };
}

export function mergeNetStats(all: readonly NetThreadStats[]): NetThreadStats {
  const out = newNetThreadStats();
  for (const s of all) {
    out.socketCount += s.socketCount;
    out.bytesSent += s.bytesSent;
    out.bytesReceived += s.bytesReceived;
    for (const [k, n] of Object.entries(s.retCodes)) out.retCodes[k] = (out.retCodes[k] ?? 0) + n;
  }
  return out;
}
