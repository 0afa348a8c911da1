/**
 * fortio's default tcp/udp payload: 24 bytes unique per thread and message,
 * `Fortio\n%04d\n%012d` (tcprunner.GeneratePayload, tcprunner/tcprunner.go).
 */
export function generatePayload(thread: number, message: number): Buffer {
  return Buffer.from(`Fortio\n${String(thread).padStart(4, '0')}\n${String(message).padStart(12, '0')}`, 'latin1');
}
