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
# One `swift test`, in parallel. Suites marked `.runsAlone` (Tests/TestSupport/RunsAlone.swift: real
# time-budgeted checks of HLS, RTSP, ICMP and MQTT, child processes, iptables, CPU-heavy imports and
# storms) take a process-wide turn, so they run one at a time beside the rest. CCTVOUT_TEST_SERIAL=1
# runs every test one at a time instead (`--no-parallel`), to tell a test's own failure from load.
# The whole output is kept in .build/test-output.log; when a test fails its issues are printed again
# at the end, so a CI log cut to its tail still names them.
log=.build/test-output.log
mode=()
if [ "${CCTVOUT_TEST_SERIAL:-0}" = 1 ]; then mode=(--no-parallel); fi
if ! swift test --skip-build "${mode[@]}" "$@" 2>&1 | tee "$log"; then
  echo "==== failed tests and their issues (from $log) ====" >&2
  grep -a -A12 -E '^✘ Test .*(recorded an issue|failed)|Caught error' "$log" | grep -a -v -E '^(◇|✔) ' | head -300 >&2
  exit 1
fi
# The failover proof (issue 11): a split installation on PostgreSQL, 5,000 cameras, a storm while
# the active issues and notifier and a prober are SIGKILLed (~2.5 min). Skipped when tests are filtered.
if [ "$#" -eq 0 ]; then
  CCTVOUT_BIN=.build/debug/cctv-out python3 scripts/test-failover.py
  # A killed test run leaves no process behind (PostgreSQL, mosquitto, the product binary): ~30 s.
  python3 scripts/test-orphans.py
fi
