/** Log lines shared by both clients, shaped like current fortio's (fortio-compat.md §3.5, §7.1). */
import * as log from '../shared/log.js';

export function logNonOk(thread: number, code: number, status: string): void {
  if (log.logEnabled(log.Level.Warning)) log.warn('Non ok http code', { code, status, thread });
}

export function logConnectError(thread: number, dest: string, text: string): void {
  log.error(`Unable to connect to ${dest} : ${text}`, { thread });
}

export function logReadError(thread: number, dest: string, size: number, text: string): void {
  log.error(`Read error for ${dest} ${size} : ${text}`, { thread });
}

export function logDeadSocket(thread: number, dest: string, reason: string): void {
  if (log.logEnabled(log.Level.Info)) log.info(`Closing dead socket ${dest} (${reason})`, { thread });
}
