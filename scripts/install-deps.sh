#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages CCTV Out needs to build, run and test. Idempotent:
# packages already present are skipped, and apt-get update runs only when something is missing.
set -euo pipefail

# Build: libmosquitto-dev libsqlite3-dev libcurl4-openssl-dev. Run: mosquitto (the private broker).
# Every program a test runs is here too, because a fresh machine has none of them:
#   mosquitto-clients (mosquitto_pub/_sub as a foreign tool), iptables + iproute2 (line cuts on
#   loopback), fping (the ICMP benchmark's peer), openssl (test certificates), ffmpeg (real live
#   HLS streams and ffprobe), python3-pip (the PyPI helpers below), GStreamer's RTSP server through
#   /usr/bin/python3 (the real RTSP camera of the prober's RTSP tests: gir1.2-gst-rtsp-server-1.0
#   python3-gst-1.0 gstreamer1.0-plugins-ugly gstreamer1.0-plugins-good gstreamer1.0-rtsp), chromium
#   (the dashboard's escaping and Content-Security-Policy test drives it with Playwright), util-linux
#   (`setpriv`, through which serve starts its private broker so that it cannot outlive serve:
#   PR_SET_PDEATHSIG), postgresql (the store tests' throwaway cluster: initdb and postgres, run by the
#   test fixture).
need=(mosquitto mosquitto-clients libmosquitto-dev libsqlite3-dev libcurl4-openssl-dev iptables iproute2 fping python3-pip openssl ffmpeg
      gir1.2-gst-rtsp-server-1.0 python3-gst-1.0 gstreamer1.0-plugins-ugly gstreamer1.0-plugins-good gstreamer1.0-rtsp chromium util-linux postgresql)
missing=()
for package in "${need[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# PyPI test helpers: openpyxl checks exported .xlsx files open in a third-party reader;
# aiosmtpd is the real SMTP server the notifier's mail tests deliver to; playwright drives
# Debian's chromium (its own browser download is not used) in the dashboard test.
ensure_python_packages() {
  for module in openpyxl aiosmtpd playwright; do
    python3 -c "import $module" >/dev/null 2>&1 && continue
    echo "installing: $module (PyPI)"
    python3 -m pip install --quiet "$module" 2>/dev/null || python3 -m pip install --quiet --break-system-packages "$module"
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
