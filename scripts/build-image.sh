#!/usr/bin/env bash
# Builds the runtime image `cctv-out:local` (deploy/Dockerfile) that every compose service runs.
#   scripts/build-image.sh                 binary built on this machine (Swift 6.3.1 toolchain)
#   scripts/build-image.sh --in-container  binary built by the multi-stage deploy/Dockerfile.build in
#                                          swift:6.3.1-bookworm (make it with `container-engine.sh swift`)
#   scripts/build-image.sh --dist-ready    deploy/dist/ already holds the binary and its resource bundles
# Either way the binary is `swift build -c release --static-swift-stdlib` and lands in deploy/dist/
# with its resource bundles. Needs a running Docker engine (`container-engine.sh up` here).
# Environment: CCTVOUT_IMAGE (default cctv-out:local), DOCKER (default /usr/bin/docker).
set -euo pipefail
cd "$(dirname "$0")/.."
image="${CCTVOUT_IMAGE:-cctv-out:local}"
docker_bin="${DOCKER:-/usr/bin/docker}"
[ -x "$docker_bin" ] || docker_bin="$(command -v docker || true)"
[ -n "$docker_bin" ] || { echo "build-image: no docker client (Debian package docker.io)" >&2; exit 1; }
if [ "${1:-}" = "--dist-ready" ]; then
  [ -x deploy/dist/cctv-out ] || { echo "build-image: --dist-ready but no deploy/dist/cctv-out" >&2; exit 1; }
elif [ "${1:-}" = "--in-container" ]; then
  rm -rf deploy/dist && mkdir -p deploy/dist
  "$docker_bin" image inspect swift:6.3.1-bookworm >/dev/null 2>&1 \
    || { echo "build-image: no swift:6.3.1-bookworm image; run container-engine.sh swift (or docker pull it where pulling works)" >&2; exit 1; }
  DOCKER_BUILDKIT=1 "$docker_bin" build -f deploy/Dockerfile.build -o deploy/dist .
else
  rm -rf deploy/dist && mkdir -p deploy/dist
  # Own scratch folder: the debug and plain release builds in .build keep their flags (no rebuild
  # ping-pong between static and dynamic Swift runtime).
  swift build -c release --product cctv-out --static-swift-stdlib --scratch-path .build/static
  cp .build/static/release/cctv-out deploy/dist/
  cp -R .build/static/release/*.resources deploy/dist/
fi
strip deploy/dist/cctv-out   # symbol tables only (a smaller image); crash backtraces then show addresses
# Fails here, not at container start, when the binary wants a library the image lacks.
missing="$(ldd deploy/dist/cctv-out | grep -E 'libswift|libFoundation|not found' || true)"
[ -z "$missing" ] || { echo "build-image: the binary is not self-contained: $missing" >&2; exit 1; }
"$docker_bin" build -q -t "$image" deploy >/dev/null
unresolved="$("$docker_bin" run --rm --entrypoint ldd "$image" /opt/cctv-out/cctv-out | grep 'not found' || true)"
[ -z "$unresolved" ] || { echo "build-image: the image lacks libraries the binary needs (add their Debian packages to deploy/Dockerfile): $unresolved" >&2; exit 1; }
echo "build-image: $image $("$docker_bin" image inspect -f '{{.Size}}' "$image" | awk '{printf "%.1f MB", $1/1e6}')" \
     "(binary $(du -m deploy/dist/cctv-out | cut -f1) MB, $(ldd deploy/dist/cctv-out | wc -l) shared libraries)"
