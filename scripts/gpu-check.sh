#!/usr/bin/env bash
# The first machine with an NVIDIA GPU turns the sidecar's GPU route into
# numbers with this one command:
#
#	scripts/gpu-check.sh            # output also lands in bin/gpu-check/
#
# It needs the CUDA 13 user-space libraries (cuBLAS/cuBLASLt, cuDNN 9, cuFFT,
# cudart) on the loader path: no Debian package here carries them; in
# production they come from NVIDIA's CUDA base image, the
# nvidia/cuda:13.0.0-cudnn-runtime-ubuntu24.04 variant (runtime + cuDNN;
# docs/vision.md, "GPU"). On such a machine it:
#   1. fetches what it can: the CUDA route of ONNX Runtime (scripts/vision-fetch.sh
#      --cuda, from npm) and the models (make vision, which converts the
#      full-range detector);
#   2. prints the GPU, the driver and which of the CUDA libraries the loader finds;
#   3. runs TestCUDA (the models on the GPU must agree with the CPU);
#   4. runs the sidecar binary with --providers cuda,cpu and prints the
#      provider it chose (from its log);
#   5. benchmarks the models alone at batch 1, 4 and 16 for the full-range
#      and back models (previews/s = throughput; ns/op at batch 1 = latency),
#      and the sidecar over loopback at concurrency 1 and 8 (p50/p99).
set -uo pipefail
cd "$(dirname "$0")/.."
out=bin/gpu-check
mkdir -p "$out"
exec > >(tee "$out/report.txt") 2>&1
step() { echo; echo "== $*"; }

step "GPU and driver"
if ! command -v nvidia-smi >/dev/null 2>&1 || ! nvidia-smi; then
	echo "gpu-check: no nvidia-smi / no GPU visible; the CUDA steps below will fail and say why"
fi
for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcufft.so.12 libcudnn.so.9; do
	if ldconfig -p 2>/dev/null | grep -q "$lib" || { [ -n "${LD_LIBRARY_PATH:-}" ] && find ${LD_LIBRARY_PATH//:/ } -maxdepth 1 -name "$lib*" 2>/dev/null | grep -q .; }; then
		echo "found   $lib"
	else
		echo "MISSING $lib (from the CUDA 13 / cuDNN 9 image or NVIDIA's packages)"
	fi
done

step "fetch: ONNX Runtime CUDA route and the models"
scripts/vision-fetch.sh --cuda || { echo "gpu-check: vision-fetch --cuda failed (npm reachable?)"; exit 1; }
make --no-print-directory vision || exit 1

step "TestCUDA: the models on the GPU agree with the CPU"
PIXMILL_VISION_CUDA=1 go test -count=1 ./vision/engine -run 'CUDA' -v

step "the sidecar binary with --providers cuda,cpu"
log="$out/sidecar.log"
bin/pixmill-vision --listen 127.0.0.1:18091 --providers cuda,cpu >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 60); do
	if grep -q 'models loaded' "$log"; then break; fi
	sleep 0.5
done
grep -E 'models loaded|provider' "$log" | head -5
kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null

step "models alone on the GPU: throughput at batch 1/4/16, both models"
PIXMILL_VISION_CUDA=1 PIXMILL_BENCH_PROVIDER=cuda go test -count=1 ./vision/engine -run '^$' -bench 'Run/' -benchtime 200x

step "sidecar over loopback on the GPU: latency p50/p99 at concurrency 1 and 8"
PIXMILL_VISION_CUDA=1 PIXMILL_BENCH_PROVIDER=cuda go test -count=1 ./vision/sidecar -run '^$' -bench 'Analyze/conc=(1|8)/' -benchtime 400x

echo
echo "gpu-check: done; the report is in $out/report.txt"
