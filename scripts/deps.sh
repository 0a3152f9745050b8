#!/usr/bin/env bash
# Installs what pixmill needs to build and run on Debian 12, and nothing that
# is already there: make, a C toolchain and libvips-dev from apt (only when
# `pkg-config --exists vips` fails), a Go toolchain (only when `go` is missing
# or older than go.mod asks), and the Go modules.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

need_apt=()
command -v make >/dev/null 2>&1 || need_apt+=(make)
command -v gcc >/dev/null 2>&1 || need_apt+=(gcc libc6-dev)
command -v pkg-config >/dev/null 2>&1 || need_apt+=(pkg-config)
command -v curl >/dev/null 2>&1 || need_apt+=(curl ca-certificates)
command -v unzip >/dev/null 2>&1 || need_apt+=(unzip)
if ! pkg-config --exists vips 2>/dev/null; then need_apt+=(libvips-dev); fi
if [ ${#need_apt[@]} -gt 0 ]; then
	echo "deps: apt-get install ${need_apt[*]}"
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# Go: the version go.mod names, from the Go module proxy's toolchain module
# (what GOTOOLCHAIN downloads) when no new enough go is on PATH; the proxy's
# URL is GOPROXY's.
want="$(awk '/^go /{print $2}' go.mod)"
have=""
if command -v go >/dev/null 2>&1; then have="$(go env GOVERSION | sed 's/^go//')"; fi
if [ -z "$have" ] || [ "$(printf '%s\n%s\n' "$want" "$have" | sort -V | head -1)" != "$want" ]; then
	ver="1.26.8"
	dir="${PIXMILL_GO_DIR:-$HOME/.local/pixmill-go}"
	if [ ! -x "$dir/bin/go" ]; then
		# The module proxy comes from the environment (GOPROXY, as the go
		# command reads it: the first http(s) entry of the list); no
		# registry host is written in this repository.
		proxy="$(printf '%s' "${GOPROXY:-}" | tr ',|' '\n\n' | grep -E '^https?://' | head -1 || true)"
		if [ -z "$proxy" ]; then
			echo "deps: Go $want or newer is not on PATH, and GOPROXY names no module proxy to fetch it from." >&2
			echo "deps: install Go $want (or set GOPROXY to your Go module proxy's URL) and run this again." >&2
			exit 1
		fi
		echo "deps: fetching Go $ver toolchain from $proxy into $dir"
		tmp="$(mktemp -d)"
		curl -fsSL -o "$tmp/go.zip" "${proxy%/}/golang.org/toolchain/@v/v0.0.1-go${ver}.linux-$(dpkg --print-architecture).zip"
		unzip -q "$tmp/go.zip" -d "$tmp"
		mkdir -p "$(dirname "$dir")"
		rm -rf "$dir"
		mv "$tmp/golang.org/toolchain@v0.0.1-go${ver}.linux-$(dpkg --print-architecture)" "$dir"
		chmod +x "$dir"/bin/* "$dir"/pkg/tool/*/* 2>/dev/null || true
		rm -rf "$tmp"
	fi
	echo "deps: Go is at $dir/bin; add it to PATH: export PATH=$dir/bin:\$PATH"
	export PATH="$dir/bin:$PATH"
fi

go mod download
