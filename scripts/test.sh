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
# Suites tagged `.serial` (Tests/TestSupport/TestTags.swift: real time-budgeted checks of HLS,
# RTSP, ICMP and MQTT, child processes, iptables, CPU-heavy imports and storms) must run one at a
# time: fully parallel on 2 cores they time out (measured: tests in 9 files failed).
# CCTVOUT_TEST_PASSES=2 runs the rest in parallel first, then the tagged ones one at a time. On the
# 2-core development machine it was not faster than one serial pass (README, Measured), so one
# serial pass is the default.
if [ "$#" -gt 0 ] || [ "${CCTVOUT_TEST_PASSES:-1}" != 2 ]; then
  swift test --skip-build --no-parallel "$@"
else
  serial=$(python3 scripts/serial-suites.py)
  swift test --skip-build --skip "$serial"
  swift test --skip-build --no-parallel --filter "$serial"
fi
# The failover proof (issue 11): a split installation on PostgreSQL, 5,000 cameras, a storm while
# the active issues and notifier and a prober are SIGKILLed (~2.5 min). Skipped when tests are filtered.
if [ "$#" -eq 0 ]; then
  CCTVOUT_BIN=.build/debug/cctv-out python3 scripts/test-failover.py
  # A killed test run leaves no process behind (PostgreSQL, mosquitto, the product binary): ~30 s.
  python3 scripts/test-orphans.py
fi
