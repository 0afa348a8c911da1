/**
 * fortio echo-server query parameters (fortio-compat.md §8.4), accepted on any path of the
 * target: `status=503:20,404:5` (percent chances, the rest is 200), `delay=10ms:50,1s:5`,
 * `size=1024`, `header=Name:Value` (repeatable), `close=true` or `close=5.3` (percent),
 * `gzip=true`. Malformed values are a 400 with the reason; values past the caps are clamped,
 * so the target never sleeps or allocates more than it was told it may.
 */
import { parseGoDuration } from '../shared/duration.js';
import { chance } from '../shared/random.js';
import type { Rng } from '../shared/random.js';

export interface EchoLimits {
  maxDelayMs: number;
  maxSize: number;
}

export interface EchoParams {
  status?: number | undefined;
  delayMs?: number;
  size?: number;
  headers: Array<[string, string]>;
  close: boolean;
  gzip: boolean;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export interface WeightedChoice<T> {
  value: T;
  percent: number;
}

/** "v" (100 %) or "v1:p1,v2:p2" with percentages adding up to at most 100. */
export function parsePercentList<T>(raw: string, parseValue: (s: string) => T | undefined, what: string): Parsed<Array<WeightedChoice<T>>> {
  const parts = raw.split(',').map((p) => p.trim());
  const out: Array<WeightedChoice<T>> = [];
  let sum = 0;
  for (const part of parts) {
    const i = part.lastIndexOf(':');
    const vs = i < 0 ? part : part.slice(0, i);
    const ps = i < 0 ? undefined : part.slice(i + 1);
    const value = parseValue(vs);
    if (value === undefined) return { ok: false, error: `invalid ${what} ${JSON.stringify(vs)}` };
    let percent = 100;
    if (ps !== undefined) {
      if (!/^\d+(\.\d*)?$|^\.\d+$/.test(ps)) return { ok: false, error: `invalid ${what} percentage ${JSON.stringify(ps)}` };
      percent = Number(ps);
    } else if (parts.length > 1) {
      return { ok: false, error: `${what} ${JSON.stringify(vs)} needs a percentage in a list (value:percent)` };
    }
    sum += percent;
    out.push({ value, percent });
  }
  if (sum > 100 + 1e-9) return { ok: false, error: `${what} percentages add up to ${sum} (more than 100)` };
  return { ok: true, value: out };
}

/** One draw: each choice with its percent chance, otherwise undefined (the default). */
export function pickPercent<T>(choices: ReadonlyArray<WeightedChoice<T>>, rng: Rng): T | undefined {
  const r = rng() * 100;
  let acc = 0;
  for (const c of choices) {
    acc += c.percent;
    if (r < acc) return c.value;
  }
  return undefined;
}

export function parseStatusCode(s: string): number | undefined {
  if (!/^\d{3}$/.test(s)) return undefined;
  const n = Number(s);
  return n >= 200 && n <= 599 ? n : undefined;
}

function parseSize(s: string): number | undefined {
  return /^\d{1,12}$/.test(s) ? Number(s) : undefined;
}

function parseDelayMs(s: string): number | undefined {
  const ns = parseGoDuration(s);
  return ns === undefined || ns < 0 ? undefined : ns / 1e6;
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function parseEchoParams(q: URLSearchParams, rng: Rng, limits: EchoLimits): Parsed<EchoParams> {
  const out: EchoParams = { headers: [], close: false, gzip: false };
  const status = q.get('status');
  if (status !== null) {
    const p = parsePercentList(status, parseStatusCode, 'status');
    if (!p.ok) return p;
    out.status = pickPercent(p.value, rng);
  }
  const delay = q.get('delay');
  if (delay !== null) {
    const p = parsePercentList(delay, parseDelayMs, 'delay');
    if (!p.ok) return p;
    const d = pickPercent(p.value, rng);
    if (d !== undefined) out.delayMs = Math.min(d, limits.maxDelayMs);
  }
  const size = q.get('size');
  if (size !== null) {
    const p = parsePercentList(size, parseSize, 'size');
    if (!p.ok) return p;
    const n = pickPercent(p.value, rng);
    if (n !== undefined) out.size = Math.min(n, limits.maxSize);
  }
  for (const h of q.getAll('header')) {
    const i = h.indexOf(':');
    const name = i < 0 ? '' : h.slice(0, i).trim();
    if (!HEADER_NAME.test(name)) return { ok: false, error: `invalid header ${JSON.stringify(h)} (want Name:Value)` };
    const value = h.slice(i + 1).trim();
    if (/[\r\n\0]/.test(value)) return { ok: false, error: `invalid header value in ${JSON.stringify(h)}` };
    out.headers.push([name, value]);
  }
  const close = q.get('close');
  if (close !== null) {
    const c = close.trim().toLowerCase();
    if (c === 'true' || c === '1' || c === 'yes') out.close = true;
    else if (c === 'false' || c === '0' || c === 'no' || c === '') out.close = false;
    else if (/^\d+(\.\d*)?$/.test(c) && Number(c) <= 100) out.close = chance(rng, Number(c));
    else return { ok: false, error: `invalid close ${JSON.stringify(close)} (want true, false or a percentage)` };
  }
  const gzip = q.get('gzip');
  if (gzip !== null) {
    const g = gzip.trim().toLowerCase();
    if (g !== 'true' && g !== 'false' && g !== '1' && g !== '0') return { ok: false, error: `invalid gzip ${JSON.stringify(gzip)} (want true or false)` };
    out.gzip = g === 'true' || g === '1';
  }
  return { ok: true, value: out };
}

/** httpbin /status/{codes}: "503", "200,503" (equal odds) or "200:0.5,503:0.5" (relative weights). */
export function parseHttpbinStatus(raw: string): Parsed<Array<{ code: number; weight: number }>> {
  const out: Array<{ code: number; weight: number }> = [];
  for (const part of raw.split(',')) {
    const [c, w] = part.split(':');
    const code = parseStatusCode((c ?? '').trim());
    if (code === undefined) return { ok: false, error: `Invalid status code ${JSON.stringify(c ?? '')}` };
    let weight = 1;
    if (w !== undefined) {
      if (!/^\d+(\.\d*)?$|^\.\d+$/.test(w.trim())) return { ok: false, error: `Invalid weight ${JSON.stringify(w)}` };
      weight = Number(w);
    }
    out.push({ code, weight });
  }
  if (out.reduce((a, b) => a + b.weight, 0) <= 0) return { ok: false, error: 'weights add up to 0' };
  return { ok: true, value: out };
}

export function pickWeighted(choices: ReadonlyArray<{ code: number; weight: number }>, rng: Rng): number {
  const total = choices.reduce((a, b) => a + b.weight, 0);
  let r = rng() * total;
  for (const c of choices) {
    r -= c.weight;
    if (r < 0) return c.code;
  }
  return (choices[choices.length - 1] as { code: number }).code;
}
