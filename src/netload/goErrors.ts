/**
 * Node socket errors as Go's net package words them, because fortio's tcp/udp RetCodes keys are
 * Go's error strings (tcprunner.Run: `tcpstate.RetCodes[err.Error()]++`), e.g.
 * `dial tcp 127.0.0.1:1: connect: connection refused`.
 */
const SYSCALL_TEXT: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  EPIPE: 'broken pipe',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  EADDRNOTAVAIL: 'cannot assign requested address',
  EMSGSIZE: 'message too long',
};

export function goSyscallText(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && SYSCALL_TEXT[code] !== undefined) return SYSCALL_TEXT[code];
  return e instanceof Error ? e.message : String(e);
}

/** `[::1]:8078` or `127.0.0.1:8078`, as Go prints an address. */
export function goHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Go's `dial tcp 127.0.0.1:1: connect: connection refused`. */
export function dialError(proto: string, dest: string, e: unknown): string {
  return `dial ${proto} ${dest}: connect: ${goSyscallText(e)}`;
}
