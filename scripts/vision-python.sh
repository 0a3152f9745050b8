#!/usr/bin/env bash
# Installs Debian's python3-onnx (1.12 on Debian 12) for the vision saliency
# test, which regenerates vision/saliency/spectral_residual.onnx with
# vision/saliency/gen_saliency.py under Debian's own /usr/bin/python3 (not a
# pyenv python3 that may come first on PATH). Idempotent.
set -euo pipefail

if /usr/bin/python3 -c 'import onnx' >/dev/null 2>&1; then
	exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "vision-python: apt-get install python3-onnx"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-onnx >/dev/null
