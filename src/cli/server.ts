/**
 * `tripbench server`: the httpbin / fortio-echo compatible target, until SIGINT/SIGTERM.
 */
import { UsageError } from '../shared/errors.js';
import { makeRehearsalCerts, startTarget, DEFAULT_MAX_DELAY_MS, DEFAULT_MAX_SIZE } from '../rehearsal/index.js';
import { writeFileAtomic } from '../shared/atomicWrite.js';
import type { TargetHandle } from '../rehearsal/index.js';
import { ExitCode } from '../shared/exitCodes.js';
import { flagBool, flagNumber, flagString, formatUsage, parseFlags } from './flags.js';
import type { FlagSpecs } from './flags.js';
import { startPingServer } from '../grpc/pingServer.js';
import type { GrpcServerHandle } from '../grpc/pingServer.js';

export const SERVER_FLAGS: FlagSpecs = {
  listen: { type: 'string', default: '127.0.0.1:8080', usage: 'address to listen on (host:port, :port or port)' },
  'allow-remote': { type: 'bool', default: false, usage: 'allow listening on a non-loopback address' },
  'max-delay': { type: 'duration', default: DEFAULT_MAX_DELAY_MS * 1e6, usage: 'cap on any requested delay (?delay=, /delay/)' },
  'max-size': { type: 'int', default: DEFAULT_MAX_SIZE, usage: 'cap on ?size= payloads, bytes' },
  'max-body': { type: 'int', default: 1024 * 1024, usage: 'largest request body read, bytes (413 beyond)' },
  'keepalive-timeout': { type: 'duration', default: 300e9, usage: 'close idle keep-alive connections after this' },
  seed: { type: 'int', default: 0, usage: 'seed for weighted statuses and percentages (0 = random)' },
  'tls-hosts': { type: 'string', default: '', usage: 'serve HTTPS with a certificate for these hosts (comma list, e.g. www.google.com), signed by a CA made at start' },
  'grpc-port': { type: 'string', default: 'disabled', usage: 'serve fortio\'s gRPC ping + health service on this port or host:port (fortio\'s default is 8079; "disabled" to skip)' },
  'ca-out': { type: 'string', default: '', usage: 'with -tls-hosts: write the CA certificate (PEM) here, for -cacert / sidecar -upstream-cacert' },
};

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

export async function runServer(argv: string[], io: CommandIo, onStarted?: (t: TargetHandle) => void): Promise<number> {
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
  const certs = tlsHosts.length > 0 ? makeRehearsalCerts(tlsHosts) : undefined;
  if (certs && caOut !== '') await writeFileAtomic(caOut, certs.caPem);
  const t = await startTarget({
    ...(certs ? { tls: { cert: certs.certPem, key: certs.keyPem } } : {}),
    listen: flagString(p, 'listen'),
    allowRemote: flagBool(p, 'allow-remote'),
    maxDelayMs: flagNumber(p, 'max-delay') / 1e6,
    maxSize: flagNumber(p, 'max-size'),
    maxBodyBytes: flagNumber(p, 'max-body'),
    keepAliveTimeoutMs: flagNumber(p, 'keepalive-timeout') / 1e6,
    seed: flagNumber(p, 'seed'),
  });
  io.stderr(`tripbench server (httpbin + fortio echo) listening on ${t.url}${certs ? ` (TLS for ${tlsHosts.join(', ')}${caOut !== '' ? `, CA in ${caOut}` : ''})` : ''}\n`);
  const grpcPort = flagString(p, 'grpc-port');
  let g: GrpcServerHandle | undefined;
  if (grpcPort !== 'disabled' && grpcPort !== '') {
    const m = /^(.*):(\d+)$/.exec(grpcPort);
    const host = m ? (m[1] === '' ? '127.0.0.1' : m[1]!) : '127.0.0.1';
    const port = m ? m[2]! : grpcPort;
    if (!/^\d+$/.test(port)) throw new UsageError(`-grpc-port: bad port ${JSON.stringify(grpcPort)}`);
    try {
      g = await startPingServer(host, port);
    } catch (e) {
      await t.close();
      throw e;
    }
    io.stderr(`tripbench server gRPC ping + health listening on ${host}:${g.port}\n`);
  }
  onStarted?.(t);
  await io.stopped;
  await g?.close();
  await t.close();
  return ExitCode.OK;
}

export async function serverCommand(argv: string[]): Promise<number> {
  return runServer(argv, { stderr: (s) => process.stderr.write(s), stopped: waitForSignal() });
}
