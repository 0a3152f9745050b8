// The playground in a real browser: Debian's chromium, driven by
// playwright-core, against bin/pixmill and bin/pixmill-vision on loopback
// (make browser-test builds both). It picks a corpus photo with faces,
// sets g=face, and checks what the page shows against what the server sent.
// The screenshot lands in $BROWSER_TEST_OUT (bin/browser-test/).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const root = resolve(new URL("../..", import.meta.url).pathname);
const bin = process.env.PIXMILL_BIN ?? join(root, "bin", "pixmill");
const visionBin = process.env.PIXMILL_VISION_BIN ?? join(root, "bin", "pixmill-vision");
const browserBin = process.env.CHROMIUM ?? "/usr/bin/chromium";
const corpus = process.env.PIXMILL_CORPUS ?? resolve(root, "..", "shared", "corpus");
const out = resolve(process.env.BROWSER_TEST_OUT ?? join(root, "bin", "browser-test"));
const photo = "faces/group_portrait_1.jpg";
// In CI (CI set) what is missing fails the test; elsewhere it skips it.
const ci = !["", "0", "false"].includes(process.env.CI ?? "");

const procs = [];
let base, context, profile, why;

async function freePort() {
  return new Promise((ok) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

// start runs a binary with its output in out/NAME.log and waits for its /healthz.
async function start(name, args, url) {
  const log = createWriteStream(join(out, `${name}.log`));
  const p = spawn(args[0], args.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
  p.stdout.pipe(log);
  p.stderr.pipe(log);
  procs.push(p);
  let exited = null;
  p.on("exit", (code) => (exited = code));
  for (let i = 0; i < 600; i++) {
    if (exited !== null) throw new Error(`${name} exited with ${exited}; see ${join(out, `${name}.log`)}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${name} did not answer ${url}/healthz in 30 s`);
}

before(async () => {
  for (const [what, path] of [["bin/pixmill", bin], ["bin/pixmill-vision", visionBin], ["chromium", browserBin], ["the corpus", corpus]]) {
    if (!existsSync(path)) {
      why = `no ${what} at ${path} (make browser-test builds and installs what it needs)`;
      return;
    }
  }
  mkdirSync(out, { recursive: true });
  const visionPort = await freePort();
  await start("pixmill-vision", [visionBin, "--listen", `127.0.0.1:${visionPort}`, "--log-level", "warn"],
    `http://127.0.0.1:${visionPort}`);
  const port = await freePort();
  const cfg = join(out, "config.yaml");
  writeFileSync(cfg, `# written by tests/browser/playground.test.mjs
listen: "127.0.0.1:${port}"
metrics_listen: ""
source: { url: "file://${corpus}" }
signing: { keys: ["browser-test-signing-key-0123456789"] }
presets:
  thumb: { transform: "w=200,h=200,fit=cover,g=auto,f=auto", widths: [100, 200, 400], public: true }
  hero:  { transform: "w=1600,h=900,fit=cover,g=face,f=auto", widths: [320, 640, 960] }
vision:
  url: "http://127.0.0.1:${visionPort}"
  timeout: 10s   # a cold sidecar on a busy CI machine; a fallback would draw no faces
playground: { enabled: true }
log: { level: warn }
`);
  base = `http://127.0.0.1:${port}`;
  await start("pixmill", [bin, "serve", "--config", cfg], base);

  profile = mkdtempSync(join(out, "profile-")); // a fresh --user-data-dir
  context = await chromium.launchPersistentContext(profile, {
    executablePath: browserBin,
    headless: true,
    viewport: { width: 1360, height: 1000 },
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--no-first-run", "--disable-quic",
      // Loopback only: every name but 127.0.0.1 fails to resolve.
      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    ],
  });
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true, maxRetries: 3 });
  for (const p of procs) p.kill();
});

test("the playground shows a g=face crop as the server sent it", { timeout: 180_000 }, async (t) => {
  if (why) {
    if (ci) assert.fail(why);
    return t.skip(why);
  }
  const page = context.pages()[0] ?? (await context.newPage());
  const failures = [];
  page.on("pageerror", (e) => failures.push(`page error: ${e.message}`));
  page.on("console", (m) => m.type() === "error" && failures.push(`console: ${m.text()}`));
  const responses = new Map(); // path -> the last response for it
  page.on("response", (r) => responses.set(new URL(r.url()).pathname, r));

  await page.goto(`${base}/_playground/`);
  await page.fill("#prefix", "faces/");
  await page.waitForSelector(`#keys option[value="${photo}"]`);
  await page.selectOption("#keys", photo);
  await page.fill("#w", "480");
  await page.fill("#h", "480");
  await page.selectOption("#fit", "cover");
  await page.selectOption("#g", "face");
  await page.selectOption("#f", "auto");
  const want = "w=480,h=480,fit=cover,g=face,f=auto";
  await page.waitForFunction(([key, t]) => {
    const r = document.getElementById("result");
    return r.dataset.key === key && document.getElementById("transform").value === t && r.dataset.state !== "loading";
  }, [photo, want], { timeout: 120_000 });
  const state = await page.$eval("#result", (r) => r.dataset.state);
  assert.equal(state, "ready", `the page says: ${await page.textContent("#error")}`);

  // The image loaded, and the numbers shown are the response's.
  const img = await page.$eval("#result-img", (i) => ({ w: i.naturalWidth, h: i.naturalHeight, url: i.dataset.url }));
  assert.ok(img.w > 0, "the result image did not load");
  assert.deepEqual([img.w, img.h], [480, 480]);
  const resp = responses.get(img.url);
  assert.ok(resp, `no response recorded for ${img.url}`);
  assert.equal(resp.status(), 200);
  const headers = await resp.allHeaders();
  const shown = {
    bytes: (await page.textContent("#stat-bytes")).trim(),
    type: (await page.textContent("#stat-type")).trim(),
    dims: (await page.textContent("#stat-dims")).trim(),
    timing: (await page.textContent("#stat-timing")).trim(),
  };
  assert.equal(shown.bytes, headers["content-length"], "bytes shown = Content-Length");
  assert.equal(shown.type, headers["content-type"], "format shown = Content-Type");
  assert.match(shown.type, /^image\/(avif|webp)$/, "f=auto negotiated from the browser's Accept");
  assert.equal(shown.dims, "480 × 480");
  assert.match(shown.timing, /transform [\d.]+ ms/);
  assert.match(headers["server-timing"], /transform;dur=/);

  // f=json's faces and crop window, drawn over the source.
  const faces = await page.locator("#boxes .face-box").count();
  const crops = await page.locator("#boxes .crop-box").count();
  assert.ok(faces > 0, "no face boxes drawn");
  assert.equal(crops, 1, "the crop window is drawn");
  assert.match(await page.textContent("#focused-by"), /faces/);

  // JPEG, WebP and AVIF of the same options, each with its bytes.
  const formats = await page.$$eval("#formats figcaption", (cs) => cs.map((c) => Number(c.dataset.bytes)));
  assert.equal(formats.length, 3);
  assert.ok(formats.every((n) => n > 0), `format bytes ${formats}`);

  // The srcset of the first preset with a ladder (hero, signed), every URL served.
  const entries = await page.$$eval("#srcset-entries a", (as) => as.map((a) => a.getAttribute("href")));
  assert.equal(entries.length, 3);
  for (const u of entries) {
    const r = await page.request.get(`${base}${u}`);
    assert.equal(r.status(), 200, u);
  }

  await page.screenshot({ path: join(out, "playground.png"), fullPage: true });
  assert.deepEqual(failures, []);
  t.diagnostic(`${faces} faces, ${shown.bytes} bytes of ${shown.type}, formats ${formats} bytes; screenshot ${join(out, "playground.png")}`);
});
