import { spawn } from 'node:child_process';
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import {
  HEALTH_SERVICE,
  PING_SERVICE,
  decodeHealthResponse,
  decodePing,
  encodeHealthRequest,
  encodePing,
  startPingServer,
} from '../../src/grpc/pingServer.js';
import { BIN } from '../helpers/cli.js';

type Unary = (req: Buffer, cb: (e: grpc.ServiceError | null, r?: Buffer) => void) => void;
const Ping = grpc.makeGenericClientConstructor(PING_SERVICE, 'PingServer');
const Health = grpc.makeGenericClientConstructor(HEALTH_SERVICE, 'Health');

function call(c: grpc.Client, method: string, req: Buffer): Promise<Buffer> {
  const f = (c as unknown as Record<string, Unary>)[method]!.bind(c);
  return new Promise((resolve, reject) => f(req, (e, r) => (e ? reject(e) : resolve(r!))));
}

async function checkPort(port: number): Promise<void> {
  const addr = `127.0.0.1:${port}`;
  const ping = new Ping(addr, grpc.credentials.createInsecure());
  const health = new Health(addr, grpc.credentials.createInsecure());
  try {
    const before = BigInt(Date.now()) * 1_000_000n;
    const out = decodePing(await call(ping, 'Ping', encodePing({ seq: 42n, ts: 7n, payload: 'hello', delayNanos: 1_000_000n })));
    expect(out.seq).toBe(42n);
    expect(out.payload).toBe('hello');
    expect(out.delayNanos).toBe(1_000_000n);
    expect(out.ts >= before - 1_000_000_000n).toBe(true);
    expect(decodeHealthResponse(await call(health, 'Check', encodeHealthRequest('')))).toBe(1);
    expect(decodeHealthResponse(await call(health, 'Check', encodeHealthRequest('ping')))).toBe(1);
    expect(decodeHealthResponse(await call(health, 'Check', encodeHealthRequest('ping_down')))).toBe(2);
    await expect(call(health, 'Check', encodeHealthRequest('other'))).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
  } finally {
    ping.close();
    health.close();
  }
}

describe('fortio gRPC ping + health server', () => {
  it('a grpc-js client over HTTP/2: Ping echoes seq/payload with the server ts, Health answers SERVING', async () => {
    const s = await startPingServer('127.0.0.1', '0');
    try {
      await checkPort(s.port);
    } finally {
      await s.close();
    }
  }, 60_000);

  it('a dead port: UNAVAILABLE', async () => {
    const s = await startPingServer('127.0.0.1', '0');
    const port = s.port;
    await s.close();
    const health = new Health(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    try {
      await expect(call(health, 'Check', encodeHealthRequest(''))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    } finally {
      health.close();
    }
  }, 60_000);

  it('tripbench server -grpc-port 0 through the CLI', async () => {
    const child = spawn(process.execPath, [BIN, 'server', '-listen', '127.0.0.1:0', '-grpc-port', '0'], { stdio: ['ignore', 'ignore', 'pipe'] });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        let err = '';
        child.stderr.setEncoding('utf8');
        child.stderr.on('data', (d: string) => {
          err += d;
          const m = /gRPC ping \+ health listening on 127\.0\.0\.1:(\d+)/.exec(err);
          if (m) resolve(Number(m[1]));
        });
        child.on('exit', (code) => reject(new Error(`server exited ${String(code)}: ${err}`)));
      });
      await checkPort(port);
    } finally {
      child.kill('SIGTERM');
    }
  }, 60_000);
});
