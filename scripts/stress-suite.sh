#!/usr/bin/env bash
# The README's stressed-suite method: RUNS back-to-back `TRIPBENCH_REQUIRE_TOOLS=1 npm test`
# runs with Debian's `stress-ng --cpu 6` beside them. scripts/stress-ctl.py pauses stress-ng
# workers only while other work on the machine already holds TARGET runnable tasks, so the load
# average stays at TARGET or above without stacking on top of another busy job.
# Usage: RUNS=10 TARGET=9 LOG=/tmp/stress scripts/stress-suite.sh   (results in $LOG/summary.txt)
set -u
cd "$(dirname "$0")/.."
LOG=${LOG:-/tmp/tripbench-stress}
mkdir -p "$LOG"
stress-ng --cpu 6 --timeout 0 >/dev/null 2>&1 &
SP=$!
echo $SP > "$LOG/stress.pid"
sleep 1
STRESS_LOG=$LOG TARGET=${TARGET:-9} python3 scripts/stress-ctl.py > "$LOG/ctl.out" 2>&1 &
CP=$!
( while true; do echo "$(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg)" >> "$LOG/load.txt"; sleep 30; done ) &
LP=$!
for i in $(seq 1 "${RUNS:-10}"); do
  s=$(date +%s); sd=$(date -u +%H:%M:%S)
  TRIPBENCH_REQUIRE_TOOLS=1 npm test > "$LOG/run$i.log" 2>&1
  rc=$?
  e=$(date +%s); ed=$(date -u +%H:%M:%S)
  dur=$(sed 's/\x1b\[[0-9;]*m//g' "$LOG/run$i.log" | grep -E "^ +(Tests|Duration) " | tr -s ' ' | tr '\n' ' ')
  loads=$(awk -v s="$sd" -v e="$ed" '$1>=s && $1<=e {print $2}' "$LOG/load.txt" | sort -n | awk '{a[NR]=$1} END {print "load1 min " a[1] " median " a[int((NR+1)/2)] " max " a[NR]}')
  echo "run $i $sd-$ed rc=$rc wall=$((e-s))s $dur| $loads" >> "$LOG/summary.txt"
done
kill $CP $LP
for p in $(pgrep -P $SP) $SP; do kill -CONT "$p"; kill "$p"; done
