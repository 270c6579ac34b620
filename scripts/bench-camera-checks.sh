#!/usr/bin/env bash
# The camera-check benchmarks on loopback: RTSP checks per second and p50/p99 against GStreamer's
# RTSP server (digest auth), picture-check CPU per camera (720p HLS and 320x240 RTSP), and HLS
# bytes per check (whole segment vs a Range request) against a 720p live stream made by ffmpeg.
# Everything started here stops when the script ends.
# Usage: scripts/bench-camera-checks.sh [path/to/cctv-out-bench]   (build it first; release for numbers)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-.build/release/cctv-out-bench}
work=$(mktemp -d /tmp/cctv-bench-checks.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
digest_port=$(free_port); open_port=$(free_port); http_port=$(free_port)
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
# GStreamer's RTSP server ends by itself after 300 s, or when its stdin (a sleep) ends.
(sleep 280 | /usr/bin/python3 Tests/ProberTests/Scripts/rtsp_server.py "$digest_port" digest > "$work/rtsp-digest.log" 2>&1) & pids+=($!)
(sleep 280 | /usr/bin/python3 Tests/ProberTests/Scripts/rtsp_server.py "$open_port" none > "$work/rtsp-open.log" 2>&1) & pids+=($!)
mkdir -p "$work/hls"
ffmpeg -nostdin -loglevel error -re -f lavfi -i "testsrc2=s=1280x720:r=25" -t 240 -c:v libx264 -preset veryfast -b:v 2500k -g 50 \
  -pix_fmt yuv420p -f hls -hls_time 2 -hls_list_size 5 -hls_flags delete_segments+temp_file "$work/hls/index.m3u8" & pids+=($!)
python3 -m http.server --bind 127.0.0.1 --directory "$work/hls" "$http_port" > /dev/null 2>&1 & pids+=($!)
sleep 12
CCTVOUT_CHECK_PASSWORD=secret "$bin" rtsp --url "rtsp://127.0.0.1:$digest_port/shared" --user admin --duration 20 --concurrency 16
CCTVOUT_CHECK_PASSWORD=secret "$bin" rtsp --url "rtsp://127.0.0.1:$digest_port/shared" --user admin --duration 20 --concurrency 16 --packets
"$bin" hls-bytes --folder "$work/hls" --checks 20
"$bin" hls-bytes --folder "$work/hls" --checks 20 --segment-bytes 262144
"$bin" picture --url "http://127.0.0.1:$http_port/index.m3u8" --checks 5
"$bin" picture --url "rtsp://127.0.0.1:$open_port/good" --checks 5
