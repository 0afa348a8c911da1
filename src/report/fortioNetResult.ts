/**
 * A tcp:// or udp:// load run's result as fortio writes it: periodic.RunnerResults, then the
 * runner's options and counters in struct order (tcprunner.RunnerResults in
 * tcprunner/tcprunner.go: TCPOptions{Destination, Payload, UnixDomainSocket, ReqTimeout},
 * RetCodes, SocketCount, BytesSent, BytesReceived; udprunner.RunnerResults is the same without
 * UnixDomainSocket). RunType is "TCP" or "UDP".
 */
import type { FortioRunCommon } from './fortioResult.js';

export interface FortioNetResult extends FortioRunCommon {
  /** The URL as given, `tcp://host:port`. */
  Destination: string;
  /** base64 of -payload (null when none, as the real fortio writes it: it then generates a 24-byte message per call). */
  Payload: string | null;
  /** TCP only (always "" here: tripbench has no unix socket mode). */
  UnixDomainSocket?: string;
  /** Read timeout, integer ns: -timeout for TCP, -udp-timeout for UDP. */
  ReqTimeout: number;
  /** "OK" or Go's error text → count. */
  RetCodes: Record<string, number>;
  SocketCount: number;
  BytesSent: number;
  BytesReceived: number;
}

export function isNetResult(r: FortioRunCommon): r is FortioNetResult {
  return r.RunType === 'TCP' || r.RunType === 'UDP';
}
