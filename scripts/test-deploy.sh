#!/usr/bin/env bash
# The compose deployment, for real: builds the runtime image, brings deploy/docker-compose.yml up
# (plus deploy/test/docker-compose.test.yml: a webhook receiver, a "camera" container, short
# intervals), waits for every service to be healthy, registers the camera with mosquitto_pub from a
# container on the compose network, sees its status turn OK, cuts its line (ICMP echo ignored inside
# the camera's own network namespace) and sees the "opened" webhook, stops and starts the issues
# container (graceful stop measured, state kept in its volume), restores the line and sees the
# "resolved" webhook; then tears everything down. Prints the numbers the README quotes.
#
#   scripts/test-deploy.sh                 binary built on this machine
#   scripts/test-deploy.sh --in-container  binary built in swift:6.3.1-bookworm (multi-stage)
#   CCTVOUT_PREBUILT_DIST=DIR scripts/test-deploy.sh   binary and resource bundles already built in DIR
#
# Needs root and a Docker engine with docker-compose v1 and the local base images: it runs
# container-engine.sh up (found as $CONTAINER_ENGINE, ../shared/tools/ or ../../shared/tools/) and
# stops the engine again only if it started it. All traffic stays on this host: loopback and the
# containers this test creates.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
started=$(date +%s)
say() { echo "test-deploy [$(( $(date +%s) - started ))s]: $*"; }
fail() { echo "test-deploy: FAILED: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "must run as root (Docker, and nsenter into the camera's network namespace)"
engine="${CONTAINER_ENGINE:-}"
for candidate in "$root/../shared/tools/container-engine.sh" "$root/../../shared/tools/container-engine.sh"; do
  [ -z "$engine" ] && [ -x "$candidate" ] && engine="$candidate"
done
export PATH="/usr/bin:$PATH"   # Debian's docker client (BuildKit) before any other on PATH
engine_was_running=yes
docker info >/dev/null 2>&1 || engine_was_running=no
if [ -n "$engine" ]; then
  "$engine" up
elif [ "$engine_was_running" = no ]; then
  fail "no Docker engine running and no container-engine.sh found (set CONTAINER_ENGINE=/path/to/container-engine.sh)"
fi
command -v docker-compose >/dev/null || fail "docker-compose missing (Debian package docker-compose)"
command -v nsenter >/dev/null || fail "nsenter missing (Debian package util-linux)"

project="cctvdeploy$$"
# Debian's docker-compose (v1) with Debian's python3-requests first on its path: the PyPI test
# helpers scripts/install-deps.sh installs pull a newer requests into /usr/local (2.34.2), with which
# docker-compose 1.29.2 fails before doing anything ("Not supported URL scheme http+docker").
compose=(env PYTHONPATH=/usr/lib/python3/dist-packages docker-compose -p "$project" -f deploy/docker-compose.yml -f deploy/test/docker-compose.test.yml)
export CCTVOUT_GATEWAY_PUBLISH="127.0.0.1:"   # loopback, a free host port (read back below)
export CCTVOUT_BROKER_PUBLISH="127.0.0.1:"
secrets="$(mktemp -d /tmp/cctv-deploy-secrets.XXXXXX)"
cleanup() {
  local rc=$?
  if [ $rc -ne 0 ]; then
    echo "---- last log lines of each container"; "${compose[@]}" logs --no-color --tail 15 2>&1 | tail -120 || true
  fi
  "${compose[@]}" down -v --remove-orphans >/dev/null 2>&1 || true
  rm -rf "$secrets"
  if [ "$engine_was_running" = no ] && [ -n "$engine" ]; then "$engine" down || true; fi
  say "torn down (exit $rc)"
}
trap cleanup EXIT

say "checking the systemd units"
deploy/systemd/verify.sh
say "building the runtime image"
if [ -n "${CCTVOUT_PREBUILT_DIST:-}" ]; then
  # A binary built earlier (e.g. by a CI step) in that folder: only the image is built here.
  rm -rf deploy/dist && cp -R "$CCTVOUT_PREBUILT_DIST" deploy/dist
  scripts/build-image.sh --dist-ready
else
  scripts/build-image.sh "$@"
fi

# The locked-down broker as an operator sets it up (README "Broker accounts"): one account per
# service with its own password (random here), hashed into the password file by mosquitto_passwd
# (-U: from a file, never on a command line), the ACL of mosquitto/ plus one integration account
# for this test's mosquitto_pub/sub, printed by `cctv-out mqtt-users acl` itself.
say "making the broker's accounts (password file, ACL with a test integration account)"
command -v mosquitto_passwd >/dev/null || fail "mosquitto_passwd missing (Debian package mosquitto)"
random_password() { head -c 18 /dev/urandom | base64 | tr -d '/+='; }
: >"$secrets/passwd"
for s in registry prober issues notifier gateway; do
  password="$(random_password)"
  # Two accounts per service, one per connection (the publishing one is `{user}-out`), same password.
  printf 'cctv-out-%s:%s\ncctv-out-%s-out:%s\n' "$s" "$password" "$s" "$password" >>"$secrets/passwd"
  export "$(echo "$s" | tr a-z A-Z)_MQTT_PASSWORD=$password"
done
tool_password="$(random_password)"
echo "deploy-test:$tool_password" >>"$secrets/passwd"
mosquitto_passwd -U "$secrets/passwd"
printf '%s\n' "$tool_password" | deploy/dist/cctv-out mqtt-users add deploy-test --role integration --data-dir "$secrets/cli" >/dev/null
deploy/dist/cctv-out mqtt-users acl --data-dir "$secrets/cli" >"$secrets/acl"
grep -q '^user deploy-test' "$secrets/acl" || fail "cctv-out mqtt-users acl printed no deploy-test account"
chmod 0644 "$secrets/passwd" "$secrets/acl"   # read by the broker's own user inside its container
export CCTVOUT_MOSQUITTO_PASSWD="$secrets/passwd" CCTVOUT_MOSQUITTO_ACL="$secrets/acl"
# After the passwords: compose v1 interpolates the whole file (the :? checks) for any command.
"${compose[@]}" build -q webhook

say "starting the stack"
"${compose[@]}" up -d
services=(mosquitto registry prober issues notifier gateway)
container() { "${compose[@]}" ps -q "$1"; }
health() { docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$(container "$1")"; }
wait_healthy() {
  local deadline=$(( $(date +%s) + $2 )) s
  for s in $1; do
    until [ "$(health "$s")" = healthy ]; do
      [ "$(date +%s)" -lt "$deadline" ] || fail "$s is not healthy after $2 s (status $(health "$s"))"
      sleep 1
    done
  done
}
up_at=$(date +%s)
wait_healthy "${services[*]}" 180
say "all healthy $(( $(date +%s) - up_at )) s after up"
"${compose[@]}" ps

network="${project}_default"
mqtt() { docker run --rm --network "$network" --entrypoint "$1" eclipse-mosquitto:2 -h mosquitto -V 5 -u deploy-test -P "$tool_password" "${@:2}"; }
camera_ip="$(docker inspect -f "{{(index .NetworkSettings.Networks \"$network\").IPAddress}}" "$(container camera)")"
camera_pid="$(docker inspect -f '{{.State.Pid}}' "$(container camera)")"
[ -n "$camera_ip" ] || fail "no address for the camera container"

say "registering CAM-DEPLOY-1 at $camera_ip with mosquitto_pub from a container on $network"
command='{"v":1,"type":"registry.command","id":"deploy-test-1","at":"2026-01-01T00:00:00Z","source":"test-deploy","data":{"action":"create","camera":{"id":"CAM-DEPLOY-1","address":"'"$camera_ip"'","site":"정문"}}}'
anonymous="$(docker run --rm --network "$network" --entrypoint mosquitto_pub eclipse-mosquitto:2 -h mosquitto -V 5 -q 1 -t registry/commands/deploy-test -m x 2>&1 || true)"
echo "$anonymous" | grep -qi 'not authori' || fail "the broker took a client without an account: $anonymous"
say "the broker refuses a client without an account ($anonymous)"
mqtt mosquitto_pub -q 1 -t registry/commands/deploy-test -m "$command"

status() { mqtt mosquitto_sub -q 1 -t cctv/CAM-DEPLOY-1/status -C 1 -W 3 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["state"])' 2>/dev/null || echo none; }
wait_status() {
  local deadline=$(( $(date +%s) + $2 ))
  until [ "$(status)" = "$1" ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "camera status is not $1 after $2 s (it is $(status))"
    sleep 1
  done
}
webhooks() { "${compose[@]}" logs --no-color webhook 2>/dev/null | grep -o 'WEBHOOK .*' | cut -c9- || true; }
wait_webhook() {
  local deadline=$(( $(date +%s) + $2 ))
  until webhooks | grep -q "\"event\": \"$1\", \"camera\": \"CAM-DEPLOY-1\""; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "no \"$1\" webhook for CAM-DEPLOY-1 after $2 s; received: $(webhooks)"
    sleep 1
  done
}
wait_status OK 90
say "status of CAM-DEPLOY-1 on cctv/CAM-DEPLOY-1/status: OK"
gateway_port="$("${compose[@]}" port gateway 8080 | cut -d: -f2)"
# The gateway serves nothing but its setup page before the first admin exists: one made with the
# CLI inside the gateway container (password from a pipe), then a viewer token for this test.
random_password | "${compose[@]}" exec -T gateway cctv-out users add deploy-admin --role admin >/dev/null
token="$("${compose[@]}" exec -T gateway cctv-out tokens create deploy-test --role viewer | tr -d '\r\n')"
[ -n "$token" ] || fail "no API token from cctv-out tokens create"
api_state="$(CCTVOUT_TOKEN="$token" python3 -c 'import json,os,sys,urllib.request; r=urllib.request.Request(sys.argv[1], headers={"Authorization": "Bearer " + os.environ["CCTVOUT_TOKEN"]}); print(json.load(urllib.request.urlopen(r, timeout=10))["status"]["state"])' \
  "http://127.0.0.1:$gateway_port/api/cameras/CAM-DEPLOY-1")"
[ "$api_state" = OK ] || fail "the gateway says $api_state for CAM-DEPLOY-1"
say "the gateway's REST API (published on 127.0.0.1:$gateway_port) says OK too"

say "cutting the camera's line (icmp_echo_ignore_all=1 in its network namespace)"
cut_at=$(date +%s.%N)
nsenter -t "$camera_pid" -n sh -c 'echo 1 > /proc/sys/net/ipv4/icmp_echo_ignore_all'
wait_webhook opened 90
say "\"opened\" webhook received $(python3 -c "print(round($(date +%s.%N) - $cut_at, 1))") s after the cut: $(webhooks | grep '"opened"' | head -1)"
wait_status LINE_DOWN 30

say "stopping the issues container (graceful stop, grace period 30 s)"
stop_start=$(date +%s.%N)
"${compose[@]}" stop issues >/dev/null 2>&1
stop_seconds=$(python3 -c "print(round($(date +%s.%N) - $stop_start, 1))")
exit_code="$(docker inspect -f '{{.State.ExitCode}}' "$(container issues)")"
[ "$exit_code" = 0 ] || fail "issues exited with $exit_code on SIGTERM (137 = killed after the grace period)"
say "issues stopped in $stop_seconds s with exit code 0"
"${compose[@]}" start issues >/dev/null 2>&1
restart_at=$(date +%s)
wait_healthy issues 120
say "issues healthy again $(( $(date +%s) - restart_at )) s after start"

say "restoring the line"
restore_at=$(date +%s.%N)
nsenter -t "$camera_pid" -n sh -c 'echo 0 > /proc/sys/net/ipv4/icmp_echo_ignore_all'
wait_webhook resolved 90
say "\"resolved\" webhook received $(python3 -c "print(round($(date +%s.%N) - $restore_at, 1))") s after the restore (incident kept across the restart)"
wait_status OK 30

opened=$(webhooks | grep -c '"event": "opened"' || true)
resolved=$(webhooks | grep -c '"event": "resolved"' || true)
say "webhooks received: $opened opened, $resolved resolved (line team + operators)"
say "stop times of every service (SIGTERM → exit):"
for s in gateway notifier prober registry; do
  t0=$(date +%s.%N); "${compose[@]}" stop "$s" >/dev/null 2>&1
  code="$(docker inspect -f '{{.State.ExitCode}}' "$(container "$s")")"
  echo "  $s: $(python3 -c "print(round($(date +%s.%N) - $t0, 1))") s, exit code $code"
  [ "$code" = 0 ] || fail "$s exited with $code on SIGTERM"
done
echo "image sizes:"
# (docker trims a format's leading spaces: indented afterwards)
docker image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E '^(cctv-out|eclipse-mosquitto|debian)' | sort -u | sed 's/^/  /' || true
say "PASSED: compose stack healthy, camera registered, opened and resolved webhooks received, restart and graceful stops checked"
