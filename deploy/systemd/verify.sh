#!/usr/bin/env bash
# Checks the unit files the way systemd reads them (systemd-analyze verify, in a scratch root with a
# stand-in binary) and prints each unit's exposure score (systemd-analyze security). Needs the
# Debian package systemd (for systemd-analyze); PID 1 need not be systemd.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
command -v systemd-analyze >/dev/null || { echo "verify: systemd-analyze missing (Debian package systemd)" >&2; exit 1; }
root="$(mktemp -d /tmp/cctv-units.XXXXXX)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc/systemd/system" "$root/opt/cctv-out" "$root/usr/lib/systemd"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp "$here"/*.service "$here"/*.target "$root/etc/systemd/system/"
printf '#!/bin/sh\n' >"$root/opt/cctv-out/cctv-out"; chmod +x "$root/opt/cctv-out/cctv-out"
units=(cctv-out@registry.service cctv-out@issues.service cctv-out@notifier.service cctv-out@gateway.service cctv-out-prober.service cctv-out.target)
systemd-analyze verify --root="$root" "${units[@]}"
for unit in cctv-out@issues.service cctv-out-prober.service; do
  systemd-analyze security --offline=true --root="$root" "$unit" | tail -1
done
echo "systemd units: ${#units[@]} verified"
