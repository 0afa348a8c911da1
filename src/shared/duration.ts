/**
 * Go time.Duration parsing (fortio's -t, -timeout) including fortio's `d` and `w` units.
 * Returns nanoseconds as a number (exact up to ~104 days, far beyond any load run).
 */
const UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
  d: 86400e9,
  w: 7 * 86400e9,
};

/** Parses "1h2m3.5s", "300ms", "0", "-1s"; undefined when malformed (Go: bare numbers other than 0 need a unit). */
export function parseGoDuration(input: string): number | undefined {
  let s = input.trim();
  if (s === '') return undefined;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return undefined;
  const re = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w)/;
  let total = 0;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m) return undefined;
    total += Number(m[1]) * (UNITS[m[2] as string] as number);
    s = s.slice(m[0].length);
  }
  return sign * Math.round(total);
}
