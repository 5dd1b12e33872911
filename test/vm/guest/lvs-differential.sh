#!/bin/sh
# Runs inside the VM (test/vm/lvs-differential.test.ts): for each config given, runs a director
# with -C, waits for its IPVS table to settle, captures `ipvsadm -Sn` and `ipvsadm -Ln
# --thresholds`, stops it with SIGTERM, captures what is left, and flushes.
#   lvs-differential.sh SIDE CONFIG[@MIN_SETTLE_SECONDS]...     SIDE: keepalived | ours (OURS_CMD: how to start ours)
# Results go to the current directory as NAME.SIDE.{rules,thresholds,after,log,meta}.
side=$1
shift

# Polls the table every half second; settled when it is not empty and unchanged for 3 s, after at
# least MIN seconds (a director that starts slowly shows an empty table that is stable too). With
# checkers in CONF the MIN seconds count from the first "Activating healthchecker" line in LOG:
# in a loaded VM a checker process can take seconds to start, and the table it has not yet
# checked is stable too.
settle() {
  min=$1
  log=$2
  conf=$3
  start=$(date +%s)
  if grep -q '_CHECK' "$conf"; then
    while ! grep -q 'Activating healthchecker' "$log" && [ $(($(date +%s) - start)) -lt 60 ]; do sleep 0.25; done
    start=$(date +%s)
  fi
  last=''
  same_since=$start
  while :; do
    now=$(date +%s)
    cur=$(ipvsadm -Sn 2>&1)
    if [ "$cur" != "$last" ]; then
      last=$cur
      same_since=$now
    fi
    if [ -n "$cur" ] && [ $((now - start)) -ge "$min" ] && [ $((now - same_since)) -ge 3 ]; then break; fi
    if [ $((now - start)) -ge 60 ]; then echo "unsettled after 60 s"; break; fi
    sleep 0.5
  done
  echo "settled after $((now - start)) s"
}

for arg in "$@"; do
  # CONFIG or CONFIG@MIN (MIN overrides the config's own "# vm-settle: N"; default 2 s)
  conf=${arg%@*}
  min=
  [ "$conf" = "$arg" ] || min=${arg##*@}
  name=$(basename "$conf" .conf)
  [ -n "$min" ] || min=$(sed -n 's/^# vm-settle: *\([0-9][0-9]*\).*/\1/p' "$conf" | head -n 1)
  [ -n "$min" ] || min=2
  ipvsadm -C
  rm -f /run/lvs-diff.pid /run/lvs-diff-check.pid
  if [ "$side" = keepalived ]; then
    keepalived -C -n -l -D -f "$conf" -p /run/lvs-diff.pid -c /run/lvs-diff-check.pid > "$name.$side.log" 2>&1 &
  else
    $OURS_CMD -C -n -l -D -f "$conf" -p /run/lvs-diff.pid -c /run/lvs-diff-check.pid > "$name.$side.log" 2>&1 &
  fi
  pid=$!
  settle "$min" "$name.$side.log" "$conf" > "$name.$side.meta"
  ipvsadm -Sn > "$name.$side.rules" 2>&1
  ipvsadm -Ln --thresholds > "$name.$side.thresholds" 2>&1
  kill -TERM "$pid" 2>/dev/null
  i=0
  while kill -0 "$pid" 2>/dev/null && [ $i -lt 40 ]; do sleep 0.25; i=$((i + 1)); done
  if kill -0 "$pid" 2>/dev/null; then
    echo "still running 10 s after SIGTERM: killed" >> "$name.$side.meta"
    kill -KILL "$pid"
  fi
  wait "$pid"
  echo "exit $?" >> "$name.$side.meta"
  ipvsadm -Sn > "$name.$side.after" 2>&1
done
ipvsadm -C
