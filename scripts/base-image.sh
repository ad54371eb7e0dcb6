#!/usr/bin/env bash
# Make sure the engine has `busybox:latest`, the base image of the shipped examples and of the e2e tests.
#
# No registry is reachable here, so the image is built from the host's static busybox (package busybox-static)
# and `docker import`ed. Quiet when the image already exists.
#
#   scripts/base-image.sh            build busybox:latest when it is missing
#   scripts/base-image.sh --force    rebuild it even when it exists
set -euo pipefail

IMAGE=busybox:latest
BUSYBOX=/bin/busybox

say() { echo "base-image: $*" >&2; }
die() {
  say "$*"
  exit 1
}

force=0
[ "${1:-}" = --force ] && force=1

if [ "$force" -eq 0 ] && docker image inspect "$IMAGE" >/dev/null 2>&1; then
  exit 0
fi

[ -x "$BUSYBOX" ] || die "${BUSYBOX} is missing; run scripts/setup.sh (it installs busybox-static)"
if ldd "$BUSYBOX" >/dev/null 2>&1; then
  die "${BUSYBOX} is dynamically linked; install busybox-static (scripts/setup.sh does)"
fi

say "building ${IMAGE} from ${BUSYBOX}"
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,etc,tmp,www,root,home,proc,sys,dev,var/www,usr/bin}
chmod 1777 "$root/tmp"
cp "$BUSYBOX" "$root/bin/busybox"
# One relative symlink per applet, all in /bin like the official image. (`busybox --install -s DIR` would write
# absolute links to the host's own busybox path, /usr/bin/busybox on a merged-/usr Debian: dangling in the image.)
for applet in $("$BUSYBOX" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
ln -s ../../bin/env "$root/usr/bin/env"

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
www-data:x:33:33:www-data:/var/www:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
www-data:x:33:
nogroup:x:65534:
EOF

tar --numeric-owner --owner=0 --group=0 -C "$root" -c . |
  docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'CMD ["sh"]' \
    -m "busybox from the host's busybox-static (scripts/base-image.sh)" \
    - "$IMAGE" >/dev/null

say "checking ${IMAGE}"
out=$(docker run --rm "$IMAGE" sh -c 'command -v httpd >/dev/null && command -v wget >/dev/null && echo ok' 2>&1 || true)
[ "$out" = ok ] || die "${IMAGE} does not work: the check printed '${out}'"
say "${IMAGE} is ready"
