/** One thread's HTTP runnable making n calls in a row, as the engine would drive it. */
import { createRunnable } from '../../src/http/httpRunnable.js';
import { type HttpOptionsInput, makeHttpOptions } from '../../src/http/options.js';
import type { HttpThreadStats } from '../../src/http/stats.js';

export async function runnableCalls(input: HttpOptionsInput, n: number): Promise<{ codes: number[]; stats: HttpThreadStats }> {
  const r = await createRunnable(0, makeHttpOptions(input).options);
  const codes: number[] = [];
  for (let i = 0; i < n; i++) codes.push((await r.run(false)).code);
  await r.close();
  return { codes, stats: r.snapshot() };
}
