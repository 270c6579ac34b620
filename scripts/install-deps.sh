#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages CCTV Out needs to build, run and test. Idempotent:
# packages already present are skipped, and apt-get update runs only when something is missing.
set -euo pipefail

# Build: libmosquitto-dev libsqlite3-dev libcurl4-openssl-dev libjemalloc-dev (every process's malloc).
# Run: mosquitto (the private broker).
# Every program a test runs is here too, because a fresh machine has none of them:
#   mosquitto-clients (mosquitto_pub/_sub as a foreign tool), iptables + iproute2 (line cuts on
#   loopback), fping (the ICMP benchmark's peer), openssl (test certificates), ffmpeg (real live
#   HLS streams and ffprobe), python3-pip (the PyPI helpers below), GStreamer's RTSP server through
#   /usr/bin/python3 (the real RTSP camera of the prober's RTSP tests: gir1.2-gst-rtsp-server-1.0
#   python3-gst-1.0 gstreamer1.0-plugins-ugly gstreamer1.0-plugins-good gstreamer1.0-rtsp), chromium
#   (the dashboard's browser tests drive it with Playwright), fonts-nanum (Korean text in the
#   dashboard and its screenshots instead of empty boxes), util-linux (`setpriv`, through which serve
#   starts its private broker so that it cannot outlive serve: PR_SET_PDEATHSIG), postgresql (the
#   store tests' throwaway cluster: initdb and postgres, run by the test fixture).
#   Run: libjs-chart.js (the dashboard's charts, served by the gateway, no CDN).
need=(mosquitto mosquitto-clients libmosquitto-dev libsqlite3-dev libcurl4-openssl-dev libjemalloc-dev iptables iproute2 fping python3-pip openssl ffmpeg
      gir1.2-gst-rtsp-server-1.0 python3-gst-1.0 gstreamer1.0-plugins-ugly gstreamer1.0-plugins-good gstreamer1.0-rtsp chromium util-linux
      fonts-nanum libjs-chart.js postgresql)
missing=()
for package in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# PyPI test helpers: openpyxl checks exported .xlsx files open in a third-party reader;
# onvif-zeep (import onvif) is the ONVIF reference client the prober's ONVIF stub is validated with;
# aiosmtpd is the real SMTP server the notifier's mail tests deliver to; playwright drives Debian's
# chromium in the dashboard tests (its own browser downloads are never used: executable_path).
# Into the python3 the tests run (Tests/TestSupport/RequiredTool looks in /usr/bin first), not
# whichever python3 comes first on PATH (a pyenv one would get the modules the tests never see).
ensure_python_packages() {
  local py=python3
  [ -x /usr/bin/python3 ] && py=/usr/bin/python3
  # import-name:PyPI-name (onvif-zeep is the ONVIF reference client that validates the prober's ONVIF stub).
  for pair in openpyxl:openpyxl aiosmtpd:aiosmtpd playwright:playwright onvif:onvif-zeep; do
    local module=${pair%%:*} package=${pair#*:}
    "$py" -c "import $module" >/dev/null 2>&1 && continue
    echo "installing: $package (PyPI) for $py"
    "$py" -m pip install --quiet "$package" 2>/dev/null || "$py" -m pip install --quiet --break-system-packages "$package"
  done
}
if [ ${#missing[@]} -eq 0 ]; then
  ensure_python_packages
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
ensure_python_packages
