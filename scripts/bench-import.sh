#!/usr/bin/env bash
# Measures a bulk import the way an operator runs one: a release `cctv-out serve` (private
# mosquitto on a spare loopback port, throw-away data folder, only the registry's and gateway's
# work matters; the prober is told to check a site no camera has), then
# `cctv-out cameras import --apply` of an N-row CSV, a re-import (all unchanged) and an export.
# Usage: scripts/bench-import.sh [rows] (default 100000). Camera addresses are in 127.0.0.0/8 only.
# CCTVOUT_BIN=/path/to/cctv-out measures that binary (e.g. an older build, for a before/after).
# CATCHUP_ONLY=1 skips the re-import and the exports.
# PERF_OUT=/path/perf.data records a `perf` profile of serve from the end of the apply to the catch-up.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-100000}"
if [ -n "${CCTVOUT_BIN:-}" ]; then
  bin="$CCTVOUT_BIN"
else
  swift build -c release --product cctv-out >/dev/null
  bin=.build/release/cctv-out
fi
work="$(mktemp -d)"
# Free loopback ports, so the script can run beside another installation or another run.
read -r http_port broker_port < <(python3 -c 'import socket
s=[socket.socket() for _ in range(2)]
[x.bind(("127.0.0.1", 0)) for x in s]
print(*[x.getsockname()[1] for x in s])')
python3 - "$rows" "$work/fleet.csv" <<'PY'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w", encoding="utf-8", newline="") as f:
    f.write("자산번호,카메라명,IP주소,HLS주소,설치장소,그룹,회선업체,유지보수업체,점검주기(초)\r\n")
    for i in range(n):
        ip = f"127.{100 + i // 65025}.{i // 255 % 255}.{i % 255 + 1}"
        f.write(f"CAM-{i:06d},카메라 {i},{ip},http://{ip}/live/index.m3u8,현장{i % 50},구역{i % 20},KT-SEOUL,HANWHA,60\r\n")
PY
echo "file: $(du -h "$work/fleet.csv" | cut -f1), $rows rows"
"$bin" serve --data-dir "$work/data" --broker-port "$broker_port" --http-host 127.0.0.1 --http-port "$http_port" \
  --prober-site none-benchmark --notifier-contacts docs/contacts.example.json --log-level info >"$work/serve.log" 2>&1 &
serve=$!
trap 'kill $serve 2>/dev/null; wait $serve 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$http_port/healthz" >/dev/null && break; sleep 0.2; done
# An admin (the gateway serves only its setup page until one exists) and an API token for the CLI and curl.
printf 'benchmark-admin-password\n' | "$bin" users add bench --role admin --data-dir "$work/data" >/dev/null
export CCTVOUT_API_TOKEN="$("$bin" tokens create benchmark --role admin --data-dir "$work/data")"
auth=(-H "Authorization: Bearer $CCTVOUT_API_TOKEN")
api="--api http://127.0.0.1:$http_port"
echo "== validate (dry run)"; /usr/bin/time -f "%e s wall" "$bin" cameras import $api "$work/fleet.csv" 2>&1 | tail -2
ticks=$(getconf CLK_TCK); cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# serve's private mosquitto is its child: its CPU is reported apart (the broker is one thread).
broker=$(pgrep -P "$serve" -x mosquitto | head -1 || true)
c0=$(cpu "$serve"); b0=$( [ -n "$broker" ] && cpu "$broker" || echo 0)
echo "== apply";              /usr/bin/time -f "%e s wall" "$bin" cameras import $api --apply "$work/fleet.csv" 2>&1 | tail -2
start=$(date +%s.%N)
# CPU seconds per thread of serve (by thread name) and of the broker during the catch-up alone.
threads() { python3 -c 'import glob,sys
for t in glob.glob(f"/proc/{sys.argv[1]}/task/*/stat"):
    try: text = open(t).read()
    except OSError: continue
    name, rest = text[text.index("(") + 1:text.rindex(")")], text[text.rindex(")") + 2:].split()
    print(t.split("/")[4], name.replace(" ", "_"), int(rest[11]) + int(rest[12]))' "$serve"; }
threads >"$work/threads0"; k0=$(cpu "$serve"); kb0=$( [ -n "$broker" ] && cpu "$broker" || echo 0)
if [ -n "${PERF_OUT:-}" ]; then perf record -F 199 -g -p "$serve" -o "$PERF_OUT" >/dev/null 2>&1 & perfpid=$!; fi
projected=0
for _ in $(seq 1 600); do
  projected="$(curl -fs "${auth[@]}" "http://127.0.0.1:$http_port/api/cameras?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')"
  [ "$projected" = "$rows" ] && break
  sleep 0.5
done
echo "== gateway read store has $projected of $rows cameras, $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s after the import finished"
if [ -n "${PERF_OUT:-}" ]; then kill -INT "$perfpid"; wait "$perfpid" || true; fi
threads >"$work/threads1"
echo "== catch-up alone: serve $(python3 -c "print(round(($(cpu "$serve") - $k0) / $ticks, 1))") CPU s, mosquitto $(python3 -c "print(round(($( [ -n "$broker" ] && cpu "$broker" || echo 0) - $kb0) / $ticks, 1))") CPU s; serve's busiest threads:"
python3 - "$work/threads0" "$work/threads1" "$ticks" <<'PY'
import sys, collections
def load(p):
    d = {}
    for line in open(p):
        task, rest = line.split(" ", 1)
        name, ticks = rest.rsplit(" ", 1)
        d[task] = (name, int(ticks))
    return d
a, b, hz = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
by = collections.Counter()
for task, (name, t) in b.items():
    by[name] += t - a.get(task, (name, 0))[1]
for name, t in by.most_common(8):
    print(f"   {t / hz:6.1f} s  {name}")
PY
echo "== serve CPU from the apply's start to the catch-up: $(python3 -c "print(round(($(cpu "$serve") - $c0) / $ticks, 1))") s"
[ -n "$broker" ] && echo "== mosquitto CPU from the apply's start to the catch-up: $(python3 -c "print(round(($(cpu "$broker") - $b0) / $ticks, 1))") s"
echo "== load average: $(cut -d' ' -f1-3 /proc/loadavg)"
grep -E "published a batch" "$work/serve.log" | sed 's/.*changes=\([0-9]*\).*seconds=\([0-9.]*\).*/== the registry published \1 changes (config + event each) in \2 s/' || true
curl -fs "${auth[@]}" "http://127.0.0.1:$http_port/metrics" | grep -E '^(mqtt_read_pauses_total|cctvout_shared_definitions_total)' || true
# CATCHUP_ONLY=1 stops here (the apply and the catch-up are what a before/after of publishing needs).
[ -n "${CATCHUP_ONLY:-}" ] && exit 0
echo "== re-import (all unchanged)"; /usr/bin/time -f "%e s wall" "$bin" cameras import $api --apply "$work/fleet.csv" 2>&1 | tail -2
echo "== export csv";  /usr/bin/time -f "%e s wall" "$bin" cameras export $api --format csv -o "$work/export.csv" 2>&1 | tail -2
echo "== export xlsx"; /usr/bin/time -f "%e s wall" "$bin" cameras export $api --format xlsx --lang ko -o "$work/export.xlsx" 2>&1 | tail -2
echo "== xlsx import (apply, all unchanged)"; /usr/bin/time -f "%e s wall" "$bin" cameras import $api --apply "$work/export.xlsx" 2>&1 | tail -2
