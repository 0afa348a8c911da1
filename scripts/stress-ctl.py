#!/usr/bin/env python3
"""Keeps the machine at about TARGET runnable tasks: stress-ng's --cpu 6 workers run (SIGCONT)
only as far as other work does not already hold the load there (SIGSTOP the rest)."""
import os, signal, sys, time
TARGET = int(os.environ.get('TARGET', '8'))
LOG = os.environ.get('STRESS_LOG', '/tmp/tripbench-stress')
parent = int(open(f'{LOG}/stress.pid').read())
log = open(f'{LOG}/ctl.txt', 'a', buffering=1)
def workers():
    try:
        return [int(p) for p in open(f'/proc/{parent}/task/{parent}/children').read().split()]
    except OSError:
        return []
running = set(workers())
samples = []
last_log = 0
while True:
    ws = workers()
    if not ws: break
    r = int(open('/proc/loadavg').read().split()[3].split('/')[0]) - 1  # minus this reader
    other = max(0, r - len(running & set(ws)))
    samples.append(other); samples = samples[-5:]
    want = max(0, min(len(ws), TARGET - round(sum(samples) / len(samples))))
    for i, pid in enumerate(ws):
        try:
            if i < want and pid not in running: os.kill(pid, signal.SIGCONT); running.add(pid)
            elif i >= want and pid in running: os.kill(pid, signal.SIGSTOP); running.discard(pid)
        except ProcessLookupError: pass
    if time.time() - last_log > 30:
        log.write(f"{time.strftime('%H:%M:%S')} other={other} stress_running={want} load={open('/proc/loadavg').read().strip()}\n"); last_log = time.time()
    time.sleep(1)
