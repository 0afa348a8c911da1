/**
 * Child processes for the benchmarks: run a command under GNU time so its CPU (user + sys) and
 * peak RSS come from the kernel's rusage of the whole process (every thread, measured to the
 * last instruction), not from sampling; and the CPU of a live process from /proc.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';
export const haveGnuTime = () => existsSync(GNU_TIME);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function median(xs) {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** ppid of a live process (the comm field of /proc/<pid>/stat may hold spaces). */
function ppidOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return -1;
  }
}

export function descendants(root) {
  const parent = new Map();
  for (const d of readdirSync('/proc')) if (/^\d+$/.test(d)) parent.set(Number(d), ppidOf(d));
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [p, pp] of parent) if (pp === tree[i]) tree.push(p);
  return tree;
}

/** CPU seconds used so far by every live thread of `pid` (schedstat: nanoseconds on a CPU). */
export function liveCpuS(pid) {
  let ns = 0;
  try {
    for (const t of readdirSync(`/proc/${pid}/task`)) {
      try {
        ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        /* the thread ended meanwhile */
      }
    }
  } catch {
    return Number.NaN;
  }
  return ns / 1e9;
}

/**
 * Runs `cmd args` under GNU time. Resolves with its output, exit code, wall seconds (spawn to
 * exit), CPU seconds (user + sys) and peak RSS in MB (ru_maxrss). `onSpawn(timePid)` lets a
 * caller find the measured process (GNU time's only child).
 */
export function runMeasured(cmd, args, { cwd, onSpawn } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tripbench-bench-time-'));
  const out = join(dir, 'rusage');
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(GNU_TIME, ['-q', '-o', out, '-f', '%U %S %M', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('spawn', () => onSpawn?.(child.pid));
    child.on('error', (e) => {
      rmSync(dir, { recursive: true, force: true });
      reject(e);
    });
    child.on('close', (code) => {
      const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
      let user = Number.NaN;
      let sys = Number.NaN;
      let kb = Number.NaN;
      try {
        const line = readFileSync(out, 'utf8').trim().split('\n').pop() ?? '';
        [user, sys, kb] = line.split(' ').map(Number);
      } catch {
        /* killed before GNU time wrote */
      }
      rmSync(dir, { recursive: true, force: true });
      resolve({ code, stdout, stderr, wallS, cpuS: user + sys, userS: user, sysS: sys, rssMb: kb / 1024 });
    });
  });
}
