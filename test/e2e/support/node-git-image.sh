#!/usr/bin/env bash
# Builds a base image for the tool's Dockerfile from this machine's own parts, since no image can be pulled here:
# its node binary, npm and git with the shared libraries `ldd` lists for them, busybox (for /bin/sh, taken from
# the busybox:latest image the e2e tests need anyway: it is static), and a copy of the npm cache with npm set
# offline, so that `npm ci` in the build reads the cache instead of the registry.
#
#   test/e2e/support/node-git-image.sh IMAGE
set -euo pipefail

IMAGE=${1:?usage: $0 IMAGE}
say() { echo "node-git-image: $*" >&2; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

# Copies each file to the same path under the image's root, following symlinks.
place() {
  local file
  for file in "$@"; do
    mkdir -p "$root$(dirname "$file")"
    cp -L "$file" "$root$file"
  done
}

# A binary and every shared library it loads.
with_libraries() {
  local binary=$1
  place "$binary"
  # shellcheck disable=SC2046
  place $(ldd "$binary" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }')
}

node=$(command -v node)
git=$(command -v git)
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
cache=$(npm config get cache)/_cacache

with_libraries "$node"
with_libraries "$git"
mkdir -p "$root/usr/lib"
cp -a "$(git --exec-path)" "$root/usr/lib/git-core"
mkdir -p "$root/usr/lib/node_modules" "$root/usr/local/bin"
cp -a "$npm_dir" "$root/usr/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/bin/npm"
[ "$node" = /usr/bin/node ] || ln -s "$node" "$root/usr/bin/node"
[ "$git" = /usr/bin/git ] || ln -s "$git" "$root/usr/bin/git"

mkdir -p "$root/bin" "$root/tmp" "$root/root/.npm" "$root/etc"
chmod 1777 "$root/tmp"
container=$(docker create busybox:latest)
docker cp "$container:/bin/busybox" "$root/bin/busybox" >/dev/null
docker rm "$container" >/dev/null
for applet in $(docker run --rm busybox:latest busybox --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
[ -e "$root/usr/bin/env" ] || ln -s ../../bin/env "$root/usr/bin/env"
cp -a "$cache" "$root/root/.npm/_cacache"
echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"

say "importing ${IMAGE}"
tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
  docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV npm_config_offline=true' \
    -c 'ENV npm_config_update_notifier=false' \
    -m "node, npm, git and the npm cache of this machine (test/e2e/support/node-git-image.sh)" \
    - "$IMAGE" >/dev/null
