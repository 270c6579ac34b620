#!/usr/bin/env bash
# Starts CCTV Out all-in-one: a private mosquitto on loopback plus all five services,
# dashboard on http://localhost:8080. Extra arguments go to `cctv-out serve`
# (e.g. --notifier-webhook-line-team https://…); see `cctv-out config`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release --product cctv-out
exec .build/release/cctv-out serve "$@"
