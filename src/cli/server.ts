/**
 * `tripbench server`: the httpbin / fortio-echo compatible target, until SIGINT/SIGTERM.
 */
import { createSecureContext } from 'node:tls';
import { StartError, UsageError, errorMessage } from '../shared/errors.js';
import { makeRehearsalCerts, startTarget, DEFAULT_MAX_DELAY_MS, DEFAULT_MAX_SIZE } from '../rehearsal/index.js';
import { writeFileAtomic } from '../shared/atomicWrite.js';
import type { TargetHandle, TargetTls } from '../rehearsal/index.js';
import { ExitCode } from '../shared/exitCodes.js';
import { flagBool, flagNumber, flagString, formatUsage, parseFlags } from './flags.js';
import type { FlagSpecs } from './flags.js';
import { checkLoopback, parseListen } from '../rehearsal/bind.js';
import { startTcpEchoServer, type EchoServerHandle } from '../netload/tcpEchoServer.js';
import { startUdpEchoServer } from '../netload/udpEchoServer.js';
import { goHostPort } from '../netload/goErrors.js';

/** fortio's value that turns an echo server off (cli/fortio_main.go `disabled`). */
const DISABLED = 'disabled';
import { startPingServer } from '../grpc/pingServer.js';
import { readTlsFile } from '../load/tlsFiles.js';
import type { GrpcServerHandle } from '../grpc/pingServer.js';

export const SERVER_FLAGS: FlagSpecs = {
  listen: { type: 'string', default: '127.0.0.1:8080', usage: 'address to listen on (host:port, :port or port)' },
  'allow-remote': { type: 'bool', default: false, usage: 'allow listening on a non-loopback address' },
  // fortio's name for the same address (cli/fortio_main.go echoPortFlag); -listen stays tripbench's.
  'http-port': { type: 'string', default: '', usage: 'fortio\'s name for -listen: http-echo server port (host:port, :port or port); default -listen\'s' },
  'max-delay': { type: 'duration', default: DEFAULT_MAX_DELAY_MS * 1e6, usage: 'cap on any requested delay (?delay=, /delay/)' },
  'max-size': { type: 'int', default: DEFAULT_MAX_SIZE, usage: 'cap on ?size= payloads, bytes' },
  'max-body': { type: 'int', default: 1024 * 1024, usage: 'largest request body read, bytes (413 beyond)' },
  'keepalive-timeout': { type: 'duration', default: 300e9, usage: 'close idle keep-alive connections after this' },
  seed: { type: 'int', default: 0, usage: 'seed for weighted statuses and percentages (0 = random)' },
  'tls-hosts': { type: 'string', default: '', usage: 'serve HTTPS with a certificate for these hosts (comma list, e.g. www.google.com), signed by a CA made at start' },
  // fortio's defaults (cli/fortio_main.go tcpPortFlag, udpPortFlag): both echo servers on 8078.
  // A bare port binds loopback here, as -listen does; host:port off loopback needs -allow-remote.
  'tcp-port': { type: 'string', default: '8078', usage: `tcp-echo server port: port, host:port or "${DISABLED}"` },
  'udp-port': { type: 'string', default: '8078', usage: `udp-echo server port: port, host:port or "${DISABLED}"` },
  // fortio's default is 8079 (fnet.DefaultGRPCPort); off here unless asked, so a plain `tripbench server` binds what it did before.
  'grpc-port': { type: 'string', default: DISABLED, usage: `serve fortio's gRPC ping + health services on this port, host:port or "${DISABLED}"` },
  'ca-out': { type: 'string', default: '', usage: 'with -tls-hosts: write the CA certificate (PEM) here, for -cacert / sidecar -upstream-cacert' },
  // fortio's common TLS flags as its server reads them (bincommon/commonflags.go, fhttp.TLSOptions).
  cert: { type: 'string', default: '', usage: 'Path to the certificate file to be used for client or server TLS' },
  key: { type: 'string', default: '', usage: 'Path to the key file matching the -cert' },
  cacert: { type: 'string', default: '', usage: 'Path to the CA certificate file client certificates are verified against (with -mtls)' },
  mtls: { type: 'bool', default: false, usage: 'Require client certificate signed by -cacert for client connections' },
};

/**
 * The server's TLS as its flags give it, PEM text (read once here): the HTTP port serves it, and
 * it is the one value the gRPC port takes too. `ca` present = mutual TLS (fortio's -mtls).
 */
export type ServerTls = TargetTls;

/** A file flag's text (load/tlsFiles.ts reads it as `load` does); on the server a bad file is a setup error (exit 1, as fortio's TLSConfig failure). */
function readPem(flag: 'cacert' | 'cert' | 'key', path: string): string {
  try {
    return readTlsFile(flag, path);
  } catch (e) {
    throw e instanceof UsageError ? new StartError(e.message) : e;
  }
}

/**
 * -cert, -key, -cacert, -mtls as fortio's server applies them (fhttp.TLSOptions.TLSConfig):
 * -cert and -key serve TLS; -mtls adds RequireAndVerifyClientCert against -cacert. Combinations
 * that would silently do nothing are refused here rather than served as plain HTTP.
 */
export function serverTlsFlags(cert: string, key: string, cacert: string, mtls: boolean): ServerTls | undefined {
  if (cert === '' && key === '') {
    if (mtls) throw new StartError('-mtls needs -cert and -key (mutual TLS is served on the HTTPS port)');
    if (cacert !== '') throw new StartError(`invalid value "${cacert}" for flag -cacert: on tripbench server -cacert verifies client certificates, it needs -cert, -key and -mtls`);
    return undefined;
  }
  if (key === '') throw new StartError(`invalid value "${cert}" for flag -cert: -cert needs -key`);
  if (cert === '') throw new StartError(`invalid value "${key}" for flag -key: -key needs -cert`);
  if (mtls && cacert === '') throw new StartError('-mtls needs -cacert (the CA that signs the client certificates)');
  if (!mtls && cacert !== '') throw new StartError(`invalid value "${cacert}" for flag -cacert: on tripbench server -cacert verifies client certificates, it needs -mtls`);
  const tls: ServerTls = {
    cert: readPem('cert', cert),
    key: readPem('key', key),
  };
  try {
    createSecureContext({ cert: tls.cert, key: tls.key });
  } catch (e) {
    throw new StartError(`invalid value "${key}" for flag -key: ${errorMessage(e)} (with -cert ${cert})`);
  }
  if (mtls) {
    tls.ca = readPem('cacert', cacert);
    try {
      createSecureContext({ ca: tls.ca });
    } catch (e) {
      throw new StartError(`invalid value "${cacert}" for flag -cacert: ${errorMessage(e)}`);
    }
  }
  return tls;
}

export interface CommandIo {
  stderr: (s: string) => void;
  /** resolves when the process should stop (signals in the CLI, a test's own trigger otherwise) */
  stopped: Promise<void>;
}

export function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}

/** The echo servers `server` started (absent when disabled or when the port could not be bound). */
export interface EchoServers {
  tcp?: EchoServerHandle;
  udp?: EchoServerHandle;
}

/**
 * Starts one echo server; like fortio (fnet.Listen logs Critf and returns nil), a port that
 * cannot be bound is logged and the server runs on without it.
 */
async function startEcho(kind: 'tcp' | 'udp', value: string, allowRemote: boolean, io: CommandIo): Promise<EchoServerHandle | undefined> {
  if (value === DISABLED) return undefined;
  const a = parseListen(value, `-${kind}-port`);
  checkLoopback(a, allowRemote, `-${kind}-port`);
  try {
    const h = await (kind === 'tcp' ? startTcpEchoServer(a.host, a.port) : startUdpEchoServer(a.host, a.port));
    io.stderr(`tripbench ${kind}-echo server listening on ${kind} ${goHostPort(h.address.address, h.address.port)}\n`);
    return h;
  } catch (e) {
    io.stderr(`Can't listen to ${kind} socket ${value} for ${kind}-echo: ${errorMessage(e)}\n`);
    return undefined;
  }
}

export async function runServer(argv: string[], io: CommandIo, onStarted?: (t: TargetHandle, echo: EchoServers) => void): Promise<number> {
  let p;
  try {
    p = parseFlags(argv, SERVER_FLAGS);
  } catch (e) {
    if (e instanceof UsageError && e.message === 'help requested') {
      io.stderr(`Usage: tripbench server [flags]\n${formatUsage(SERVER_FLAGS)}`);
      return ExitCode.OK;
    }
    throw e;
  }
  if (p.positional.length > 0) throw new UsageError(`server: unexpected argument ${JSON.stringify(p.positional[0])}`);
  for (const n of ['max-size', 'max-body', 'max-delay', 'keepalive-timeout']) if (flagNumber(p, n) < 0) throw new UsageError(`-${n} must not be negative`);
  const tlsHosts = flagString(p, 'tls-hosts').split(',').map((h) => h.trim()).filter((h) => h !== '');
  const caOut = flagString(p, 'ca-out');
  if (caOut !== '' && tlsHosts.length === 0) throw new UsageError('-ca-out needs -tls-hosts');
  const allowRemote = flagBool(p, 'allow-remote');
  if (p.set.has('http-port') && p.set.has('listen')) throw new UsageError('-http-port and -listen name the same address: give one');
  const listen = p.set.has('http-port') ? flagString(p, 'http-port') : flagString(p, 'listen');
  for (const k of ['tcp', 'udp', 'grpc'] as const) {
    const v = flagString(p, `${k}-port`);
    if (v !== DISABLED) checkLoopback(parseListen(v, `-${k}-port`), allowRemote, `-${k}-port`);
  }
  const certPath = flagString(p, 'cert');
  const serverTls = serverTlsFlags(certPath, flagString(p, 'key'), flagString(p, 'cacert'), flagBool(p, 'mtls'));
  if (serverTls && tlsHosts.length > 0) throw new StartError('-tls-hosts and -cert both give the HTTPS certificate: give one');
  const certs = tlsHosts.length > 0 ? makeRehearsalCerts(tlsHosts) : undefined;
  if (certs && caOut !== '') await writeFileAtomic(caOut, certs.caPem);
  const httpTls = serverTls ?? (certs ? { cert: certs.certPem, key: certs.keyPem } : undefined);
  const t = await startTarget({
    ...(httpTls ? { tls: httpTls } : {}),
    listen,
    allowRemote,
    maxDelayMs: flagNumber(p, 'max-delay') / 1e6,
    maxSize: flagNumber(p, 'max-size'),
    maxBodyBytes: flagNumber(p, 'max-body'),
    keepAliveTimeoutMs: flagNumber(p, 'keepalive-timeout') / 1e6,
    seed: flagNumber(p, 'seed'),
  });
  const tlsNote = certs
    ? ` (TLS for ${tlsHosts.join(', ')}${caOut !== '' ? `, CA in ${caOut}` : ''})`
    : serverTls
      ? ` (${serverTls.ca !== undefined ? 'mutual ' : ''}TLS with ${certPath}${serverTls.ca !== undefined ? `, client certificates verified against ${flagString(p, 'cacert')}` : ''})`
      : '';
  io.stderr(`tripbench server (httpbin + fortio echo) listening on ${t.url}${tlsNote}\n`);
  const echo: EchoServers = {};
  const tcp = await startEcho('tcp', flagString(p, 'tcp-port'), allowRemote, io);
  if (tcp) echo.tcp = tcp;
  const udp = await startEcho('udp', flagString(p, 'udp-port'), allowRemote, io);
  if (udp) echo.udp = udp;
  const grpcPort = flagString(p, 'grpc-port');
  let g: GrpcServerHandle | undefined;
  if (grpcPort !== DISABLED) {
    const a = parseListen(grpcPort, '-grpc-port');
    checkLoopback(a, allowRemote, '-grpc-port');
    try {
      // fortio's PingServer takes the same TLSOptions as its HTTP server: -cert/-key/-mtls apply to both ports
      g = await startPingServer(a.host, String(a.port), undefined, { tls: serverTls });
    } catch (e) {
      await Promise.all([t.close(), echo.tcp?.close(), echo.udp?.close()]);
      throw e;
    }
    io.stderr(`tripbench server gRPC ping + health listening on ${goHostPort(a.host, g.port)}${serverTls ? ` (${serverTls.ca !== undefined ? 'mutual ' : ''}TLS)` : ''}\n`);
  }
  onStarted?.(t, echo);
  await io.stopped;
  await Promise.all([t.close(), echo.tcp?.close(), echo.udp?.close(), g?.close()]);
  return ExitCode.OK;
}

export async function serverCommand(argv: string[]): Promise<number> {
  return runServer(argv, { stderr: (s) => process.stderr.write(s), stopped: waitForSignal() });
}
