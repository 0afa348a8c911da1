/** Picks the client for a run; each one is loaded only when used. */
import type { ClientContext, HttpClient } from './client.js';
import { type HttpOptions, usesLeanClient } from './options.js';

/** Lean client for plain http://, undici for https://, -stdclient and -h2. */
export async function createClient(o: HttpOptions, ctx: ClientContext): Promise<HttpClient> {
  if (usesLeanClient(o)) {
    const { LeanClient } = await import('./leanClient.js');
    return new LeanClient(o, ctx);
  }
  const { UndiciClient } = await import('./undiciClient.js');
  return new UndiciClient(o, ctx);
}
