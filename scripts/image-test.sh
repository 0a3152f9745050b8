#!/usr/bin/env bash
# Builds both container images from the unchanged Dockerfile and runs them
# for real: the server container answers signed requests (AVIF and WebP that
# libvips decodes again), with the sidecar container answering g=face; both
# run as a non-root user on a read-only root filesystem; every source format
# the image promises (JPEG, PNG, GIF, WebP, AVIF, HEIC, TIFF, JPEG 2000,
# JPEG XL) decodes in it and every output format (AVIF, WebP, JPEG, PNG)
# encodes, while SVG and PDF, which it has no loader for, are a clean 415;
# no library is missing (ldd); then prints the image sizes and fails when the
# server image is not under 200 MB. Run by `make image-test` and from .ci/run.
#
# The sources in the formats the samples lack are made from them by the host's
# libvips (the `vips` command, libvips-tools, installed here when missing),
# so the container's libvips reads what another libvips wrote.
#
# Docker here is Debian's docker.io, started (when no daemon answers) as
# `dockerd --bridge=none --iptables=false`: no bridge network, so containers
# use --network host and listen on 127.0.0.1 ports only. No registry is
# needed: scripts/base-images.sh makes the base images from Debian packages.
# Where docker cannot start, this says why; it fails with CI=true and skips
# (exit 0) outside CI.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "image-test: $*"; }
die() { echo "image-test: FAIL: $*" >&2; exit 1; }
cannot() {
	echo "image-test: cannot run: $*" >&2
	if [ "${CI:-}" = true ]; then exit 1; fi
	echo "image-test: skipped (outside CI)" >&2
	exit 0
}
start=$SECONDS
tag="${PIXMILL_IMAGE_TAG:-test}"
server_image="pixmill:$tag"
vision_image="pixmill-vision:$tag"
# The target: the server image under 200 MB (docs/operations.md has the
# breakdown).
max_mb="${PIXMILL_IMAGE_MAX_MB:-200}"
run_id="pixmill-it-$$"
tmp="$(mktemp -d)"
started_dockerd=""

cleanup() {
	docker rm -f "$run_id-server" "$run_id-vision" >/dev/null 2>&1 || true
	if [ -n "$started_dockerd" ]; then
		kill "$started_dockerd" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$started_dockerd" 2>/dev/null || break; sleep 0.2; done
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# --- the engine ---------------------------------------------------------------
if ! command -v dockerd >/dev/null 2>&1; then
	if [ "$(id -u)" != 0 ]; then cannot "dockerd is not installed and this is not root (apt-get install docker.io)"; fi
	log "apt-get install docker.io"
	apt-get update -qq || true
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker.io >/dev/null ||
		cannot "apt-get install docker.io failed"
fi
# Debian's client matches Debian's daemon; use it even when another docker
# client comes first on PATH.
if [ -x /usr/bin/docker ]; then docker() { /usr/bin/docker "$@"; }; fi
# The classic builder: the daemon's own, no buildx plugin, and it uses the
# locally made base images exactly as pulled ones.
export DOCKER_BUILDKIT=0

if ! docker info >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || cannot "no docker daemon answers, and starting one needs root"
	log "starting dockerd --bridge=none --iptables=false (log: $tmp/dockerd.log)"
	dockerd --bridge=none --iptables=false >"$tmp/dockerd.log" 2>&1 &
	started_dockerd=$!
	for _ in $(seq 1 60); do
		docker info >/dev/null 2>&1 && break
		kill -0 "$started_dockerd" 2>/dev/null || break
		sleep 0.5
	done
	if ! docker info >/dev/null 2>&1; then
		tail -15 "$tmp/dockerd.log" >&2 || true
		cannot "dockerd did not start (its last log lines are above)"
	fi
	# Keep the log out of $tmp's cleanup while the daemon runs.
fi

# The host's libvips makes the sources in the formats the samples lack.
if ! command -v vips >/dev/null 2>&1; then
	[ "$(id -u)" = 0 ] || cannot "the vips command is not installed and this is not root (apt-get install libvips-tools)"
	log "apt-get install libvips-tools"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends libvips-tools >/dev/null ||
		cannot "apt-get install libvips-tools failed"
fi

# --- images ---------------------------------------------------------------------
scripts/base-images.sh
scripts/vision-fetch.sh
version="$(git describe --always --dirty 2>/dev/null || echo dev)"
# The build context: this checkout's files (tracked, and untracked ones git
# does not ignore) plus the fetched bin/vision/, copied so that a bin/vision
# that is a link (docker sends links as links) still arrives as files. The
# .dockerignore applies on top, as in any build.
ctx="$tmp/context"
mkdir -p "$ctx/bin"
git ls-files -z --cached --others --exclude-standard |
	tar --null -T - --ignore-failed-read -cf - 2>/dev/null | tar -xf - -C "$ctx"
cp -RL bin/vision "$ctx/bin/vision"
build() { # build TARGET TAG
	local t0=$SECONDS
	docker build --network host --target "$1" -t "$2" \
		--build-arg GOPROXY="$(go env GOPROXY)" --build-arg GOSUMDB="$(go env GOSUMDB)" \
		--build-arg GOPRIVATE="$(go env GOPRIVATE)" --build-arg GONOSUMDB="$(go env GONOSUMDB)" \
		--build-arg VERSION="$version" "$ctx" >"$tmp/build-$1.log" 2>&1 || {
		tail -30 "$tmp/build-$1.log" >&2
		die "docker build --target $1 failed"
	}
	log "built $2 in $((SECONDS - t0)) s"
}
build vision "$vision_image"
build server "$server_image"

# --- run them on loopback ports -------------------------------------------------
free_port() { # a port nothing on 127.0.0.1 answers
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
	done
}
vport="$(free_port)"
sport="$(free_port)"
mport="$(free_port)"
key="image-test-signing-key-$RANDOM$RANDOM"
data="$tmp/data"
mkdir -p "$data"
cp samples/*.jpg samples/*.png samples/*.gif "$data/"
# One source per format the image promises, written by the host's libvips;
# SVG and PDF are allowed in the config below but have no loader in the
# image, so they must be refused with 415, not fail with 500.
src=samples/grace_hopper.jpg
vips copy samples/rose.png "$data/in.tif"
vips webpsave "$src" "$data/in.webp"
vips heifsave "$src" "$data/in.avif" --compression av1
vips heifsave "$src" "$data/in.heic" --compression hevc
vips jp2ksave "$src" "$data/in.jp2"
vips jxlsave "$src" "$data/in.jxl"
cp docs/scaling.svg "$data/in.svg" # any SVG: the image has no loader for it
printf '%%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 64 64] >> endobj\ntrailer << /Root 1 0 R >>\n%%%%EOF\n' >"$data/in.pdf"
chmod -R a+rX "$tmp"

# vision.timeout (150 ms by default) is raised: this checks that the sidecar
# container answers, not how fast, and a first analysis on a busy CI machine
# can take longer than a production one.
docker run -d --name "$run_id-vision" --network host --read-only --tmpfs /tmp \
	--health-interval 2s --health-start-period 30s \
	-e VISION_LISTEN="127.0.0.1:$vport" "$vision_image" --providers cpu >/dev/null
docker run -d --name "$run_id-server" --network host --read-only --tmpfs /tmp \
	--health-interval 2s --health-start-period 30s \
	-v "$data:/data:ro" \
	-e PIXMILL_LISTEN="127.0.0.1:$sport" -e PIXMILL_METRICS_LISTEN="127.0.0.1:$mport" \
	-e PIXMILL_SOURCE_URL=file:///data -e PIXMILL_SIGNING_KEYS="$key" \
	-e PIXMILL_FORMATS_INPUTS=jpeg,png,webp,gif,avif,heif,tiff,jp2k,jxl,svg,pdf \
	-e PIXMILL_VISION_URL="http://127.0.0.1:$vport" -e PIXMILL_VISION_TIMEOUT=10s "$server_image" >/dev/null

logs() { for c in vision server; do echo "--- $c" >&2; docker logs --tail 20 "$run_id-$c" >&2 2>&1 || true; done; }
wait_healthy() { # wait_healthy NAME
	local s=""
	for _ in $(seq 1 90); do
		s="$(docker inspect -f '{{.State.Health.Status}}' "$run_id-$1" 2>/dev/null || echo gone)"
		[ "$s" = healthy ] && return
		[ "$s" = gone ] && break
		sleep 0.5
	done
	logs
	die "$1 container is not healthy (health: $s)"
}
wait_healthy vision
wait_healthy server
curl -fsS -o /dev/null "http://127.0.0.1:$sport/readyz" || { logs; die "server /readyz is not 200"; }
log "both containers healthy (HEALTHCHECK on /healthz); /readyz 200"

# The allocator the image sets is the one the server runs with.
docker exec "$run_id-server" grep -q libjemalloc /proc/1/maps || die "server: jemalloc is not loaded (LD_PRELOAD)"
log "server runs with jemalloc preloaded"

# Every shared library the server and its libvips need is in the image.
nf="$(docker exec "$run_id-server" sh -c 'ldd /usr/local/bin/pixmill /usr/local/lib/libvips.so.42' | grep 'not found' || true)"
[ -z "$nf" ] || die "server image lacks libraries: $nf"
log "ldd: no library missing for pixmill and libvips.so.42"

# --- non-root, read-only root fs -------------------------------------------------
for c in server vision; do
	uid="$(docker exec "$run_id-$c" awk '/^Uid:/ { print $2 }' /proc/1/status)"
	[ -n "$uid" ] && [ "$uid" != 0 ] || die "$c: process 1 runs as uid '$uid'"
	[ "$(docker inspect -f '{{.HostConfig.ReadonlyRootfs}}' "$run_id-$c")" = true ] || die "$c: root fs not read-only"
	if docker exec "$run_id-$c" sh -c 'echo x >/usr/local/bin/probe' 2>/dev/null; then die "$c: wrote to the root fs"; fi
	log "$c runs as uid $uid on a read-only root fs"
done

# --- signed transforms ------------------------------------------------------------
sign() { docker exec "$run_id-server" pixmill sign --config /etc/pixmill/config.yaml "$1"; }
get() { # get PATH OUT [ACCEPT] -> prints status and content type
	curl -sS -o "$2" -w '%{http_code} %{content_type}' -H "Accept: ${3:-*/*}" "http://127.0.0.1:$sport$1"
}
magic() { # magic FILE -> avif | webp | jpeg | other
	local h
	h="$(head -c 12 "$1" | od -An -c | tr -d ' \n')"
	case "$h" in
	*ftypavif*) echo avif ;;
	RIFF*WEBP*) echo webp ;;
	377330377*) echo jpeg ;;
	211PNG*) echo png ;;
	*) echo other ;;
	esac
}
# json PATH FIELD: a top-level number or string of an f=json answer
json_field() { grep -o "\"$2\":\"\{0,1\}[^,\"}]*" "$1" | head -1 | sed 's/.*://; s/"//g'; }

p="$(sign "/w=320,h=240,fit=cover,f=auto/grace_hopper.jpg")"
r="$(get "$p" "$data/out.avif" "image/avif,image/webp,*/*")"
[ "$r" = "200 image/avif" ] || die "signed f=auto with Accept avif: $r"
[ "$(magic "$data/out.avif")" = avif ] || die "AVIF answer has no ftypavif header"
p="$(sign "/w=320,f=webp/group.jpg")"
r="$(get "$p" "$data/out.webp")"
[ "$r" = "200 image/webp" ] || die "signed f=webp: $r"
[ "$(magic "$data/out.webp")" = webp ] || die "WebP answer has no RIFF/WEBP header"
r="$(get "/$(echo "$p" | cut -d/ -f2)x/w=320,f=webp/group.jpg" "$tmp/bad")"
[ "${r%% *}" = 403 ] || die "a bad signature answered $r"
# The outputs decode: libvips in the server container reads them back.
for f in out.avif out.webp; do
	r="$(get "$(sign "/f=json/$f")" "$tmp/$f.json")"
	[ "${r%% *}" = 200 ] || die "f=json of $f: $r"
	fmt="$(json_field "$tmp/$f.json" format)"
	[ "$fmt" = "${f#out.}" ] || die "$f decodes as '$fmt': $(cat "$tmp/$f.json")"
	log "$f: $(stat -c %s "$data/$f") bytes, decodes as $fmt $(json_field "$tmp/$f.json" width)x$(json_field "$tmp/$f.json" height)"
done
[ "$(json_field "$tmp/out.avif.json" width)" = 320 ] && [ "$(json_field "$tmp/out.avif.json" height)" = 240 ] ||
	die "AVIF is not 320x240: $(cat "$tmp/out.avif.json")"

# Every output format encodes, and libvips reads each answer back.
for f in jpeg png; do
	r="$(get "$(sign "/w=240,f=$f/rose.png")" "$data/out.$f")"
	[ "$r" = "200 image/$f" ] || die "signed f=$f: $r"
	[ "$(magic "$data/out.$f")" = "$f" ] || die "f=$f answer is not a $f file"
	r="$(get "$(sign "/f=json/out.$f")" "$tmp/out.$f.json")"
	[ "${r%% *}" = 200 ] && [ "$(json_field "$tmp/out.$f.json" format)" = "$f" ] &&
		[ "$(json_field "$tmp/out.$f.json" width)" = 240 ] || die "out.$f does not decode as a 240 px $f: $(cat "$tmp/out.$f.json")"
	log "out.$f: $(stat -c %s "$data/out.$f") bytes, decodes as $f 240 px wide"
done

# Every source format the image promises decodes, pixels included: each
# source is rendered to a 200 px PNG. f=json names the format libvips found.
for s in grace_hopper.jpg:jpeg rose.png:png banana.gif:gif in.webp:webp in.avif:avif in.heic:heif \
	in.tif:tiff in.jp2:jp2k in.jxl:jxl; do
	file="${s%%:*}" want="${s#*:}"
	r="$(get "$(sign "/f=json/$file")" "$tmp/$file.json")"
	[ "${r%% *}" = 200 ] || die "f=json of $file: $r $(cat "$tmp/$file.json")"
	fmt="$(json_field "$tmp/$file.json" format)"
	[ "$fmt" = "$want" ] || die "$file is read as '$fmt', want $want"
	r="$(get "$(sign "/w=200,f=png/$file")" "$tmp/$file.png")"
	[ "$r" = "200 image/png" ] && [ "$(magic "$tmp/$file.png")" = png ] || die "$file rendered to PNG: $r"
done
log "sources decode: jpeg png gif webp avif heif tiff jp2k jxl"
# An animated GIF stays animated as WebP (libnsgif in, libwebp's muxer out).
r="$(get "$(sign "/w=100,f=webp/banana.gif")" "$data/anim.webp")"
[ "$r" = "200 image/webp" ] || die "animated GIF to WebP: $r"
r="$(get "$(sign "/f=json/anim.webp")" "$tmp/anim.json")"
frames="$(json_field "$tmp/anim.json" frames)"
[ "${r%% *}" = 200 ] && [ "${frames:-0}" -gt 1 ] || die "animated GIF to WebP lost its frames: $(cat "$tmp/anim.json")"
log "banana.gif -> animated WebP with $frames frames"
# Allowed in the config, but not in this image: a clean 415, not a 500.
for file in in.svg in.pdf; do
	r="$(get "$(sign "/w=100,f=png/$file")" "$tmp/$file.out")"
	[ "${r%% *}" = 415 ] || die "$file in an image without its loader: $r, want 415 ($(head -c 200 "$tmp/$file.out"))"
done
log "SVG and PDF (no loader in the image): 415"

# --- g=face through the sidecar container ----------------------------------------
r="$(get "$(sign "/w=200,h=200,fit=cover,g=face,f=json/group.jpg")" "$tmp/face.json")"
[ "${r%% *}" = 200 ] || die "g=face f=json: $r"
grep -q '"faces":\[{' "$tmp/face.json" || { logs; die "g=face found no faces through the sidecar: $(cat "$tmp/face.json")"; }
r="$(get "$(sign "/w=200,h=200,fit=cover,g=face,f=webp/group.jpg")" "$tmp/face.webp")"
[ "$r" = "200 image/webp" ] || die "g=face f=webp: $r"
ok="$(curl -fsS "http://127.0.0.1:$mport/metrics" | awk '/^pixmill_vision_requests_total\{result="ok"\}/ { print $2 }')"
[ -n "$ok" ] && [ "${ok%.*}" -ge 1 ] || die "server metrics show no vision request answered ok (got '$ok')"
fb="$(curl -fsS "http://127.0.0.1:$mport/metrics" | awk '/^pixmill_vision_fallbacks_total/ { s += $2 } END { print s + 0 }')"
[ "$fb" = 0 ] || die "g=face fell back to libvips attention $fb time(s)"
vs="$(curl -fsS "http://127.0.0.1:$vport/metrics" | grep -c '^pixmill_vision' || true)"
log "g=face: $(grep -o '"faces":\[[^]]*\]' "$tmp/face.json" | grep -o '{' | wc -l) face(s) from the sidecar container; vision requests ok=$ok, fallbacks=0; sidecar exports $vs pixmill_vision series"

# --- sizes --------------------------------------------------------------------------
mb() { docker image inspect -f '{{.Size}}' "$1" | awk '{ printf "%.1f", $1 / 1e6 }'; }
smb="$(mb "$server_image")"
vmb="$(mb "$vision_image")"
log "image sizes: $server_image $smb MB, $vision_image $vmb MB (base debian:bookworm-slim $(mb debian:bookworm-slim) MB)"
awk -v s="$smb" -v m="$max_mb" 'BEGIN { exit !(s < m) }' || die "server image is $smb MB, not under $max_mb MB"
log "PASS in $((SECONDS - start)) s"
