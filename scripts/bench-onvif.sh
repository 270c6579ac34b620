#!/usr/bin/env bash
# ONVIF check time per camera against the test stub (Tests/ProberTests/Scripts/onvif_stub.py, a
# clock 7 min ahead so every check signs on the camera's clock): one check at a time (the time a
# camera costs), then 8 in flight (throughput; the single-threaded Python stub is then the limit).
# Everything started here stops when the script ends.
# Usage: scripts/bench-onvif.sh [path/to/cctv-out-bench]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/cctv-out-bench}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The stub's stdin: a pipe that ends by itself after 120 s (the stub stops when it closes).
exec 3< <(sleep 120); keeper=$!
python3 Tests/ProberTests/Scripts/onvif_stub.py "$port" --skew 420 <&3 > /dev/null 2>&1 & stub=$!
exec 3<&-
trap 'kill $stub $keeper 2>/dev/null || true' EXIT
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break; sleep 0.1; done
url="http://127.0.0.1:$port/onvif/device_service"
CCTVOUT_CHECK_PASSWORD=secret "$bin" onvif --url "$url" --user admin --duration 10 --concurrency 1
CCTVOUT_CHECK_PASSWORD=secret "$bin" onvif --url "$url" --user admin --duration 10 --concurrency 8
