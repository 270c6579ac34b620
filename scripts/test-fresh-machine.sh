#!/usr/bin/env bash
# Runs the README's test command (.ci/run) on a fresh Debian machine: a clean clone of HEAD inside a
# new container made from debian:bookworm plus the Swift toolchain only (swift:6.3.1-bookworm, made
# by ../shared/tools/container-engine.sh from the host toolchain and package mirror). Nothing the
# developer machine installed is there, so a program a test needs but scripts/install-deps.sh does
# not install fails here (a missing ffmpeg once passed on every developer machine and failed in CI).
#
#   scripts/test-fresh-machine.sh [ENGINE_SCRIPT]     log: .build-fresh/fresh-machine.log
#
# The suite adds iptables rules, uses raw ICMP, IPv6 on ::1 and switches ping_group_range (datagram
# ICMP), as CI does as root on a machine: the container gets NET_ADMIN and NET_RAW, IPv6 on, and a
# writable /proc/sys (`--privileged` is refused by this machine kind's runc: "unable to apply caps").
# Packets stay in the container's own network namespace (loopback only).
#
# CI's PATH starts with a pyenv python3 that lacks the PyPI modules install-deps.sh installs into
# /usr/bin/python3 (four tests that ran `python3` from PATH failed there and passed here). The
# container gets the same trap: a python3 first on PATH that sees no installed modules
# (`python3 -S`), so a test must name Debian's python3 (Tests/TestSupport/RequiredTool) to pass.
set -euo pipefail
cd "$(dirname "$0")/.."
engine=${1:-../shared/tools/container-engine.sh}
[ -x "$engine" ] || { echo "needs a Docker engine: $engine (see its header)" >&2; exit 2; }
"$engine" swift >/dev/null
work=$(pwd)/.build-fresh
rm -rf "$work"; mkdir -p "$work"
git clone -q --no-hardlinks "$(pwd)" "$work/src"
git -C "$work/src" log --oneline -1
start=$(date +%s)
set +e
# The machine's package sources come along as on any machine of this kind: apt's mirror is in the
# image, pip's (a wheel folder named by the host's pip settings) is mounted read-only.
pip_env=(); pip_mounts=()
for variable in $(env | grep -o '^PIP_[A-Z_]*'); do pip_env+=(-e "$variable"); done
[ -f /etc/pip.conf ] && pip_mounts+=(-v /etc/pip.conf:/etc/pip.conf:ro)
# pip's certificate bundle (the host's: it trusts this machine kind's PyPI proxy) at the same path.
cert=$(pip config get global.cert 2>/dev/null || echo "${PIP_CERT:-}")
[ -n "$cert" ] && [ -f "$cert" ] && pip_mounts+=(-v "$cert:$cert:ro")
wheels=$(pip config get global.find-links 2>/dev/null || echo "${PIP_FIND_LINKS:-}")
[ -n "$wheels" ] && [ -d "$wheels" ] && pip_mounts+=(-v "$wheels:$wheels:ro")
docker run --rm --cap-add NET_ADMIN --cap-add NET_RAW --security-opt systempaths=unconfined \
  --sysctl net.ipv6.conf.all.disable_ipv6=0 --sysctl net.ipv6.conf.lo.disable_ipv6=0 "${pip_env[@]}" "${pip_mounts[@]}" -v "$work/src:/src" -w /src swift:6.3.1-bookworm \
  bash -c 'mkdir -p /opt/pyenv-like/bin && printf "#!/bin/sh\nexec /usr/bin/python3 -S \"\$@\"\n" > /opt/pyenv-like/bin/python3 &&
           chmod +x /opt/pyenv-like/bin/python3 && export PATH=/opt/pyenv-like/bin:$PATH &&
           command -v ffmpeg mosquitto chromium psql python3 || true; bash .ci/run' >"$work/fresh-machine.log" 2>&1
status=$?
set -e
echo "fresh-machine run: exit $status after $(( $(date +%s) - start )) s; log $work/fresh-machine.log"
grep -E 'Test run with|tests? in .* suites? (passed|failed)|✘' "$work/fresh-machine.log" | tail -20 || true
exit $status
