import { startSidecar, startTarget, sidecarConfigFromYaml, parseIstioVersion } from '../src/rehearsal/index.js';
import { SEED_DR } from './seed-trip-ratios.js';
import { fortioLikeLoad } from '../test/helpers/rehearsalClient.js';
const c = Number(process.env.C ?? 3), n = Number(process.env.N ?? 30);
const target = await startTarget();
const config = sidecarConfigFromYaml([{ text: SEED_DR, file: 'dr' }], { istioVersion: parseIstioVersion('1.4')! });
let t0 = performance.now();
const lines: string[] = [];
const sc = await startSidecar({ config, upstreams: [`127.0.0.1:${target.address.port}`], admin: false, mtlsHandshakeMs: Number(process.env.MTLS ?? 0), hopLatencyMs: Number(process.env.HOP ?? 3), workerAssignment: (process.env.ASSIGN ?? 'random') as 'random',
  onAccessLog: (e) => lines.push(`${(performance.now() - t0 - e.durationMs).toFixed(2)} +${e.durationMs.toFixed(2)}ms ${e.status} ${e.flags} lane=${e.lane} cx=${e.connection}`) });
for (let w = 0; w < Number(process.env.WARM ?? 3); w++) await fortioLikeLoad({ url: `${sc.url}/get`, c, n, keepResponses: false });
lines.length = 0; t0 = performance.now(); (globalThis as {__tc?: number[]}).__tc = [];
if (process.env.CHILD) {
  const { execFileSync } = await import('node:child_process');
  const { spawn } = await import('node:child_process');
  void execFileSync;
  const ch = spawn(process.execPath, [new URL('./client-tmp.js', import.meta.url).pathname, `${sc.url}/get`, String(c), String(n)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  ch.stdout.on('data', (d) => (out += d));
  await new Promise((r) => ch.on('exit', r));
  console.log(lines.join('\n'));
  console.log(out);
} else {
const r = await fortioLikeLoad({ url: `${sc.url}/get`, c, n, keepResponses: false });
console.log(lines.join('\n'));
console.log([...r.codes], 'sockets', r.sockets, 'dur', r.durationMs.toFixed(1), 'ms');
}
await sc.close(); await target.close();
void t0;
