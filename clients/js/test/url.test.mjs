import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import {
  transformString, escapeKey, unsignedUrl, snapToLadder, publicLoader, signedLoader,
  publicTransformer, publicSrcset, optionsFromUnpic, keyOf, signedUrl, webCryptoSigner,
} from "../dist/index.js";
import { createClient, signingHandler, nodeTransformer } from "../dist/node.js";

test("transformString writes every option of docs/url.md", () => {
  const cases = [
    [{}, "_"],
    [{ width: 400 }, "w=400"],
    [{ width: 400, height: 300, fit: "cover", gravity: "face", format: "auto" }, "w=400,h=300,fit=cover,g=face,f=auto"],
    [{ gravity: { x: 0.5, y: 0.33 } }, "g=0.5x0.33"],
    [{ dpr: 1.5, quality: 70 }, "dpr=1.5,q=70"],
    [{ blur: 2.5, sharpen: 1 }, "blur=2.5,sharpen=1"],
    [{ background: "#ff000080" }, "bg=ff000080"],
    [{ rotate: 90, flip: "hv" }, "rotate=90,flip=hv"],
    [{ metadata: "copyright", anim: false }, "metadata=copyright,anim=false"],
    [{ preset: "thumb", width: 400 }, "thumb,w=400"],
    [{ preset: ["hero", "thumb"] }, "hero,thumb"],
    [{ dpr: 1e-7 }, "dpr=0"], // no exponent ever reaches the URL
    [{ gravity: "face", zoom: 0.5 }, "g=face,zoom=0.5"],
    [{ quality: "auto" }, "q=auto"],
    [{ quality: "auto:high", qualityFor: { webp: 70, avif: 50 } }, "q=auto:high;avif:50;webp:70"],
    [{ qualityFor: { jpeg: 85 } }, "q=jpeg:85"],
    [{ trim: "auto", trimThreshold: 12.5 }, "trim=auto,trim.threshold=12.5"],
    [{ trim: { top: 1, right: 2, bottom: 3, left: 4 } }, "trim=1;2;3;4"],
    [{ brightness: 1.1, contrast: 1, gamma: 2.2, saturation: 0 }, "brightness=1.1,contrast=1,gamma=2.2,saturation=0"],
    [{ maxBytes: 50000, raw: false, expires: 1893456000 }, "max_bytes=50000,raw=false,exp=1893456000"],
    [{ watermark: { key: "brand/logo.png", position: "top-left", scale: 0.2, opacity: 0.5 } }, "wm=brand%2Flogo.png,wm_pos=top-left,wm_scale=0.2,wm_opacity=0.5"],
    [{ watermark: { key: "a b.png", position: { x: 0.1, y: 0.9 } } }, "wm=a%20b.png,wm_pos=0.1x0.9"],
    [{ page: 2, density: 150 }, "page=2,density=150"],
    [{ crop: { x: 10, y: 20, width: 300, height: 200 } }, "crop=10;20;300;200"],
    [{ crop: { x: 0, y: 0.25, width: 1, height: 0.5, unit: "fraction" } }, "crop=0.0;0.25;1.0;0.5"],
  ];
  for (const [o, want] of cases) assert.equal(transformString(o), want, JSON.stringify(o));
});

test("every option in docs/url.md's table can be written", () => {
  const doc = readFileSync(new URL("../../../docs/url.md", import.meta.url), "utf8");
  const table = doc.slice(doc.indexOf("## Options"), doc.indexOf("\n\n", doc.indexOf("| option |")));
  const names = [...table.matchAll(/^\| `([a-z_.]+)` \| (?:`([a-z]+)`)?/gm)].map((m) => m[2] ?? m[1]);
  assert.ok(names.length >= 30, names.join(" "));
  const all = transformString({
    width: 1, height: 1, fit: "cover", gravity: "face", zoom: 1, dpr: 1, quality: 1, format: "jpeg", blur: 1, sharpen: 1,
    background: "ffffff", rotate: 90, flip: "h", metadata: "none", anim: true, trim: "auto", trimThreshold: 1,
    brightness: 1, contrast: 1, gamma: 1, saturation: 1, maxBytes: 1024, raw: false, expires: 1, page: 1, density: 1,
    watermark: { key: "k", position: "top", scale: 1, opacity: 1 }, crop: { x: 0, y: 0, width: 1, height: 1 },
  });
  const written = new Set(all.split(",").map((i) => i.split("=")[0]));
  for (const n of names) assert.ok(written.has(n), `${n} missing from ${all}`);
});

test("transformString refuses what cannot be written", () => {
  assert.throws(() => transformString({ width: 1.5 }), RangeError);
  assert.throws(() => transformString({ width: -1 }), RangeError);
  assert.throws(() => transformString({ blur: Infinity }), RangeError);
  assert.throws(() => transformString({ preset: "Thumb" }), RangeError);
  assert.throws(() => transformString({ preset: "a,w=1" }), RangeError);
  assert.throws(() => transformString({ quality: "auto:max" }), RangeError);
  assert.throws(() => transformString({ qualityFor: { gif: 50 } }), RangeError);
  assert.throws(() => transformString({ crop: { x: 0.5, y: 0, width: 10, height: 10 } }), RangeError);
});

test("escapeKey encodes each segment, as the server decodes it", () => {
  assert.equal(escapeKey("photos/name with spaces & ünïcode.jpg"), "photos/name%20with%20spaces%20%26%20%C3%BCn%C3%AFcode.jpg");
  assert.equal(escapeKey("a+b/c,d.jpg"), "a%2Bb/c%2Cd.jpg");
  assert.equal(escapeKey("日本.png"), "%E6%97%A5%E6%9C%AC.png");
});

test("unsigned URLs and ladders", () => {
  assert.equal(unsignedUrl("photos/cat.jpg", { preset: "thumb", width: 200 }, "https://img.example/"), "https://img.example/_/thumb,w=200/photos/cat.jpg");
  assert.equal(snapToLadder(150, [400, 100, 200]), 200);
  assert.equal(snapToLadder(100, [100, 200]), 100);
  assert.equal(snapToLadder(9999, [100, 200]), 200);
  const thumb = { name: "thumb", widths: [100, 200, 400] };
  assert.equal(publicSrcset("a.jpg", thumb), "/_/thumb,w=100/a.jpg 100w, /_/thumb,w=200/a.jpg 200w, /_/thumb,w=400/a.jpg 400w");
  assert.equal(publicLoader(thumb, "https://img.example")({ src: "/a b.jpg", width: 256, quality: 90 }), "https://img.example/_/thumb,w=400/a%20b.jpg");
  assert.equal(publicTransformer(thumb)("https://cms.example/media/a.jpg", { width: 90 }), "/_/thumb,w=100/media/a.jpg");
});

test("the signed loader points at your endpoint, never carrying a key", () => {
  assert.equal(signedLoader("/api/pixmill/")({ src: "/photos/a b.jpg", width: 640, quality: 75 }), "/api/pixmill?src=photos%2Fa+b.jpg&w=640&q=75");
  assert.equal(signedLoader()({ src: "a.jpg", width: 16 }), "/api/pixmill?src=a.jpg&w=16");
});

test("signing handler redirects to the signed URL and refuses other widths", () => {
  const client = createClient({ key: "secret", base: "https://img.example" });
  const h = signingHandler({ client, widths: [640], options: { format: "auto" } });
  const ok = h(new Request("https://app.example/api/pixmill?src=photos%2Fcat.jpg&w=640&q=75"));
  assert.equal(ok.status, 307);
  assert.equal(ok.headers.get("location"), client.url("photos/cat.jpg", { width: 640, quality: 75, format: "auto" }));
  assert.equal(h(new Request("https://app.example/api/pixmill?src=a.jpg&w=641")).status, 400);
  assert.equal(h(new Request("https://app.example/api/pixmill?w=640")).status, 400);
});

test("node client, Web Crypto signer and unpic options agree", async () => {
  const client = createClient({ key: "secret", size: 16 });
  assert.equal(client.url("photos/cat.jpg", { width: 400, format: "webp" }), "/SleOGMTV_1vS7zPD69E-3w/w=400,f=webp/photos/cat.jpg");
  assert.equal(await signedUrl(webCryptoSigner("secret"), "photos/cat.jpg", { width: 400, format: "webp" }), "/SleOGMTV_1vS7zPD69E-3w/w=400,f=webp/photos/cat.jpg");
  assert.deepEqual(optionsFromUnpic({ width: 300, height: 200, format: "jpg", quality: 150 }), { width: 300, height: 200, fit: "cover", format: "jpeg", quality: 100 });
  assert.equal(nodeTransformer(client)("/photos/cat.jpg", { width: 400, format: "webp" }), client.url("photos/cat.jpg", { width: 400, format: "webp" }));
  assert.equal(client.srcset("a.jpg", { name: "hero", widths: [640, 320] }), `${client.url("a.jpg", { preset: "hero", width: 320 })} 320w, ${client.url("a.jpg", { preset: "hero", width: 640 })} 640w`);
  assert.equal(client.srcset("a.jpg", [200, 100], { format: "webp" }), `${client.url("a.jpg", { format: "webp", width: 100 })} 100w, ${client.url("a.jpg", { format: "webp", width: 200 })} 200w`);
  assert.equal(keyOf(new URL("https://cdn.example/photos/a%20b.jpg")), "photos/a b.jpg");
});

test("the browser entry imports nothing from Node", () => {
  const dist = new URL("../dist/", import.meta.url);
  for (const f of readdirSync(dist).filter((f) => f.endsWith(".js") && f !== "node.js")) {
    assert.doesNotMatch(readFileSync(new URL(f, dist), "utf8"), /from "node:|require\(/, f);
  }
});
