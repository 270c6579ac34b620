#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages CCTV Out needs to build, run and test. Idempotent:
# packages already present are skipped, and apt-get update runs only when something is missing.
set -euo pipefail

need=(mosquitto mosquitto-clients libmosquitto-dev libsqlite3-dev iptables iproute2 fping)
missing=()
for package in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# openpyxl (PyPI) checks in the tests that exported .xlsx files open in a third-party reader.
if ! python3 -c 'import openpyxl' >/dev/null 2>&1; then
  if ! python3 -m pip --version >/dev/null 2>&1; then missing+=(python3-pip); fi
fi
if [ ${#missing[@]} -eq 0 ]; then
  python3 -c 'import openpyxl' >/dev/null 2>&1 || python3 -m pip install --quiet openpyxl || python3 -m pip install --quiet --break-system-packages openpyxl
  exit 0
fi
sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo_cmd="sudo"
fi
echo "installing: ${missing[*]}"
$sudo_cmd apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
# The Debian package enables a system-wide broker on :1883; CCTV Out starts its own private one.
if command -v systemctl >/dev/null && systemctl is-enabled mosquitto >/dev/null 2>&1; then
  echo "note: the system mosquitto service is enabled on port 1883; cctv-out serve uses --broker-port (default 1883)."
  echo "      stop it (systemctl disable --now mosquitto) or run serve with --broker-port 1884."
fi
python3 -c 'import openpyxl' >/dev/null 2>&1 || python3 -m pip install --quiet openpyxl || python3 -m pip install --quiet --break-system-packages openpyxl
