#!/usr/bin/env bash
# docker/build-base-image.sh — builds the local base image `archipelago-base:25` without any
# container registry: a jlinked Java 25 runtime, the shared libraries it needs (found with ldd),
# and a static busybox for /bin/sh, assembled in a root filesystem and `docker import`ed.
#
# The image has the layout of the official eclipse-temurin images (JAVA_HOME=/opt/java/openjdk,
# java on PATH), so the project's Dockerfile builds on either:
#   docker build --build-arg BASE_IMAGE=archipelago-base:25 ...     (what CI does: no registry)
#   docker build ...                                                 (default: eclipse-temurin:25-jdk)
#
# Usage: docker/build-base-image.sh [--tag NAME] [--jdk DIR] [--busybox FILE] [--force]
#   --tag NAME      image to create (default: archipelago-base:25)
#   --jdk DIR       JDK 25 to jlink from (default: found like ./archipelago finds it)
#   --busybox FILE  a statically linked busybox (default: `busybox` on PATH if static, else the
#                   Debian package busybox-static fetched with `apt-get download`)
#   --force         rebuild even if the image exists
# Environment: ARCHIPELAGO_JRE_MODULES overrides the module list below.
set -euo pipefail

tag="archipelago-base:25"
jdk=""
busybox=""
force=""
required=25

usage() { sed -n '2,/^[^#]/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"; }
die() { echo "build-base-image: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
    --jdk) jdk="${2:?--jdk needs a value}"; shift 2 ;;
    --busybox) busybox="${2:?--busybox needs a value}"; shift 2 ;;
    --force) force=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done

# Modules: what `jdeps --print-module-deps` reports for the distribution's jars (java.base,
# java.compiler, java.desktop, java.management, java.naming, java.sql, jdk.jfr, jdk.unsupported;
# java.se covers the java.* ones), plus what is used reflectively or named in jvm.options:
# jdk.compiler (Chronicle's runtime compiler; --add-exports/--add-opens jdk.compiler/...),
# jdk.management (com.sun.management beans), jdk.zipfs, jdk.net (socket options), and jdk.jcmd
# so that `docker exec <container> jcmd 1 Thread.print` works when something needs a look.
modules="${ARCHIPELAGO_JRE_MODULES:-java.se,jdk.unsupported,jdk.compiler,jdk.management,jdk.jfr,jdk.zipfs,jdk.net,jdk.jcmd}"

command -v docker >/dev/null 2>&1 || die "needs the docker command line (e.g. apt-get install docker.io)"
docker info >/dev/null 2>&1 || die "cannot reach a Docker engine (is dockerd running? \`docker info\` fails)"
if [[ -z "$force" ]] && docker image inspect "$tag" >/dev/null 2>&1; then
  echo "build-base-image: $tag exists (use --force to rebuild it)"
  exit 0
fi

# --- the JDK to jlink from -------------------------------------------------------------------
jdk_version() {
  if [[ -f "$1/release" ]]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release"
  fi
}
if [[ -z "$jdk" ]]; then
  for c in "${JAVA_HOME:-}" /usr/lib/jvm/* /usr/java/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    if [[ -n "$c" && -x "$c/bin/jlink" && "$(jdk_version "$c")" == "$required" ]]; then
      jdk="$c"
      break
    fi
  done
  [[ -n "$jdk" ]] || die "needs a JDK $required with jlink (looked at \$JAVA_HOME, /usr/lib/jvm, /usr/java, /opt/java, /opt/jdk*, ~/.sdkman, ~/.jdks); pass --jdk DIR"
fi
[[ -x "$jdk/bin/jlink" ]] || die "$jdk has no bin/jlink: a JDK (not a JRE) is needed"
[[ "$(jdk_version "$jdk")" == "$required" ]] || die "$jdk is JDK '$(jdk_version "$jdk")', expected $required"

work=$(mktemp -d "${TMPDIR:-/tmp}/archipelago-base.XXXXXX")
trap 'rm -rf "$work"' EXIT
rootfs="$work/rootfs"
mkdir -p "$rootfs"

# --- busybox: /bin/sh and the usual tools ---------------------------------------------------
is_static() { file_out=$(LC_ALL=C ldd "$1" 2>&1 || true); [[ "$file_out" == *"not a dynamic executable"* || "$file_out" == *"statically linked"* ]]; }
if [[ -z "$busybox" ]]; then
  if command -v busybox >/dev/null 2>&1 && is_static "$(command -v busybox)"; then
    busybox=$(command -v busybox)
  elif command -v apt-get >/dev/null 2>&1; then
    echo "build-base-image: fetching the Debian package busybox-static (apt-get download)"
    (cd "$work" && apt-get download busybox-static >/dev/null 2>"$work/apt.log") \
      || { cat "$work/apt.log" >&2; die "apt-get download busybox-static failed (try apt-get update first, or pass --busybox FILE)"; }
    mkdir -p "$work/busybox-deb"
    dpkg-deb -x "$work"/busybox-static_*.deb "$work/busybox-deb"
    busybox="$work/busybox-deb/bin/busybox"
    mkdir -p "$rootfs/usr/share/doc/busybox-static"
    cp "$work/busybox-deb/usr/share/doc/busybox-static/copyright" "$rootfs/usr/share/doc/busybox-static/"
  else
    die "needs a statically linked busybox for /bin/sh: install busybox-static, or pass --busybox FILE"
  fi
fi
[[ -x "$busybox" ]] && is_static "$busybox" || die "$busybox is not a statically linked executable"
mkdir -p "$rootfs/bin" "$rootfs/usr/bin" "$rootfs/sbin" "$rootfs/usr/sbin" "$rootfs/usr/local/bin"
cp "$busybox" "$rootfs/bin/busybox"
for applet in $("$rootfs/bin/busybox" --list); do
  [[ -e "$rootfs/bin/$applet" ]] || ln -s busybox "$rootfs/bin/$applet"
done
ln -s /bin/env "$rootfs/usr/bin/env"

# --- the Java runtime -----------------------------------------------------------------------
echo "build-base-image: jlink from $jdk: $modules"
mkdir -p "$rootfs/opt/java"
jlink_options=(--add-modules "$modules" --strip-debug --no-man-pages --no-header-files --compress=zip-6)
if "$jdk/bin/jlink" --list-plugins 2>/dev/null | grep -q -- '--generate-cds-archive'; then
  jlink_options+=(--generate-cds-archive)   # class data sharing: faster JVM start in every container
fi
"$jdk/bin/jlink" "${jlink_options[@]}" --output "$rootfs/opt/java/openjdk" >"$work/jlink.log" 2>&1 \
  || { cat "$work/jlink.log" >&2; die "jlink failed"; }

# --- the shared libraries the runtime links against (ldd), at the same paths as here --------
# Libraries of the core (java launcher, JVM, java/net/nio/zip) must all resolve; the optional
# ones (AWT's X11, sound) are copied when this machine has them and skipped otherwise.
copy_library() {
  local lib="$1"
  [[ -e "$rootfs$lib" ]] && return 0
  mkdir -p "$rootfs$(dirname "$lib")"
  cp -L "$lib" "$rootfs$lib"
}
missing_core=""
while IFS= read -r -d '' object; do
  case "$(basename "$object")" in
    java|libjli.so|libjvm.so|libjava.so|libnet.so|libnio.so|libzip.so|libjimage.so|libverify.so|libmanagement.so) core=1 ;;
    *) core="" ;;
  esac
  while read -r line; do
    if [[ "$line" == *"=> not found"* ]]; then
      name=${line%% *}
      # the runtime's own libraries (libjvm.so in lib/server) are found by the JVM, not by ldd
      [[ -n $(find "$rootfs/opt/java/openjdk/lib" -name "$name" -print -quit) ]] && continue
      if [[ -n "$core" ]]; then missing_core+=" $name (for $(basename "$object"))"; else echo "build-base-image: skipping $name (optional, for $(basename "$object")): not on this machine"; fi
    elif [[ "$line" =~ =\>\ (/[^ ]+) ]]; then
      [[ "${BASH_REMATCH[1]}" == "$rootfs"* ]] || copy_library "${BASH_REMATCH[1]}"
    elif [[ "$line" =~ ^(/[^ ]+)\ \( ]]; then
      copy_library "${BASH_REMATCH[1]}"        # the dynamic loader, e.g. /lib64/ld-linux-x86-64.so.2
    fi
  done < <(LC_ALL=C ldd "$object" 2>/dev/null || true)
done < <(find "$rootfs/opt/java/openjdk" -type f \( -name '*.so' -o -path '*/bin/*' \) -print0)
[[ -z "$missing_core" ]] || die "the Java runtime needs libraries this machine lacks:$missing_core"
# Loaded with dlopen, so ldd cannot see it: glibc needs libgcc_s to unwind a thread that exits.
libc=$(find "$rootfs" -name 'libc.so.6' -print -quit)
libgcc=$(LC_ALL=C ldconfig -p 2>/dev/null | sed -n 's/.*libgcc_s.so.1 (libc6,x86-64) => \(.*\)/\1/p' | head -n 1)
[[ -n "$libgcc" && -e "$libgcc" ]] || libgcc=$(find /lib /usr/lib -name 'libgcc_s.so.1' -print -quit 2>/dev/null)
[[ -n "$libgcc" ]] || die "cannot find libgcc_s.so.1 (glibc loads it when a thread exits)"
mkdir -p "$rootfs$(dirname "${libc#"$rootfs"}")"
cp -L "$libgcc" "$rootfs$(dirname "${libc#"$rootfs"}")/libgcc_s.so.1"

# --- a minimal /etc, /tmp and a home for the image's user -----------------------------------
mkdir -p "$rootfs/etc" "$rootfs/root" "$rootfs/var/tmp"
mkdir -m 1777 -p "$rootfs/tmp"
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
cat >"$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$rootfs/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
echo 'hosts: files dns' >"$rootfs/etc/nsswitch.conf"
cat >"$rootfs/etc/os-release" <<EOF
NAME="archipelago-base"
PRETTY_NAME="archipelago-base (jlinked Java $required runtime and busybox)"
ID=archipelago-base
EOF

# --- import ---------------------------------------------------------------------------------
java_version=$(sed -n 's/^JAVA_VERSION="\(.*\)"/\1/p' "$rootfs/opt/java/openjdk/release")
echo "build-base-image: importing $(du -sh "$rootfs" | cut -f1) as $tag (Java ${java_version:-$required})"
tar -C "$rootfs" --numeric-owner --owner=0 --group=0 -c . | docker import \
  --change 'ENV JAVA_HOME=/opt/java/openjdk' \
  --change 'ENV PATH=/opt/java/openjdk/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV LANG=C.UTF-8' \
  --change 'CMD ["/bin/sh"]' \
  --change "LABEL org.opencontainers.image.title=archipelago-base org.opencontainers.image.description=\"jlinked Java ${java_version:-$required} runtime (${modules}) with busybox, built by docker/build-base-image.sh\"" \
  --message "docker/build-base-image.sh: jlink of $jdk" \
  - "$tag" >/dev/null
docker run --rm "$tag" java -version >"$work/check.log" 2>&1 || { cat "$work/check.log" >&2; die "the new image cannot run java"; }
echo "build-base-image: $tag is ready: $(head -n 1 "$work/check.log")"
