#!/usr/bin/env bash
# The server image's libvips (Debian's 8.14 source built with only pixmill's
# loaders, see the Dockerfile) against Debian's libvips42 on this machine: the
# same renders through a bin/pixmill built here and through the image, with
# the output bytes compared and the CPU time each server process used.
#
#   bench/image-compare.sh [image] [rounds]     (default pixmill:test, 3)
#
# Needs the image (make image-test builds pixmill:test) and a running docker
# daemon. Both servers run on loopback with the result cache off and glibc's
# malloc (the image's jemalloc preload turned off), and get one request at a
# time, so the CPU seconds compare one libvips with the other. The sources are
# the bundled samples/; every sample goes through every output format at
# 480 px wide.
set -euo pipefail
cd "$(dirname "$0")/.."
image="${1:-pixmill:test}"
rounds="${2:-3}"
if [ -x /usr/bin/docker ]; then docker() { /usr/bin/docker "$@"; }; fi
docker image inspect "$image" >/dev/null || { echo "image-compare: no image $image (make image-test builds pixmill:test)" >&2; exit 1; }
make -s build >/dev/null

tmp="$(mktemp -d)"
name="pixmill-compare-$$"
hpid=""
trap 'docker rm -f "$name" >/dev/null 2>&1 || true; [ -z "$hpid" ] || kill "$hpid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
key="image-compare-key-0123456789"
hport=$((20000 + RANDOM % 10000))
cport=$((30000 + RANDOM % 10000))
samples="$(pwd)/samples"
cat >"$tmp/config.yaml" <<YAML
listen: "127.0.0.1:$hport"
metrics_listen: ""
source: { url: "file://$samples" }
signing: { keys: ["$key"] }
cache: { max_bytes: 0 }
limits: { concurrency: 1 }
YAML
./bin/pixmill serve --config "$tmp/config.yaml" 2>"$tmp/host.log" &
hpid=$!
docker run -d --name "$name" --network host --read-only --tmpfs /tmp -e LD_PRELOAD= \
	-v "$samples:/data:ro" -e PIXMILL_SOURCE_URL=file:///data -e PIXMILL_SIGNING_KEYS="$key" \
	-e PIXMILL_CACHE_MAX_BYTES=0 -e PIXMILL_LIMITS_CONCURRENCY=1 -e PIXMILL_METRICS_LISTEN= \
	-e PIXMILL_LISTEN="127.0.0.1:$cport" "$image" >/dev/null
cpid="$(docker inspect -f '{{.State.Pid}}' "$name")"
for p in "$hport" "$cport"; do
	for _ in $(seq 100); do curl -fs "127.0.0.1:$p/healthz" >/dev/null && break; sleep 0.1; done
done

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
hz="$(getconf CLK_TCK)"
paths=()
for src in $(cd samples && ls *.jpg *.png *.gif); do
	for f in jpeg webp avif png; do
		paths+=("$(./bin/pixmill sign --config "$tmp/config.yaml" "/w=480,f=$f/$src")")
	done
done

# Bytes: one render of each path from each server.
printf '%-44s %10s %10s %s\n' "render" "host B" "image B" "same bytes"
same=0
for p in "${paths[@]}"; do
	curl -fsS -o "$tmp/h" "127.0.0.1:$hport$p"
	curl -fsS -o "$tmp/c" "127.0.0.1:$cport$p"
	hs="$(stat -c %s "$tmp/h")" cs="$(stat -c %s "$tmp/c")"
	eq=no
	if cmp -s "$tmp/h" "$tmp/c"; then eq=yes; same=$((same + 1)); fi
	printf '%-44s %10d %10d %s\n' "${p#/*/}" "$hs" "$cs" "$eq"
done
echo "identical outputs: $same of ${#paths[@]}"

# CPU: every path, rounds times, one at a time, against each server in turn.
cpu() { # cpu PORT PID -> CPU seconds the process used for the renders
	local t0 t1
	t0="$(ticks "$2")"
	for _ in $(seq "$rounds"); do
		for p in "${paths[@]}"; do curl -fsS -o /dev/null "127.0.0.1:$1$p"; done
	done
	t1="$(ticks "$2")"
	awk -v d=$((t1 - t0)) -v hz="$hz" 'BEGIN { printf "%.2f", d / hz }'
}
n=$((rounds * ${#paths[@]}))
for i in 1 2; do
	echo "round $i: host (Debian libvips42) $(cpu "$hport" "$hpid") CPU s, image $(cpu "$cport" "$cpid") CPU s, for $n renders each"
done
