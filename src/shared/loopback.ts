import { isIP } from 'node:net';

/**
 * A host name or address that can only mean this machine: `localhost` and its subdomains
 * (RFC 6761), 127.0.0.0/8, ::1 (either spelling) and IPv4-mapped 127.x. Brackets are ignored.
 */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (h.startsWith('::ffff:')) return h.slice(7).startsWith('127.');
  return false;
}
