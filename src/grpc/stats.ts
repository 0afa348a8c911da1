/** Per-thread gRPC counters (fortio's GRPCRunnerResults.RetCodes) and their merge. */
export interface GrpcThreadStats {
  /** Health status name (SERVING, NOT_SERVING, …) or ERROR → count, timed calls only. */
  retCodes: Record<string, number>;
}

export function newGrpcThreadStats(): GrpcThreadStats {
  return { retCodes: {} };
}

/** RunGRPCTest's sum over threads; keys in Go's sort order (fortio's own order is map order, i.e. random). */
export function mergeGrpcStats(all: readonly GrpcThreadStats[]): GrpcThreadStats {
  const sum: Record<string, number> = {};
  for (const s of all) for (const [k, n] of Object.entries(s.retCodes)) sum[k] = (sum[k] ?? 0) + n;
  const retCodes: Record<string, number> = {};
  for (const k of Object.keys(sum).sort()) retCodes[k] = sum[k] as number;
  return { retCodes };
}
