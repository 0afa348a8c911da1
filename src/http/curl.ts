/**
 * `fortio curl` / `load -curl`: one request with the run's options, returned as data. The CLI
 * prints `head` to stderr and `body` to stdout (current fast client, fortio-compat.md §6.1); for
 * a non-OK status the head was never parsed, so everything read is in `body` and `head` is empty.
 */
import { createClient } from './createClient.js';
import type { ErrorKind } from './errorKinds.js';
import type { HttpOptions } from './options.js';
import { isOkCode } from './responseParser.js';
import { newHttpThreadStats } from './stats.js';

export interface CurlResult {
  /** Status code, -1 for a transport failure. */
  code: number;
  ok: boolean;
  /** Status line + headers + blank line as received (interim 1xx heads included); empty unless OK. */
  head: Buffer;
  /** The body; for a non-OK status or a failure, every byte that was read. */
  body: Buffer;
  size: number;
  headerSize: number;
  errorKind: ErrorKind | null;
  /** Socket error text for a -1. */
  error: string;
}

export async function curl(options: HttpOptions, threadId = 0): Promise<CurlResult> {
  const chunks: Buffer[] = [];
  const stats = newHttpThreadStats(threadId, options.offset, options.resolution);
  const client = await createClient(options, { threadId, stats, capture: (c) => chunks.push(c) });
  try {
    const r = await client.fetch();
    const all = Buffer.concat(chunks);
    const ok = isOkCode(r.code);
    const split = ok ? Math.min(r.headerSize, all.length) : 0;
    return {
      code: r.code,
      ok,
      head: all.subarray(0, split),
      body: all.subarray(split),
      size: r.size,
      headerSize: r.headerSize,
      errorKind: r.errorKind,
      error: r.errorText,
    };
  } finally {
    await client.close();
  }
}

/** fortio curl exits 0 only for exactly 200 (fortio-compat.md §6.2). */
export function curlExitCode(r: CurlResult): number {
  return r.code === 200 ? 0 : 1;
}
