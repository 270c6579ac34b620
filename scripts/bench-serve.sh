#!/usr/bin/env bash
# Resource use of a whole installation at steady state: a release `cctv-out serve` (private
# mosquitto included) checking N simulated cameras (ICMP only, addresses in 127.0.0.0/8 which the
# loopback answers) every INTERVAL seconds, sampled every 10 s for DURATION seconds after a warm-up.
# Prints per-sample RSS (MB), CPU (% of one core over the sample) and open fds of serve and of
# mosquitto, then the summary: mean CPU, RSS at the end of warm-up and at the end, growth.
#
#   scripts/bench-serve.sh 100000 60 600      # 100k cameras, ICMP every 60 s, 10 min measured
#   scripts/bench-serve.sh 2000 10 3600       # soak: 2,000 cameras every 10 s for an hour
#   CCTVOUT_BIN=/path/to/cctv-out HTTP_PORT=18091 BROKER_PORT=18841 scripts/bench-serve.sh …   # another binary, beside a running one
set -euo pipefail
cd "$(dirname "$0")/.."
# The default warm-up is 12 intervals: a new camera's track changes with each of its first 10
# results (its streaks count up to the ceiling of 10, IssuePolicy.streakCeiling) and each change is
# a write; only then is it steady. Measured at 100,000 cameras every 60 s: 92.5 % of one core after
# 180 s, 56.5 % after 720 s (same binary, 2026-12-02).
cameras="${1:-100000}"; interval="${2:-60}"; duration="${3:-600}"; warmup="${WARMUP:-$(( interval * 12 > 120 ? interval * 12 : 120 ))}"
# CCTVOUT_BIN=path measures that binary (e.g. a copy kept from an earlier commit) without building.
if [ -z "${CCTVOUT_BIN:-}" ]; then swift build -c release --product cctv-out >/dev/null; fi
bin="${CCTVOUT_BIN:-.build/release/cctv-out}"
work="$(mktemp -d)"
http_port="${HTTP_PORT:-18090}"; broker_port="${BROKER_PORT:-18840}"
python3 - "$cameras" "$interval" "$work/fleet.csv" <<'PY'
import sys
n, interval, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
with open(path, "w", encoding="utf-8", newline="") as f:
    # No line team column: an import naming a team the notifier does not know is refused.
    f.write("자산번호,카메라명,IP주소,설치장소,점검주기(초)\r\n")
    for i in range(n):
        ip = f"127.{100 + i // 65025}.{i // 255 % 255}.{i % 255 + 1}"
        f.write(f"CAM-{i:06d},카메라 {i},{ip},현장{i % 100},{interval}\r\n")
PY
"$bin" serve --data-dir "$work/data" --broker-port "$broker_port" --http-host 127.0.0.1 --http-port "$http_port" \
  --prober-interval "$interval" --log-level warning >"$work/serve.log" 2>&1 &
serve=$!
trap 'kill $serve 2>/dev/null; wait $serve 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 150); do curl -fs "http://127.0.0.1:$http_port/healthz" >/dev/null && break; sleep 0.2; done
# An admin (the gateway serves only its setup page until one exists) and an API token for the CLI and curl.
printf 'benchmark-admin-password\n' | "$bin" users add bench --role admin --data-dir "$work/data" >/dev/null
export CCTVOUT_API_TOKEN="$("$bin" tokens create benchmark --role admin --data-dir "$work/data")"
auth=(-H "Authorization: Bearer $CCTVOUT_API_TOKEN")
"$bin" cameras import --api "http://127.0.0.1:$http_port" --apply "$work/fleet.csv" >/dev/null
mosq=$(pgrep -P "$serve" mosquitto || pgrep -f "mosquitto -c $work" | head -1)
echo "serve pid $serve, mosquitto pid $mosq, $cameras cameras every $interval s; warm-up $warmup s, then $duration s"
ticks=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss() { awk '/VmRSS/ {printf "%.0f", $2 / 1024}' "/proc/$1/status"; }
fds() { ls "/proc/$1/fd" | wc -l; }
sleep "$warmup"
checks() { curl -fs "${auth[@]}" "http://127.0.0.1:$http_port/metrics" | awk '/^cctvout_checks_total/ {s += $2} END {print s + 0}'; }
checks0=$(checks)
printf '%6s %9s %8s %6s %9s %8s %6s\n' t serve_MB serve_cpu fds mosq_MB mosq_cpu fds
s0=$(cpu $serve); m0=$(cpu $mosq); first_s=$(rss $serve); first_m=$(rss $mosq); first_fd=$(fds $serve)
start=$(date +%s); start_checks=$start; total_s=0; total_m=0; n=0
while [ $(( $(date +%s) - start )) -lt "$duration" ]; do
  sleep 10
  s1=$(cpu $serve); m1=$(cpu $mosq)
  sc=$(python3 -c "print(round(($s1 - $s0) * 100 / $ticks / 10, 1))"); mc=$(python3 -c "print(round(($m1 - $m0) * 100 / $ticks / 10, 1))")
  total_s=$(python3 -c "print($total_s + $sc)"); total_m=$(python3 -c "print($total_m + $mc)"); n=$((n + 1))
  printf '%6s %9s %8s %6s %9s %8s %6s\n' $(( $(date +%s) - start )) "$(rss $serve)" "$sc" "$(fds $serve)" "$(rss $mosq)" "$mc" "$(fds $mosq)"
  s0=$s1; m0=$m1
done
last_s=$(rss $serve); last_m=$(rss $mosq)
checks=$(checks)
# Whether the prober keeps up: checks a second over the measured window against what the fleet asks.
echo "summary: checks $(python3 -c "print(round(($checks - $checks0) / ($(date +%s) - $start_checks)))")/s measured, $(python3 -c "print(round($cameras / $interval))")/s needed ($cameras cameras every $interval s)"
echo "summary: serve cpu mean $(python3 -c "print(round($total_s / $n, 1))") %, mosquitto cpu mean $(python3 -c "print(round($total_m / $n, 1))") % (of one core)"
echo "summary: RSS serve $first_s → $last_s MB, mosquitto $first_m → $last_m MB, together $((first_s + first_m)) → $((last_s + last_m)) MB" \
     "(growth $(python3 -c "print(round(($last_s + $last_m - $first_s - $first_m) * 100 / ($first_s + $first_m), 1))") %); serve fds $first_fd → $(fds $serve); checks so far $checks"
