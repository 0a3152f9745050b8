#!/usr/bin/env bash
# Installs Debian's chromium, and a font for its screenshots, for the browser
# test (make browser-test). Idempotent: does nothing when $CHROMIUM
# (default /usr/bin/chromium) is already there. Exits non-zero when it cannot
# install it; the Makefile decides whether that skips or fails the test.
set -euo pipefail

CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"

if [ ! -x "$CHROMIUM" ]; then
	sudo=""
	if [ "$(id -u)" != 0 ]; then
		if ! command -v sudo >/dev/null 2>&1; then
			echo "install-chromium: not root and no sudo: cannot apt-get install chromium" >&2
			exit 1
		fi
		sudo="sudo -n"
	fi
	echo "install-chromium: apt-get install chromium fonts-dejavu-core"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
fi
if [ ! -x "$CHROMIUM" ]; then
	echo "install-chromium: no $CHROMIUM after the install" >&2
	exit 1
fi
# Debian's wrapper script prints a harmless shell error on some machines;
# only the version line matters here.
echo "chromium: $CHROMIUM ($("$CHROMIUM" --version 2>/dev/null))"
