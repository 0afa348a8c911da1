/** The port a URL names, else its scheme's default (443 for https:, 80 otherwise). */
export function urlPort(url: URL): number {
  return url.port !== '' ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
}
