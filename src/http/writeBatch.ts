/**
 * Requests of one event-loop turn written together, at its end (setImmediate: after every socket
 * that was readable in this turn has been handled), instead of one at a time between the
 * callbacks. Against a target on this machine that is idle between requests, every lone write
 * makes the kernel wake the target's thread on the other core (an IPI, costly in a VM); written
 * back to back, the target finds them in one wake-up. Profiled at c=16 against nginx: the
 * kernel's IRQ-enable path (the wake-up) was the whole difference in CPU per call between the
 * load generator and its bare client loop, and written together the calls cost ~12 % less CPU
 * (docs/benchmarks.md, "Third pass"). A thread with one connection gains nothing and keeps the
 * direct write: lean clients register while they are open (`openClients`).
 */
import type { Socket } from 'node:net';

const sockets: Socket[] = [];
const bytes: Buffer[] = [];
const ends: boolean[] = [];
let scheduled = false;
let open = 0;

/** A lean client of this thread opened (+1) or closed (-1). */
export function openClients(delta: 1 | -1): void {
  open += delta;
}

/** Writes `b` to `s` (and ends it when `end`): now when this thread has one client, else at the end of the turn. */
export function writeRequest(s: Socket, b: Buffer, end: boolean): void {
  if (open <= 1) {
    s.write(b);
    if (end) s.end();
    return;
  }
  sockets.push(s);
  bytes.push(b);
  ends.push(end);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flush);
  }
}

function flush(): void {
  scheduled = false;
  for (let i = 0; i < sockets.length; i++) {
    const s = sockets[i] as Socket;
    // A socket dropped meanwhile (abort, close) is not written: its call has already ended.
    if (!s.destroyed) {
      s.write(bytes[i] as Buffer);
      if (ends[i]) s.end();
    }
  }
  sockets.length = 0;
  bytes.length = 0;
  ends.length = 0;
}
