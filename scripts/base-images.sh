#!/usr/bin/env bash
# Makes, from Debian packages, the base images the Dockerfile names, for a
# machine that can reach Debian's archive but no container registry:
#
#   debian:bookworm-slim    debootstrap --variant=minbase bookworm, slimmed the
#                           way the official image is (no docs, man pages,
#                           locales), then `docker import`; it trusts the
#                           local CA certificates this machine trusts
#   golang:1.26-bookworm    that rootfs plus gcc, libc6-dev, make, pkg-config,
#                           git, ca-certificates and the Go toolchain this
#                           machine builds with, at /usr/local/go as the
#                           official image has it (GOPATH=/go, GOTOOLCHAIN=local)
#
# The Dockerfile is not changed for this: with a registry the same tags are
# simply pulled. An image already present under its tag is left alone
# (PIXMILL_BASE_REBUILD=1 makes both again).
#
# The Debian mirror is DEBIAN_MIRROR when set, else the first Debian archive
# this machine's own apt sources name (/etc/apt/sources.list(.d)); no mirror
# host is written in this repository. The images' apt sources are the ones
# debootstrap used, so `apt-get install` in a Dockerfile stage reaches the
# same archive.
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKER="${DOCKER:-docker}"
slim_tag="debian:bookworm-slim"
go_tag="golang:1.26-bookworm"
work="${PIXMILL_BASE_WORK:-/var/tmp/pixmill-base}"

have() { [ "${PIXMILL_BASE_REBUILD:-0}" != 1 ] && "$DOCKER" image inspect "$1" >/dev/null 2>&1; }
if have "$slim_tag" && have "$go_tag"; then
	echo "base-images: $slim_tag and $go_tag present"
	exit 0
fi

if [ "$(id -u)" != 0 ]; then echo "base-images: debootstrap and chroot need root" >&2; exit 1; fi
if ! command -v debootstrap >/dev/null 2>&1; then
	echo "base-images: apt-get install debootstrap"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
fi

# mirror: the first URI of a Debian archive (a source whose suites include
# bookworm, not bookworm-security) in this machine's apt sources.
mirror="${DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
	mirror="$(
		{
			# deb822 .sources: URIs/Suites pairs per paragraph
			for f in /etc/apt/sources.list.d/*.sources; do
				[ -f "$f" ] || continue
				awk 'BEGIN{RS=""; FS="\n"} {u=""; s=""; for(i=1;i<=NF;i++){ if($i ~ /^URIs:/){sub(/^URIs:[ \t]*/,"",$i); split($i,a," "); u=a[1]} if($i ~ /^Suites:/){s=$i} } if(u!="" && s ~ /[ \t]bookworm([ \t]|$)/) print u}' "$f"
			done
			# one-line sources.list: deb [opts] URI bookworm main
			{ cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null || true; } |
				awk '$1=="deb" { i=2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } if ($(i+1)=="bookworm") print $i }'
		} | head -1 || true
	)"
fi
if [ -z "$mirror" ]; then
	echo "base-images: no Debian mirror: set DEBIAN_MIRROR, or list a bookworm archive in /etc/apt/sources.list(.d)" >&2
	exit 1
fi
echo "base-images: debootstrap bookworm from $mirror"

rm -rf "$work"
mkdir -p "$work"
root="$work/slim"
debootstrap --variant=minbase --include=ca-certificates bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
	tail -20 "$work/debootstrap.log" >&2
	exit 1
}

# The apt sources the images use: this machine's Debian entries when it has
# them in deb822 form (updates and security included), else the mirror.
if [ -z "${DEBIAN_MIRROR:-}" ] && [ -f /etc/apt/sources.list.d/debian.sources ]; then
	cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/debian.sources"
	: >"$root/etc/apt/sources.list"
fi

# Trust what this machine trusts: the local CA certificates it added (a
# site's TLS proxy, for instance) go into the images' store too, as a site's
# own base images would carry them. None is in this repository.
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
	cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
	chroot "$root" update-ca-certificates >/dev/null 2>&1
fi

# Slim like the official -slim images: keep docs, man pages and locales out
# of every later apt-get install too.
cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
CFG
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";
CFG
echo 'APT::Install-Recommends "false";' >"$root/etc/apt/apt.conf.d/docker-no-recommends"
find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log
: >"$root/etc/resolv.conf"
: >"$root/etc/hostname"

import() { # import DIR TAG [--change ...]
	local dir="$1" tag="$2"
	shift 2
	tar --numeric-owner -C "$dir" -c . | "$DOCKER" import "$@" - "$tag" >/dev/null
	echo "base-images: $tag ($("$DOCKER" image inspect -f '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}'))"
}
import "$root" "$slim_tag" --change 'CMD ["bash"]'

# The Go build image: the same rootfs, a C toolchain, and this machine's Go.
goroot="$(go env GOROOT)"
gover="$(go env GOVERSION)"
cp -a "$root" "$work/go"
root="$work/go"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
trap 'umount "$root/proc" 2>/dev/null || true' EXIT
chroot "$root" apt-get update -qq
DEBIAN_FRONTEND=noninteractive chroot "$root" apt-get install -y -qq --no-install-recommends \
	gcc libc6-dev make pkg-config git ca-certificates >/dev/null
rm -rf "$root"/var/lib/apt/lists/*
umount "$root/proc"
trap - EXIT
: >"$root/etc/resolv.conf"
mkdir -p "$root/usr/local" "$root/go/bin" "$root/go/src"
cp -a "$goroot" "$root/usr/local/go"
import "$root" "$go_tag" \
	--change "ENV GOLANG_VERSION=${gover#go}" \
	--change 'ENV GOTOOLCHAIN=local' \
	--change 'ENV GOPATH=/go' \
	--change 'ENV PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
	--change 'WORKDIR /go' \
	--change 'CMD ["bash"]'
rm -rf "$work"
