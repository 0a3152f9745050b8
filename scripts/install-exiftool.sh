#!/usr/bin/env bash
# Installs exiftool (Debian's libimage-exiftool-perl), which the metadata
# tests use to write IPTC and XMP copyright notices into test files and to
# read what pixmill's outputs kept. Idempotent: does nothing when exiftool
# is already on PATH.
set -euo pipefail

if command -v exiftool >/dev/null 2>&1; then
	echo "exiftool: $(command -v exiftool)"
	exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
	SUDO=sudo
fi
echo "install-exiftool: apt-get install libimage-exiftool-perl"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends libimage-exiftool-perl >/dev/null
echo "exiftool: $(command -v exiftool)"
