/**
 * Go fmt verbs as fortio uses them (fortio-compat.md §3.1), reproduced byte for byte.
 *
 * Go rounds the *exact* binary value of a float64 and breaks exact ties to even; JS `toFixed` /
 * `toPrecision` break ties away from zero (`(0.25).toFixed(1)` is "0.3", Go's `%.1f` is "0.2").
 * So every precision verb here works on the exact decimal expansion of the double (a double is
 * m × 2^e, hence exactly m × 5^-e / 10^-e when e < 0), computed with BigInt.
 */

/** Exact or rounded decimal: value = 0.DIGITS × 10^dp; digits has no leading or trailing zeros ("" = 0). */
interface Decimal {
  digits: string;
  dp: number;
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** Exact decimal expansion of |x| (finite x). */
function exactDecimal(x: number): Decimal {
  f64[0] = Math.abs(x);
  const bits = u64[0] as bigint;
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & 0xfffffffffffffn;
  let exp: number;
  if (biased === 0) {
    exp = -1074; // subnormal
  } else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  if (mant === 0n) return { digits: '', dp: 0 };
  let digits: string;
  let dp: number;
  if (exp >= 0) {
    digits = (mant << BigInt(exp)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-exp)).toString();
    dp = digits.length + exp;
  }
  return trimZeros({ digits, dp });
}

function trimZeros(d: Decimal): Decimal {
  let end = d.digits.length;
  while (end > 0 && d.digits.charCodeAt(end - 1) === 48) end--;
  return end === d.digits.length ? d : { digits: d.digits.slice(0, end), dp: d.dp };
}

/** Keeps the first n digits (n may be <= 0), rounding half to even on exact ties like Go's strconv. */
function roundTo(d: Decimal, n: number): Decimal {
  if (d.digits.length <= n) return d;
  if (n < 0) return { digits: '', dp: 0 };
  const next = d.digits.charCodeAt(n) - 48;
  let up: boolean;
  if (next !== 5) {
    up = next > 5;
  } else if (d.digits.length > n + 1) {
    up = true; // digits are trimmed, so anything after the 5 is non-zero
  } else {
    up = n > 0 && (d.digits.charCodeAt(n - 1) - 48) % 2 === 1;
  }
  const kept = d.digits.slice(0, n);
  if (!up) return trimZeros({ digits: kept, dp: kept === '' ? 0 : d.dp });
  // Increment the kept prefix; a carry out of the first digit adds one to the exponent.
  const arr = kept.split('');
  let i = arr.length - 1;
  while (i >= 0 && arr[i] === '9') {
    arr[i] = '0';
    i--;
  }
  if (i < 0) return { digits: '1', dp: d.dp + 1 };
  arr[i] = String.fromCharCode((arr[i] as string).charCodeAt(0) + 1);
  return trimZeros({ digits: arr.join(''), dp: d.dp });
}

function nonFinite(x: number): string | undefined {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  return undefined;
}

function sign(x: number): string {
  return x < 0 || Object.is(x, -0) ? '-' : '';
}

/** Fixed notation of d with exactly `decimals` fraction digits (d already rounded). */
function fixed(d: Decimal, decimals: number): string {
  let intPart: string;
  let frac: string;
  if (d.digits === '') {
    intPart = '0';
    frac = '';
  } else if (d.dp <= 0) {
    intPart = '0';
    frac = '0'.repeat(-d.dp) + d.digits;
  } else if (d.dp >= d.digits.length) {
    intPart = d.digits + '0'.repeat(d.dp - d.digits.length);
    frac = '';
  } else {
    intPart = d.digits.slice(0, d.dp);
    frac = d.digits.slice(d.dp);
  }
  if (decimals === 0) return intPart;
  return `${intPart}.${frac.padEnd(decimals, '0').slice(0, decimals)}`;
}

/** Exponent notation with every digit of d: `1.0301e+05`. */
function expForm(d: Decimal): string {
  const mant = d.digits.length > 1 ? `${d.digits[0]}.${d.digits.slice(1)}` : d.digits;
  const e = d.dp - 1;
  const abs = Math.abs(e);
  return `${mant}e${e < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
}

/** Go's %g / %.Ng decision on already rounded, trimmed digits. */
function gForm(d: Decimal, eprec: number): string {
  if (d.digits === '') return '0';
  const e = d.dp - 1;
  if (e < -4 || e >= eprec) return expForm(d);
  return fixed(d, Math.max(d.digits.length - d.dp, 0));
}

/** Go `%g` (shortest round-trip digits, exponent form when exp < -4 or exp >= 6). */
export function formatG(x: number): string {
  const nf = nonFinite(x);
  if (nf !== undefined) return nf;
  if (x === 0) return sign(x) + '0';
  // JS shortest digits are the same shortest round-trip digits Go's strconv picks.
  const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(Math.abs(x).toExponential());
  if (!m) throw new Error(`unexpected exponential form for ${x}`);
  const digits = ((m[1] as string) + (m[2] ?? '')).replace(/0+$/, '');
  return sign(x) + gForm({ digits, dp: Number(m[3]) + 1 }, 6);
}

/** Go `%.{prec}g`: prec significant digits, trailing zeros removed. */
export function formatPrecG(x: number, prec: number): string {
  const nf = nonFinite(x);
  if (nf !== undefined) return nf;
  const p = prec === 0 ? 1 : prec;
  return sign(x) + gForm(roundTo(exactDecimal(x), p), p);
}

/** Go `%.{decimals}f`. */
export function formatF(x: number, decimals: number): string {
  const nf = nonFinite(x);
  if (nf !== undefined) return nf;
  const d = exactDecimal(x);
  return sign(x) + fixed(roundTo(d, d.dp + decimals), decimals);
}

/** Go `%{width}d`: right-aligned with spaces. */
export function formatD(n: number | bigint, width = 0): string {
  const s = typeof n === 'bigint' ? n.toString() : Number.isFinite(n) ? BigInt(Math.trunc(n)).toString() : String(n);
  return s.padStart(width, ' ');
}

/** Go `%t`. */
export function formatT(b: boolean): string {
  return b ? 'true' : 'false';
}

// Fraction digits of v at precision prec without trailing zeros (Go time.fmtFrac).
function fmtFrac(v: bigint, prec: number): { frac: string; rest: bigint } {
  let s = '';
  let printing = false;
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n;
    printing = printing || digit !== 0n;
    if (printing) s = digit.toString() + s;
    v /= 10n;
  }
  return { frac: printing ? '.' + s : '', rest: v };
}

/** Go `time.Duration.String()` (`%v`) of a duration in nanoseconds: `699.322µs`, `1m0.020510523s`. */
export function formatDuration(ns: number | bigint): string {
  let u = typeof ns === 'bigint' ? ns : BigInt(Math.round(ns));
  const neg = u < 0n;
  if (neg) u = -u;
  let out: string;
  if (u < 1_000_000_000n) {
    if (u === 0n) return '0s';
    let unit: string;
    let prec: number;
    if (u < 1000n) {
      unit = 'ns';
      prec = 0;
    } else if (u < 1_000_000n) {
      unit = '\u00b5s'; // U+00B5 MICRO SIGN, as Go writes it
      prec = 3;
    } else {
      unit = 'ms';
      prec = 6;
    }
    const { frac, rest } = fmtFrac(u, prec);
    out = `${rest}${frac}${unit}`;
  } else {
    const { frac, rest } = fmtFrac(u, 9);
    const secs = rest % 60n;
    const totalMin = rest / 60n;
    out = `${secs}${frac}s`;
    if (totalMin > 0n) {
      out = `${totalMin % 60n}m${out}`;
      const hours = totalMin / 60n;
      if (hours > 0n) out = `${hours}h${out}`;
    }
  }
  return neg ? '-' + out : out;
}

/**
 * Go's time.Time in RFC3339Nano (what encoding/json writes): local offset, `Z` when it is zero,
 * fraction trimmed. epochMs is a high-resolution epoch in milliseconds.
 */
export function formatRfc3339Nano(epochMs: number): string {
  let ms = Math.floor(epochMs);
  let subMsNs = Math.round((epochMs - ms) * 1e6);
  if (subMsNs >= 1e6) {
    ms += 1;
    subMsNs -= 1e6;
  }
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const fracNs = d.getMilliseconds() * 1e6 + subMsNs;
  const fracStr = fracNs === 0 ? '' : '.' + String(fracNs).padStart(9, '0').replace(/0+$/, '');
  const offMin = -d.getTimezoneOffset();
  let zone = 'Z';
  if (offMin !== 0) {
    const a = Math.abs(offMin);
    zone = `${offMin < 0 ? '-' : '+'}${p(Math.floor(a / 60))}:${p(a % 60)}`;
  }
  return (
    `${p(d.getFullYear(), 4)}-${p(d.getMonth() + 1)}-${p(d.getDate())}` +
    `T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}${fracStr}${zone}`
  );
}
