/**
 * fortio's default tcp/udp payload: 24 bytes unique per thread and message,
 * `Fortio\n%04d\n%012d` (tcprunner.GeneratePayload, tcprunner/tcprunner.go).
 */
export function generatePayload(thread: number, message: number): Buffer {
  return Buffer.from(`Fortio\n${String(thread).padStart(4, '0')}\n${String(message).padStart(12, '0')}`, 'latin1');
}

/** The message of one call: the user's payload, or the generated one when none was given (NewTCPClient / NewUDPClient). */
export function messageFor(payload: Uint8Array | null, thread: number, message: number): Uint8Array {
  return payload !== null && payload.length > 0 ? payload : generatePayload(thread, message);
}
