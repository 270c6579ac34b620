#!/usr/bin/env bash
# What the broker alone costs to hold the fleet's retained topics: a standalone mosquitto (the
# Debian binary serve runs, no persistence, no clients left), N cameras' retained `cctv/{id}/config`
# and `cctv/{id}/status` published at once with QoS 0, then its resident memory and its own heap
# count ($SYS/broker/heap/current). No Swift involved: this is the floor under `serve`'s mosquitto.
#
#   scripts/bench-broker-retained.sh 100000          # payload sizes of today's config and status
#   CONFIG_BYTES=1 STATUS_BYTES=0 scripts/bench-broker-retained.sh 100000   # per-topic overhead only
set -euo pipefail
cameras="${1:-100000}"
config_bytes="${CONFIG_BYTES:-378}"; status_bytes="${STATUS_BYTES:-275}"   # measured on serve's broker, 2026-12-01
work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nsys_interval 1\n' "$port" >"$work/mosquitto.conf"
mosquitto -c "$work/mosquitto.conf" >"$work/mosquitto.log" 2>&1 &
broker=$!
trap 'kill $broker 2>/dev/null; wait $broker 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $port)).close()" 2>/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$broker/status"; }
heap() { timeout 5 mosquitto_sub -p "$port" -t '$SYS/broker/heap/current' -C 1 2>/dev/null || echo "?"; }
# A bare MQTT 3.1.1 client on a socket: CONNECT, then retained QoS 0 PUBLISH packets in bulk.
publish() { # leaf payload-bytes
  python3 - "$port" "$cameras" "$1" "$2" <<'PY'
import socket, struct, sys
port, n, leaf, size = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
def length(n):
    out = b""
    while True:
        b, n = n % 128, n // 128
        out += bytes([b | (128 if n else 0)])
        if not n: return out
def packet(kind, body): return bytes([kind]) + length(len(body)) + body
def text(s): s = s.encode(); return struct.pack("!H", len(s)) + s
s = socket.create_connection(("127.0.0.1", port))
s.sendall(packet(0x10, text("MQTT") + bytes([4, 2]) + struct.pack("!H", 60) + text(f"bench-{leaf}")))
assert s.recv(4)[:1] == b"\x20", "no CONNACK"
payload, chunk = b"x" * size, []
for i in range(n):
    chunk.append(packet(0x31, text(f"cctv/CAM-{i:06d}/{leaf}") + payload))  # PUBLISH, QoS 0, retain
    if len(chunk) == 1000: s.sendall(b"".join(chunk)); chunk = []
s.sendall(b"".join(chunk) + packet(0xE0, b""))
s.close()
PY
}
echo "mosquitto $(mosquitto -h 2>/dev/null | awk 'NR==1 {print $3}'), $cameras cameras, config $config_bytes B, status $status_bytes B"
echo "idle: rss $(rss) MB, heap $(heap) B"
publish config "$config_bytes"; sleep 2
echo "configs retained: rss $(rss) MB, heap $(heap) B"
if [ "$status_bytes" -gt 0 ]; then
  publish status "$status_bytes"; sleep 2
  echo "configs + statuses retained: rss $(rss) MB, heap $(heap) B"
fi
