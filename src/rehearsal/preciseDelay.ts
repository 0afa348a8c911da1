/**
 * setTimeout with sub-millisecond resolution: Node's timers round up to whole milliseconds,
 * while the delays the emulator models (a TLS handshake on a local network) are often below
 * one. The remainder is waited out with setImmediate turns, which yield to I/O in between.
 */
export function preciseDelay(ms: number, fn: () => void): { cancel(): void } {
  const until = performance.now() + ms;
  let cancelled = false;
  let timer: NodeJS.Timeout | undefined;
  let imm: NodeJS.Immediate | undefined;
  const spin = (): void => {
    if (cancelled) return;
    if (performance.now() >= until) fn();
    else imm = setImmediate(spin);
  };
  const whole = Math.floor(ms) - 1;
  if (whole >= 1) timer = setTimeout(spin, whole);
  else imm = setImmediate(spin);
  return {
    cancel() {
      cancelled = true;
      clearTimeout(timer);
      if (imm) clearImmediate(imm);
    },
  };
}
