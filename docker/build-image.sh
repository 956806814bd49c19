#!/usr/bin/env bash
# docker/build-image.sh — builds the Archipelago image (one image for the coordinator and the
# kernels) from this source tree: the distribution with the Maven wrapper, then `docker build`
# of the top-level Dockerfile.
#
# Usage: docker/build-image.sh [--tag NAME] [--base IMAGE | --local-base] [--skip-dist]
#   --tag NAME     image to build (default: $ARCHIPELAGO_IMAGE, else archipelago:dev, the name
#                  docker-compose.yml uses)
#   --base IMAGE   Java 25 runtime to build on (default: eclipse-temurin:25-jdk, from a registry;
#                  it needs jdk.compiler, which the official JRE images lack)
#   --local-base   build on archipelago-base:25, made first by docker/build-base-image.sh if it is
#                  missing: no registry needed (what CI and the container tests do)
#   --skip-dist    do not run Maven: package cli/target/archipelago as it is
set -euo pipefail

here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
root=$(dirname "$here")
tag="${ARCHIPELAGO_IMAGE:-archipelago:dev}"
base="eclipse-temurin:25-jdk"
local_base=""
skip_dist=""

usage() { sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; }
die() { echo "build-image: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
    --base) base="${2:?--base needs a value}"; shift 2 ;;
    --local-base) local_base=1; base="archipelago-base:25"; shift ;;
    --skip-dist) skip_dist=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done

command -v docker >/dev/null 2>&1 || die "needs the docker command line (e.g. apt-get install docker.io)"
docker info >/dev/null 2>&1 || die "cannot reach a Docker engine (is dockerd running? \`docker info\` fails)"

dist="$root/cli/target/archipelago"
if [[ -z "$skip_dist" ]]; then
  echo "build-image: building the distribution (./mvnw -DskipTests -pl cli -am package)"
  (cd "$root" && ./mvnw -B -ntp -q -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true -Darchipelago.class-data.skip=true -pl cli -am package) || die "the Maven build failed"
fi
[[ -f "$dist/jvm.options" && -d "$dist/lib" ]] \
  || die "no distribution in $dist: build it with ./mvnw -DskipTests -pl cli -am package (or drop --skip-dist)"

if [[ -n "$local_base" ]]; then
  "$here/build-base-image.sh" --tag "$base"
fi

echo "build-image: docker build -t $tag on $base"
log=$(mktemp "${TMPDIR:-/tmp}/archipelago-image.XXXXXX")
trap 'rm -f "$log"' EXIT
# The legacy builder works with every engine, including Debian's 20.10 without buildx.
if ! DOCKER_BUILDKIT=0 docker build --build-arg "BASE_IMAGE=$base" -t "$tag" -f "$root/Dockerfile" "$root" >"$log" 2>&1; then
  grep -v '^DEPRECATED\|^ *Install the buildx\|^ *https://docs.docker.com/go/buildx' "$log" | tail -n 30 >&2
  die "docker build failed (base image $base${local_base:+, built locally}; with no registry, use --local-base)"
fi
echo "build-image: $tag is ready ($(docker image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
