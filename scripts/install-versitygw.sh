#!/usr/bin/env bash
# Installs the versitygw S3 gateway that the source package's S3 tests start.
# Idempotent: does nothing when versitygw is already on PATH or in $(go env GOPATH)/bin.
set -euo pipefail

VERSION="${VERSITYGW_VERSION:-v1.8.0}"

if command -v versitygw >/dev/null 2>&1; then
	echo "versitygw: $(command -v versitygw)"
	exit 0
fi

gobin="$(go env GOBIN)"
if [ -z "$gobin" ]; then
	gobin="$(go env GOPATH)/bin"
fi
if [ -x "$gobin/versitygw" ]; then
	echo "versitygw: $gobin/versitygw"
	exit 0
fi

echo "installing versitygw $VERSION into $gobin"
go install "github.com/versity/versitygw/cmd/versitygw@${VERSION}"
echo "versitygw: $gobin/versitygw"
