/**
 * A gRPC load run's result as fortio writes it: periodic.RunnerResults, then the exported
 * fields of fgrpc.GRPCRunnerResults in struct order (fgrpc/grpcrunner.go): RetCodes,
 * Destination, Streams, Ping, Metadata. RunType is "GRPC Ping…" or "GRPC Health for '…'".
 */
import type { FortioRunCommon } from './fortioResult.js';

export interface FortioGrpcResult extends FortioRunCommon {
  /** Health status name (SERVING, NOT_SERVING, …) or ERROR → count. */
  RetCodes: Record<string, number>;
  /** The destination as given. */
  Destination: string;
  /** -s */
  Streams: number;
  /** -ping */
  Ping: boolean;
  /** The -H headers as gRPC metadata (fortio's metadata.MD, with user-agent): key → values. */
  Metadata: Record<string, string[]>;
}

export function isGrpcResult(r: FortioRunCommon): r is FortioGrpcResult {
  return r.RunType.startsWith('GRPC ');
}
