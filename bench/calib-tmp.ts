import { childRig, inProcessRig, seedRun, warmUp } from './seed-trip-ratios.js';
import type { WorkerAssignment } from '../src/rehearsal/index.js';
const runs = Number(process.env.RUNS ?? 12);
const grid: Array<{ mtls: number; hop: number; assign: WorkerAssignment; jitter: number }> = JSON.parse(process.env.GRID ?? '[]');
for (const g of grid) {
  const out: string[] = [];
  const rig = process.env.CHILD ? await childRig({ ...g, concurrency: 2 }) : await inProcessRig({ ...g, concurrency: 2 });
  await warmUp(rig);
  for (const [c, n] of [[2, 20], [3, 30]] as const) {
    const trips: number[] = [];
    for (let i = 0; i < runs; i++) trips.push((await seedRun(rig, c, n)).trips);
    const mean = trips.reduce((a, b) => a + b, 0) / trips.length / n * 100;
    out.push(`c${c}: mean503 ${mean.toFixed(1)}% [${trips.sort((a, b) => a - b).join(',')}]`);
  }
  await rig.close();
  console.log(JSON.stringify(g), out.join(' | '));
}
