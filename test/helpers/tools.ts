/**
 * External tools a test needs (xmllint, chromium, prometheus-pushgateway, buildah, …).
 *
 * Locally a missing tool skips its tests, and the title says why and how to install it. CI sets
 * TRIPBENCH_REQUIRE_TOOLS=1 (.ci/run): then a missing tool never skips; the tests run and fail
 * on their first use of `tool.path`, with a one-line message naming the tool and its package, so
 * a broken CI image cannot turn a check into a silent pass.
 *
 *   const xmllint = needTool('xmllint', 'libxml2-utils');
 *   it.skipIf(xmllint.skip)(xmllint.title('validates against the XSD'), () => {
 *     execFileSync(xmllint.path, [...]);
 *   });
 */
import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CI switch: a test whose tool is missing fails instead of skipping. */
export const REQUIRE_TOOLS = process.env['TRIPBENCH_REQUIRE_TOOLS'] === '1';

export interface Tool {
  /** The first name that was found (or the first asked for). */
  readonly name: string;
  /** True when the tests should be skipped: missing, and the CI switch is off. */
  readonly skip: boolean;
  /** Empty when found, else why the tests do not run ("xmllint is not installed (apt-get …)"). */
  readonly missing: string;
  /** The executable's absolute path; throws the `missing` message when there is none. */
  readonly path: string;
  /** A test title that says SKIPPED and why when the tool is missing. */
  title(text: string): string;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** An absolute path, or the first match on $PATH. */
export function findExecutable(name: string): string | undefined {
  if (isAbsolute(name)) return executable(name) ? name : undefined;
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir !== '' && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * names: the executable, or alternatives tried in order (an absolute path is taken as is);
 * debianPackage: what to `apt-get install` for it.
 */
export function needTool(names: string | readonly string[], debianPackage: string, install?: string): Tool {
  const list = typeof names === 'string' ? [names] : names;
  let found: string | undefined;
  let name = list[0] ?? '';
  for (const n of list) {
    found = findExecutable(n);
    if (found) {
      name = n;
      break;
    }
  }
  const missing = found
    ? ''
    : `${list.join(' or ')} is not installed (${install ?? `apt-get install -y ${debianPackage}; .ci/run installs it`})` +
      (REQUIRE_TOOLS ? ' and TRIPBENCH_REQUIRE_TOOLS=1 requires it' : '');
  return {
    name,
    skip: !found && !REQUIRE_TOOLS,
    missing,
    get path(): string {
      if (!found) throw new Error(missing);
      return found;
    },
    title: (text) => (found || REQUIRE_TOOLS ? text : `${text} (SKIPPED: ${missing})`),
  };
}

/**
 * The real fortio (the peer of the side-by-side tests). It has no Debian package: FORTIO_BIN,
 * else `fortio` on PATH, else the copy these machines keep beside the checkout
 * (../shared/tools/fortio/fortio, v1.33.0).
 */
export function needFortio(): Tool {
  const beside = fileURLToPath(new URL('../../../shared/tools/fortio/fortio', import.meta.url));
  const env = process.env['FORTIO_BIN'];
  return needTool([...(env ? [env] : []), 'fortio', beside, '/work/shared/tools/fortio/fortio'], '', 'no Debian package: set FORTIO_BIN=/path/to/fortio or put fortio on PATH');
}
