/**
 * fortio's tcprunner/udprunner `Run` for one logical thread: one echo message per call, the
 * outcome counted under "OK" or the error text unless it is a warmup call (fortio's warmup
 * Fetch is outside Run, so RetCodes miss it while the client's socket and byte counts keep it).
 * Loaded by URL inside the engine's workers, like the HTTP runnable.
 */
import { lookup } from 'node:dns/promises';
import type { CallResult, ThreadRunnable } from '../engine/runnable.js';
import type { NetLoadOptions } from './options.js';
import { newNetThreadStats, type NetThreadStats } from './stats.js';
import type { EchoOutcome } from './echoClient.js';
import { TcpEchoClient } from './tcpClient.js';
import { UdpEchoClient } from './udpClient.js';

/** fortio's TCPStatusOK / UDPStatusOK. */
export const STATUS_OK = 'OK';
/** The engine's numeric code (progress line, -abort-on): 0 for an echo, -1 for any failure. */
export const CODE_OK = 0;

interface EchoClient {
  fetch(): Promise<EchoOutcome>;
  abort(): void;
  close(): void;
}

export class NetRunnable implements ThreadRunnable {
  #aborted = false;

  constructor(
    readonly client: EchoClient,
    readonly stats: NetThreadStats,
  ) {}

  async run(warmup: boolean): Promise<CallResult> {
    const r = await this.client.fetch();
    if (this.#aborted) return { ok: false, code: -1, detail: 'aborted' };
    if (!warmup) {
      const key = r ?? STATUS_OK;
      this.stats.retCodes[key] = (this.stats.retCodes[key] ?? 0) + 1;
    }
    return r === null ? { ok: true, code: CODE_OK } : { ok: false, code: -1, detail: r };
  }

  abort(): void {
    this.#aborted = true;
    this.client.abort();
  }

  close(): Promise<void> {
    this.client.close();
    return Promise.resolve();
  }

  snapshot(): NetThreadStats {
    return this.stats;
  }
}

/** RunnableModule entry point. The host is resolved once per thread, as fnet.ResolveDestination does in NewTCPClient. */
export async function createRunnable(threadId: number, o: NetLoadOptions): Promise<NetRunnable> {
  const stats = newNetThreadStats();
  const { address } = await lookup(o.host);
  const Client = o.proto === 'tcp' ? TcpEchoClient : UdpEchoClient;
  return new NetRunnable(new Client(threadId, address, o.port, o.payload, o.timeoutMs, stats), stats);
}
