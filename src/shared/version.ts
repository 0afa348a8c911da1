import { readFileSync } from 'node:fs';

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? 'dev';
  } catch {
    return 'dev';
  }
}

/** Package version, e.g. "0.1.0". */
export const VERSION = readVersion();
/** What stands where fortio prints its version (first report line, JSON Version). */
export const LONG_VERSION = `tripbench-${VERSION}`;
export const USER_AGENT = `tripbench/${VERSION}`;
