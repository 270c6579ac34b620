#!/usr/bin/env bash
# Runs the whole test suite: unit tests, adapters against a real mosquitto, SQLite and HTTP on
# loopback, ICMP with raw sockets and iptables rules, and the end-to-end line-cut test.
# Tests that need root (raw ICMP, iptables) fail loudly when not root; CI runs as root.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ "$(id -u)" -ne 0 ]; then
  echo "WARNING: not root — the ICMP/iptables and end-to-end tests will FAIL (they never pass silently). Run as root, as CI does." >&2
fi
# Every import declared (SwiftPM checks the package's own targets; scripts/lint.sh every module),
# and swift-format's rules.
swift build --build-tests --explicit-target-dependency-import-check error
scripts/lint.sh
# Two passes. Suites tagged `.serial` (Tests/TestSupport/TestTags.swift: real time-budgeted checks
# of HLS, RTSP, ICMP and MQTT, child processes, iptables, CPU-heavy imports and storms) run one at a
# time; everything else (pure cores, stores, codecs, in-process routers) runs in parallel first.
# Fully parallel on 2 cores the budgeted ones time out (measured: tests in 9 files failed).
serial=$(python3 scripts/serial-suites.py)
if [ "$#" -gt 0 ]; then
  swift test --skip-build --no-parallel "$@"
else
  swift test --skip-build --skip "$serial"
  swift test --skip-build --no-parallel --filter "$serial"
fi
