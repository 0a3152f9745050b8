// Every URL the client builds, fetched from a real pixmill on loopback
// (bin/pixmill, built by `make build`) over the shared corpus.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { publicLoader, publicSrcset, unsignedUrl } from "../dist/index.js";
import { createClient, signingHandler } from "../dist/node.js";

const root = resolve(new URL("../../..", import.meta.url).pathname);
const bin = process.env.PIXMILL_BIN ?? join(root, "bin", "pixmill");
const corpus = process.env.PIXMILL_CORPUS ?? resolve(root, "..", "shared", "corpus");
const key = "test-signing-key-0123456789";
const thumb = { name: "thumb", widths: [100, 200, 400] };
// next.config.js's defaults (Next.js docs, images.deviceSizes / imageSizes).
const nextDeviceSizes = [640, 750, 828, 1080, 1200, 1920, 2048, 3840];
const nextImageSizes = [16, 32, 48, 64, 96, 128, 256, 384];

let server, base, client;

function unavailable(t, why) {
  if (process.env.CI === "true") assert.fail(why);
  t.skip(why);
}

async function freePort() {
  return new Promise((ok) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

before(async () => {
  if (!existsSync(bin) || !existsSync(corpus)) return;
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "pixmill-js-"));
  const cfg = join(dir, "config.yaml");
  writeFileSync(cfg, `listen: "127.0.0.1:${port}"
metrics_listen: ""
source: { url: "file://${corpus}" }
signing: { keys: ["${key}"] }
presets:
  thumb: { transform: "w=200,h=200,fit=cover,g=auto,f=auto", widths: [100, 200, 400], public: true }
log: { level: warn }
`);
  server = spawn(bin, ["serve", "--config", cfg], { stdio: ["ignore", "ignore", "inherit"] });
  base = `http://127.0.0.1:${port}`;
  client = createClient({ key, base });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("pixmill did not start");
});

after(() => server?.kill());

async function get(url) {
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get("content-type"), body: Buffer.from(await r.arrayBuffer()) };
}

async function describe(k, options) {
  const r = await get(client.url(k, { ...options, format: "json" }));
  assert.equal(r.status, 200, r.body.toString());
  return JSON.parse(r.body.toString());
}

// jpegSize reads a baseline or progressive JPEG's SOF for its size.
function jpegSize(b) {
  for (let i = 2; i < b.length - 9; ) {
    if (b[i] !== 0xff) return null;
    const m = b[i + 1];
    const len = b.readUInt16BE(i + 2);
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      return { height: b.readUInt16BE(i + 5), width: b.readUInt16BE(i + 7) };
    }
    i += 2 + len;
  }
  return null;
}

const photo = "photos/name with spaces & ünïcode.jpg";
const face = "faces/grace_hopper.jpg";

test("every option of docs/url.md, signed, answers an image", async (t) => {
  if (!server) return unavailable(t, `no ${bin} or no corpus at ${corpus}: run make build`);
  const sets = [
    {}, { width: 300 }, { height: 200 }, { width: 300, height: 300, fit: "cover", gravity: "face" },
    { width: 300, height: 200, fit: "contain" }, { width: 300, height: 200, fit: "crop", gravity: "top-left" },
    { width: 300, height: 200, fit: "pad", background: "#336699" }, { width: 300, height: 200, fit: "squeeze" },
    { width: 300, height: 200, fit: "scale-down" }, { width: 200, height: 200, fit: "cover", gravity: { x: 0.3, y: 0.4 } },
    { width: 200, height: 200, fit: "cover", gravity: "auto" }, { width: 200, dpr: 2 }, { width: 200, quality: 40 },
    { width: 200, format: "avif" }, { width: 200, format: "webp" }, { width: 200, format: "jpeg" }, { width: 200, format: "png" },
    { width: 200, format: "auto" }, { width: 200, blur: 3 }, { width: 200, sharpen: 2 }, { width: 200, rotate: 90 },
    { width: 200, flip: "hv" }, { width: 200, metadata: "copyright" }, { width: 200, metadata: "keep" }, { width: 200, anim: false },
  ];
  for (const k of [photo, face]) {
    for (const o of sets) {
      const r = await get(client.url(k, o));
      assert.equal(r.status, 200, `${k} ${JSON.stringify(o)}: ${r.body}`);
      assert.match(r.type, /^image\//);
    }
  }
  const d = await describe(photo, { width: 300, height: 300, fit: "cover" });
  assert.deepEqual([d.output.width, d.output.height], [300, 300]);
});

test("q=auto, overrides, zoom, crop, trim, adjustments, max_bytes, watermark, exp and raw reach the server as meant", async (t) => {
  if (!server) return unavailable(t, "no server");
  const future = Math.floor(Date.now() / 1000) + 3600;
  const sets = [
    { width: 300, quality: "auto" }, { width: 300, quality: "auto:high", format: "webp" },
    { width: 300, quality: 70, qualityFor: { avif: 50, webp: 60 }, format: "auto" },
    { width: 200, height: 200, fit: "cover", gravity: "face", zoom: 0.5 },
    { crop: { x: 0.25, y: 0, width: 0.5, height: 1, unit: "fraction" }, width: 200 },
    { crop: { x: 10, y: 10, width: 300, height: 200 } }, { trim: "auto", trimThreshold: 20, width: 200 },
    { trim: { top: 5, right: 5, bottom: 5, left: 5 }, width: 200 },
    { width: 200, brightness: 1.1, contrast: 1.2, gamma: 1, saturation: 0.5 }, { width: 800, maxBytes: 20000 },
    { width: 300, watermark: { key: face, position: "top-left", scale: 0.25, opacity: 0.5 } },
    { width: 300, watermark: { key: face, position: { x: 0.5, y: 0.5 } } }, { width: 200, page: 1, density: 72 },
    { width: 200, expires: future },
  ];
  for (const o of sets) {
    const r = await get(client.url(photo, o));
    assert.equal(r.status, 200, `${JSON.stringify(o)}: ${r.body}`);
    assert.match(r.type, /^image\//);
  }
  // What the server made of them, from f=json.
  const auto = await describe(photo, { width: 300, quality: "auto:low", format: "jpeg" });
  assert.equal(auto.quality_auto?.level, "low", JSON.stringify(auto));
  const crop = await describe(photo, { crop: { x: 0, y: 0, width: 0.5, height: 1.0, unit: "fraction" } });
  assert.equal(crop.output.width, Math.round(crop.width / 2), JSON.stringify(crop.output));
  const small = await get(client.url(photo, { width: 800, maxBytes: 20000 }));
  assert.ok(small.body.length <= 20000, `max_bytes: ${small.body.length}`);
  // raw: the original's bytes, untouched.
  const raw = await get(client.url(face, { raw: true }));
  assert.equal(raw.status, 200);
  assert.deepEqual(raw.body, (await import("node:fs")).readFileSync(join(corpus, face)));
  // exp in the past: 410.
  assert.equal((await get(client.url(photo, { width: 200, expires: 1000 }))).status, 410);
});

test("srcsets: a preset's ladder signed, and the public one unsigned", async (t) => {
  if (!server) return unavailable(t, "no server");
  const entries = client.srcset(photo, [320, 640, 960], { format: "webp" }).split(", ");
  assert.equal(entries.length, 3);
  for (const e of entries) {
    const [url, w] = e.split(" ");
    const r = await get(url);
    assert.equal(r.status, 200);
    assert.equal(r.type, "image/webp");
    const d = await describe(photo, { width: parseInt(w), format: "webp" });
    assert.equal(d.output.width, Math.min(parseInt(w), d.width), e);
  }
  for (const e of publicSrcset(photo, thumb, base).split(", ")) {
    const [url, w] = e.split(" ");
    const r = await get(url);
    assert.equal(r.status, 200, url);
    assert.equal(jpegSize(r.body).width, parseInt(w), url);
  }
  // Off the ladder, unsigned: the server refuses it, as the loader knows.
  assert.equal((await get(unsignedUrl(photo, { preset: "thumb", width: 300 }, base))).status, 403);
});

test("the Next.js loaders for the default deviceSizes and imageSizes", async (t) => {
  if (!server) return unavailable(t, "no server");
  const sizes = [...nextImageSizes, ...nextDeviceSizes];
  const handler = signingHandler({ client, widths: sizes, options: { format: "jpeg" } });
  const loaderUrl = (await import("../dist/index.js")).signedLoader("https://app.example/api/pixmill");
  const src = await describe(face, {});
  for (const w of sizes) {
    // Signed: the browser asks the app's endpoint, which redirects to pixmill.
    const res = handler(new Request(loaderUrl({ src: `/${face}`, width: w, quality: 75 })));
    assert.equal(res.status, 307);
    const r = await get(res.headers.get("location"));
    assert.equal(r.status, 200, `w=${w}`);
    // scale-down never enlarges: the width asked, or the source's when smaller.
    assert.equal(jpegSize(r.body).width, Math.min(w, src.width), `signed w=${w}`);
    // Unsigned: the public preset's ladder, the width snapped up to it.
    const u = await get(publicLoader(thumb, base)({ src: face, width: w }));
    assert.equal(u.status, 200, `unsigned w=${w}`);
    assert.equal(jpegSize(u.body).width, thumb.widths.find((x) => x >= w) ?? 400, `unsigned w=${w}`);
  }
});
