/**
 * Number formatting shared by verdict messages and every renderer, so the table, JUnit,
 * Markdown and JSON say the same thing in the same words.
 */

function trimZeros(s: string): string {
  if (!s.includes('.') || s.includes('e')) return s;
  return s.replace(/0+$/, '').replace(/\.$/, '');
}

/** 0 → "0.0", 0.15 → "0.15", 1/3 → "0.333", 1 → "1.0": always visibly a fraction. */
export function formatRatio(r: number): string {
  const s = trimZeros(r.toFixed(3));
  return s.includes('.') ? s : `${s}.0`;
}

/** Bounds of a 95 % interval: "[0.052, 0.360]" keeps three decimals so columns line up. */
export function formatInterval(iv: readonly [number, number]): string {
  return `[${iv[0].toFixed(3)}, ${iv[1].toFixed(3)}]`;
}

/** Plain numbers: integers as is, others with up to 6 significant digits. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  return trimZeros(v.toPrecision(6));
}

/** Seconds in the nearest Go-style unit with up to 4 significant digits: 0.05 → "50ms", 2.9 → "2.9s". */
export function formatSeconds(sec: number): string {
  if (sec === 0) return '0s';
  if (!Number.isFinite(sec)) return String(sec);
  const a = Math.abs(sec);
  const [v, unit] = a >= 1 ? [sec, 's'] : a >= 1e-3 ? [sec * 1e3, 'ms'] : a >= 1e-6 ? [sec * 1e6, 'µs'] : [sec * 1e9, 'ns'];
  return `${trimZeros(Number(v.toPrecision(4)).toString())}${unit}`;
}
