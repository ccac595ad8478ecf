#!/bin/sh
# Builds the notify-push Debian package from a release binary with Debian's
# own dpkg-deb: mkdeb.sh <binary> <debian arch> <version> <output .deb>.
# File dates come from SOURCE_DATE_EPOCH (make deb sets the last commit's),
# so the same inputs give the same package.
set -eu
bin=$1 arch=$2 version=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd)
: "${SOURCE_DATE_EPOCH:=0}"
export SOURCE_DATE_EPOCH

stage=$(mktemp -d)
chmod 0755 "$stage"
trap 'rm -rf "$stage"' EXIT
install -d -m 0755 "$stage/DEBIAN" "$stage/usr/bin" "$stage/lib/systemd/system" "$stage/etc/notify_push"
install -m 0755 "$bin" "$stage/usr/bin/notify_push"
install -m 0644 "$here/notify_push.service" "$stage/lib/systemd/system/notify_push.service"
install -m 0600 "$here/notify_push.env" "$stage/etc/notify_push/notify_push.env"
install -m 0755 "$here/postinst" "$here/prerm" "$here/postrm" "$stage/DEBIAN/"
echo /etc/notify_push/notify_push.env > "$stage/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@SIZE@/$size/" "$here/control" > "$stage/DEBIAN/control"
chmod 0644 "$stage/DEBIAN/control" "$stage/DEBIAN/conffiles"
find "$stage" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +
dpkg-deb --root-owner-group -Zxz --build "$stage" "$out" >/dev/null
echo "$out"
