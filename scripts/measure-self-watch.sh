#!/usr/bin/env bash
# Measures the self-watch numbers on the real binary: SIGTERM → exit of `serve` (healthy, and with
# its broker unreachable), and a SIGKILLed private mosquitto → restarted → every service reconnected.
# Usage: scripts/measure-self-watch.sh [path/to/cctv-out] [runs]   (default .build/debug/cctv-out, 3)
# Ports are picked free on 127.0.0.1; everything it starts is stopped; data goes to a temp folder.
set -euo pipefail
bin=${1:-.build/debug/cctv-out}
runs=${2:-3}
[ -x "$bin" ] || { echo "no $bin: build first (swift build)" >&2; exit 1; }
work=$(mktemp -d /tmp/self-watch-measure.XXXXXX)
# Stops what this script started (by pid), then removes its data.
cleanup() { [ -f "$work/pids" ] && while read -r p; do kill -TERM "$p" 2>/dev/null || true; done <"$work/pids"; sleep 1; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
now() { date +%s.%N; }
# wait_log FILE TEXT COUNT TIMEOUT: until FILE has COUNT lines containing TEXT
wait_log() {
  local deadline; deadline=$(echo "$(now) + $4" | bc)
  local n
  while true; do
    n=$(grep -c -- "$2" "$1" 2>/dev/null) || n=${n:-0}
    [ "${n:-0}" -ge "$3" ] && break
    (( $(echo "$(now) > $deadline" | bc) )) && { echo "timeout waiting for '$2' x$3 in $1" >&2; tail -20 "$1" >&2; return 1; }
    sleep 0.01
  done
}
# sigterm_exit PID: seconds from SIGTERM to exit into $took (serve is this shell's child, so `wait`
# returns at its exit; not in a $(…) subshell, which could not wait for it)
sigterm_exit() {
  local start; start=$(now)
  kill -TERM "$1"
  wait "$1" 2>/dev/null || true
  took=$(echo "$(now) - $start" | bc)
}
serve() { # serve LOG EXTRA...: starts serve in the background on fresh ports and data; its pid in $pid
  local log=$1; shift
  local data; data=$(mktemp -d "$work/data.XXXX")
  "$bin" serve --data-dir "$data" --broker-port "$(free_port)" --http-host 127.0.0.1 --http-port "$(free_port)" \
    --instance "m$RANDOM" "$@" >"$log" 2>&1 &
  pid=$!
  echo "$pid" >>"$work/pids"
}

for run in $(seq 1 "$runs"); do
  log="$work/healthy-$run.log"; serve "$log"
  wait_log "$log" "connected to broker" 5 60
  sigterm_exit "$pid"
  printf 'run %d  serve healthy      SIGTERM → exit: %.2f s\n' "$run" "$took"
  grep -q "shutdown did not finish" "$log" && echo "        (the watchdog forced the exit)"

  log="$work/down-$run.log"; serve "$log" --broker-url "mqtt://127.0.0.1:$(free_port)"
  wait_log "$log" "broker not reachable" 5 60
  sigterm_exit "$pid"
  printf 'run %d  serve broker down  SIGTERM → exit: %.2f s\n' "$run" "$took"

  log="$work/restart-$run.log"; serve "$log"
  wait_log "$log" "connected to broker" 5 60
  broker=$(grep -o 'pid=[0-9]*' "$log" | head -1 | cut -d= -f2)
  start=$(now); kill -KILL "$broker"
  wait_log "$log" "private mosquitto restarted" 1 60; restarted=$(echo "$(now) - $start" | bc)
  wait_log "$log" "connected to broker" 10 120; reconnected=$(echo "$(now) - $start" | bc)
  printf 'run %d  mosquitto SIGKILL → restarted %.2f s → all 5 services reconnected %.2f s\n' "$run" "$restarted" "$reconnected"
  sigterm_exit "$pid"
done
