#!/usr/bin/env bash
# Builds the tripbench image with buildah (no Docker daemon needed) over a locally made base
# image, then checks it for real inside the built image's root filesystem:
#   - the image config: non-root numeric user, ENTRYPOINT ["tripbench"], no HEALTHCHECK
#   - no dev dependency (typescript, vitest) in the shipped node_modules, scenarios baked in
#   - `tripbench version`
#   - a short `tripbench load` against a loopback HTTP server started in the same container
#     (chroot isolation shares the host's network namespace, so loopback stays on this machine)
#   - `tripbench merge` re-reads the JSON that load wrote
# and prints the image size and build time. The last line is machine-readable:
#   tripbench-image: OK tag=<tag> size=<uncompressed, human> compressed_bytes=<n> build_seconds=<n> base=<base>
#
# Usage: scripts/build-image.sh [--tag NAME] [--no-cache] [--no-verify] [--no-compressed-size]
# Env:   BUILDAH_ISOLATION (default chroot), BUILD_CA_BUNDLE (CA bundle for npm during the build,
#        default the host's /etc/ssl/certs/ca-certificates.crt), and make-base-image.sh's knobs.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
version="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$repo/package.json" | head -n1)"
tag="localhost/tripbench:${version:-dev}"
verify=1
compressed=1
isolation="${BUILDAH_ISOLATION:-chroot}"
nocache=()

while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag="$2"; shift 2 ;;
    --tag=*) tag="${1#--tag=}"; shift ;;
    --no-verify) verify=0; shift ;;
    --no-compressed-size) compressed=0; shift ;;
    --no-cache) nocache=(--no-cache); shift ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "build-image: unknown argument $1" >&2; exit 2 ;;
  esac
done

log() { printf '[build-image] %s\n' "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

command -v buildah >/dev/null || die "buildah is not installed (apt-get install -y buildah)"
base="$(sed -n 's/^ARG NODE_IMAGE=//p' "$repo/Dockerfile" | head -n1)"
[ -n "$base" ] || die "no 'ARG NODE_IMAGE=' line in the Dockerfile"
[ -d "$repo/scenarios" ] || die "scenarios/ is missing: the image bakes it in"

"$here/make-base-image.sh" "$base"

# npm inside the build must trust what the build host trusts (a TLS-intercepting proxy's CA):
# the bundle goes in as a build secret, mounted for the npm steps only and never stored.
ca="${BUILD_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
secret=()
[ -s "$ca" ] && secret=(--secret "id=ca-certificates,src=$ca")

log "buildah bud --isolation $isolation -t $tag"
start=$(date +%s)
# --layers reuses the npm ci layers while package-lock.json is unchanged; --pull=never because
# the base exists only locally (there is no registry to pull from here).
buildah bud --isolation "$isolation" --pull=never --layers "${nocache[@]}" "${secret[@]}" -t "$tag" -f "$repo/Dockerfile" "$repo" >&2
build_seconds=$(( $(date +%s) - start ))

size="$(buildah images --format '{{.Size}}' "$tag" | head -n1 | tr -d ' ')"
compressed_bytes="n/a"
if [ "$compressed" = 1 ]; then
  # What a registry stores and a node downloads: the layers gzip-compressed.
  archive="$(mktemp -u "${TMPDIR:-/tmp}/tripbench-image.XXXXXX.tar")"
  buildah push --quiet --compression-format gzip "$tag" "oci-archive:$archive" >/dev/null
  compressed_bytes="$(stat -c %s "$archive")"
  rm -f "$archive"
fi
log "built $tag in ${build_seconds}s: $size uncompressed, $compressed_bytes bytes compressed, base $base"

if [ "$verify" = 1 ]; then
  cfg() { buildah inspect --type image --format "$1" "$tag"; }
  user="$(cfg '{{.OCIv1.Config.User}}')"
  [ "$user" = "1000:1000" ] || die "image user is '$user', want 1000:1000"
  entry="$(cfg '{{.OCIv1.Config.Entrypoint}}')"
  [ "$entry" = '[tripbench]' ] || die "entrypoint is $entry, want [\"tripbench\"]"
  hc="$(cfg '{{if .Docker.Config.Healthcheck}}{{.Docker.Config.Healthcheck.Test}}{{end}}')"
  [ -z "$hc" ] || die "image has a HEALTHCHECK: $hc"

  ctr="$(buildah from --pull=never "$tag")"
  trap 'buildah rm "$ctr" >/dev/null 2>&1 || true' EXIT
  run() { buildah run --isolation "$isolation" "$ctr" -- "$@"; }

  [ "$(run id -u)" = 1000 ] || die "commands do not run as uid 1000"
  run sh -c 'test ! -e /opt/tripbench/node_modules/typescript && test ! -e /opt/tripbench/node_modules/vitest' \
    || die "dev dependencies were shipped"
  run sh -c 'test -d "$TRIPBENCH_SCENARIOS"' || die "TRIPBENCH_SCENARIOS does not name a directory"

  out="$(run tripbench version)"
  log "tripbench version → $out"
  case "$out" in "tripbench "*) ;; *) die "unexpected version output: $out" ;; esac

  # The server and the load run in one container so the check depends on nothing outside it.
  load_out="$(run sh -c '
    set -e
    rm -f /tmp/port
    node -e "
      const s = require(\"node:http\").createServer((q, r) => r.end(\"ok\"));
      s.listen(0, \"127.0.0.1\", () => require(\"node:fs\").writeFileSync(\"/tmp/port\", String(s.address().port)));
      setTimeout(() => process.exit(0), 60000);
    " &
    srv=$!
    i=0
    while [ ! -s /tmp/port ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    tripbench load -qps 0 -c 2 -n 40 -json /tmp/load.json "http://127.0.0.1:$(cat /tmp/port)/" 2>&1
    kill $srv
    tripbench merge /tmp/load.json 2>&1
  ')" || { printf '%s\n' "$load_out" >&2; die "tripbench load inside the image failed"; }
  printf '%s\n' "$load_out" | sed 's/^/    /' >&2
  printf '%s\n' "$load_out" | grep -q '^Code 200 : 40 (100.0 %)' || die "the load did not make 40 successful calls"
  printf '%s\n' "$load_out" | grep -q '^All done 40 calls' || die "no 'All done' line from merge"
  log "verified: version, load (40 calls, all 200) and merge inside the image"
fi

printf 'tripbench-image: OK tag=%s size=%s compressed_bytes=%s build_seconds=%s base=%s\n' \
  "$tag" "$size" "$compressed_bytes" "$build_seconds" "$base"
