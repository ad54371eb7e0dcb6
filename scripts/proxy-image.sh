#!/usr/bin/env bash
# Make sure the engine has `caddy:2`, the image of the reverse proxy that `proxy: true` services sit behind.
#
# Real hosts pull the official image. No registry is reachable here, so the image is built from Debian's `caddy`
# package (installed when missing), its shared libraries and CA certificates, and `docker import`ed under the
# official name, with the official image's volumes and environment. Quiet when the image already exists.
#
#   scripts/proxy-image.sh            build caddy:2 when it is missing
#   scripts/proxy-image.sh --force    rebuild it even when it exists
set -euo pipefail

IMAGE=${PROXY_IMAGE:-caddy:2}

say() { echo "proxy-image: $*" >&2; }
die() {
  say "$*"
  exit 1
}

force=0
[ "${1:-}" = --force ] && force=1
if [ "$force" -eq 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  exit 0
fi

if [ ! -x /usr/bin/caddy ]; then
  [ "$(id -u)" -eq 0 ] || die "Debian's caddy package is missing; run this script as root to install it"
  say "installing caddy (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends caddy >/dev/null ||
    { apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends caddy >/dev/null; }
fi

say "building ${IMAGE} from /usr/bin/caddy"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{usr/bin,etc/caddy,config,data,tmp,srv}
chmod 1777 "$root/tmp"
cp /usr/bin/caddy "$root/usr/bin/caddy"
# The binary's shared libraries at the paths it was linked against (libzstd, libc, the loader).
for lib in $(ldd /usr/bin/caddy | grep -o '/[^ ]*'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
[ -f /etc/ssl/certs/ca-certificates.crt ] && mkdir -p "$root/etc/ssl/certs" &&
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"
echo 'root:x:0:0:root:/root:/bin/false' >"$root/etc/passwd"
echo 'root:x:0:' >"$root/etc/group"
echo ':80 { respond "Caddy works" }' >"$root/etc/caddy/Caddyfile"

tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
  docker import \
    -c 'ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data' \
    -c 'VOLUME ["/config", "/data"]' \
    -c 'EXPOSE 80 443 2019' \
    -c 'CMD ["caddy", "run", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]' \
    -c 'ENV PATH=/usr/bin' \
    -m "caddy from Debian's caddy package (scripts/proxy-image.sh)" \
    - "$IMAGE" >/dev/null

say "checking ${IMAGE}"
out=$(docker run --rm "$IMAGE" caddy version 2>&1 || true)
case "$out" in
v2* | 2.*) say "${IMAGE} is ready (${out%% *})" ;;
*) die "${IMAGE} does not work: 'caddy version' printed '${out}'" ;;
esac
