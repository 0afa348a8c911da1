/**
 * What a tcp:// or udp:// load thread needs, as plain data (structured-clone safe: it travels to
 * the engine's workers). fortio's TCPOptions / UDPOptions (tcprunner/tcprunner.go,
 * udprunner/udprunner.go).
 */
export type NetProto = 'tcp' | 'udp';

export interface NetLoadOptions {
  proto: NetProto;
  /** The URL as typed, e.g. `tcp://127.0.0.1:8078` (fortio's Destination, echoed in the JSON). */
  destination: string;
  host: string;
  port: number;
  /** -payload / -payload-size / -payload-file bytes; null = fortio's generated 24-byte payload. */
  payload: Uint8Array | null;
  /** Read deadline per message: -timeout for tcp, -udp-timeout for udp. */
  timeoutMs: number;
}

/** udprunner.UDPTimeOutDefaultValue (udprunner/udprunner.go). */
export const UDP_TIMEOUT_DEFAULT_MS = 750;

/**
 * `tcp://host:port` → host and port, as fnet.ResolveDestinationInternal (fnet/network.go) splits
 * it: the prefix and one trailing `/` removed, split at the last `:` (so `[::1]:8078` works).
 * Throws fortio's message when there is no port.
 */
export function parseNetDestination(url: string): { proto: NetProto; host: string; port: number } {
  const m = /^(tcp|udp):\/\//i.exec(url);
  if (!m) throw new Error(`expecting tcp:// or udp:// destination, got '${url}'`);
  const proto = (m[1] as string).toLowerCase() as NetProto;
  let dest = url.slice(m[0].length);
  if (dest.endsWith('/')) dest = dest.slice(0, -1);
  const i = dest.lastIndexOf(':');
  if (i < 0) throw new Error(`destination '${dest}' is not host:port format`);
  const host = dest.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  const portText = dest.slice(i + 1);
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65535)) throw new Error(`unknown port "${portText}" in destination '${dest}'`);
  return { proto, host: host === '' ? 'localhost' : host, port };
}
