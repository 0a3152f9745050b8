#!/usr/bin/env bash
# Peak RSS of the server while it converts one photo: starts bin/pixmill on
# loopback over the corpus, sends the photo through every output format at two
# widths (sequentially, then two at a time), and prints the process's VmHWM.
#
#   bench/peak-rss.sh [corpus-relative-key]   (default photos/kleiber_bird_20mp.jpg)
set -euo pipefail
cd "$(dirname "$0")/.."
key="${1:-photos/kleiber_bird_20mp.jpg}"
corpus="$(cd "${PIXMILL_CORPUS:-../shared/corpus}" && pwd)"
make -s build >/dev/null
tmp="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
cat >"$tmp/config.yaml" <<YAML
listen: "127.0.0.1:18080"
metrics_listen: ""
source: { url: "file://$corpus" }
signing: { keys: ["peak-rss-benchmark-key-0001"] }
cache: { max_bytes: 0 }
YAML
./bin/pixmill serve --config "$tmp/config.yaml" 2>"$tmp/log" &
pid=$!
for _ in $(seq 50); do curl -fs 127.0.0.1:18080/healthz >/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/{print $2}' /proc/$pid/status; }
echo "idle RSS: $(rss) kB"
urls=()
for w in 400 1600; do
	for f in jpeg webp avif png; do
		urls+=("$(./bin/pixmill sign --config "$tmp/config.yaml" "/w=$w,f=$f/$key")")
	done
done
for u in "${urls[@]}"; do
	curl -fs -o "$tmp/out" -w "%{http_code} %{size_download} bytes %{time_total}s  $u\n" "http://127.0.0.1:18080$u"
done
echo "after sequential: RSS $(rss) kB, peak $(awk '/VmHWM/{print $2}' /proc/$pid/status) kB"
printf '%s\n' "${urls[@]}" "${urls[@]}" | xargs -P 2 -I{} curl -fs -o /dev/null "http://127.0.0.1:18080{}"
echo "after 2 concurrent: RSS $(rss) kB, peak $(awk '/VmHWM/{print $2}' /proc/$pid/status) kB"
