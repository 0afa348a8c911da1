/** Picks the client for a run; each one is loaded only when used. */
import type { ClientContext, HttpClient } from './client.js';
import { type HttpOptions, usesLeanClient } from './options.js';

/** Lean client for plain http://, node:http2 for -h2, undici for https:// and -stdclient. */
export async function createClient(o: HttpOptions, ctx: ClientContext): Promise<HttpClient> {
  if (usesLeanClient(o)) {
    const { LeanClient } = await import('./leanClient.js');
    return new LeanClient(o, ctx);
  }
  if (o.h2) {
    const { H2Client } = await import('./h2Client.js');
    return new H2Client(o, ctx);
  }
  const { UndiciClient } = await import('./undiciClient.js');
  return new UndiciClient(o, ctx);
}
