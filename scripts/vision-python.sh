#!/usr/bin/env bash
# Installs Debian's python3-onnx (1.12 on Debian 12), python3-flatbuffers and
# python3-numpy: for vision/models/convert (TFLite -> ONNX, run by
# scripts/vision-fetch.sh) and for the vision saliency test, which regenerates vision/saliency/spectral_residual.onnx with
# vision/saliency/gen_saliency.py under Debian's own /usr/bin/python3 (not a
# pyenv python3 that may come first on PATH). Idempotent.
set -euo pipefail

if /usr/bin/python3 -c 'import onnx, flatbuffers, numpy' >/dev/null 2>&1; then
	exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
echo "vision-python: apt-get install python3-onnx python3-flatbuffers python3-numpy"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends python3-onnx python3-flatbuffers python3-numpy >/dev/null
