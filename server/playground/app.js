// The pixmill playground: builds a transform from the controls, asks the
// server to sign it (/_playground/api/sign), fetches the image and shows what
// came back. Plain script, no build step; everything it talks to is this
// origin.
"use strict";

const $ = (id) => document.getElementById(id);
// What Chromium sends for <img>: f=auto negotiates as it would on a page.
const ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
// The controls, in the order their items are written (docs/url.md names).
const OPTIONS = ["w", "h", "fit", "g", "dpr", "f", "q", "blur", "sharpen", "rotate", "flip", "bg", "metadata", "anim"];
const FORMATS = ["jpeg", "webp", "avif"];

let generation = 0; // a newer update makes an older one's answers moot
const objectURLs = new Set();

// escapeKey escapes each "/"-separated segment of a source key.
function escapeKey(key) {
  return key.split("/").map(encodeURIComponent).join("/");
}

// transformOf is the transform of the controls, with some options replaced.
function transformOf(replace = {}) {
  const items = [];
  for (const name of OPTIONS) {
    const v = name in replace ? replace[name] : $(name).value.trim();
    if (v !== "") items.push(`${name}=${v}`);
  }
  for (const item of $("extra").value.split(",")) {
    if (item.trim() !== "") items.push(item.trim());
  }
  return items.length ? items.join(",") : "_";
}

async function api(path, init) {
  const r = await fetch(`/_playground/api/${path}`, init);
  const body = await r.text();
  if (!r.ok) throw new Error(`${r.status}: ${body.trim()}`);
  return JSON.parse(body);
}

async function sign(paths) {
  const out = await api("sign", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ paths }),
  });
  return out.urls;
}

function kib(n) {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

// timingText turns "queue;dur=0.1, fetch;dur=2.0, ..." into "queue 0.1 ms · fetch 2.0 ms · ...".
function timingText(header) {
  if (!header) return "–";
  return header.split(",").map((part) => {
    const [name, ...params] = part.trim().split(";");
    const dur = params.map((p) => p.trim()).find((p) => p.startsWith("dur="));
    return dur ? `${name} ${Number(dur.slice(4)).toFixed(1)} ms` : name;
  }).join(" · ");
}

function blobURL(blob) {
  const u = URL.createObjectURL(blob);
  objectURLs.add(u);
  return u;
}

function releaseURLs() {
  for (const u of objectURLs) URL.revokeObjectURL(u);
  objectURLs.clear();
}

// fetchImage fetches a signed URL as a page's <img> would ask for it.
async function fetchImage(url) {
  const r = await fetch(url, { headers: { Accept: ACCEPT }, cache: "no-store" });
  const blob = await r.blob();
  if (!r.ok) throw new Error(`${r.status}: ${(await blob.text()).trim()}`);
  return { r, blob };
}

function loaded(img, src) {
  return new Promise((resolve, reject) => {
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error("the browser could not decode it"));
    img.src = src;
  });
}

async function showResult(url, gen) {
  const { r, blob } = await fetchImage(url);
  if (gen !== generation) return;
  const img = await loaded($("result-img"), blobURL(blob));
  if (gen !== generation) return;
  img.dataset.url = url;
  $("stat-bytes").textContent = String(blob.size);
  $("stat-kib").textContent = `(${kib(blob.size)}${r.headers.get("Content-Length") !== String(blob.size) ? `; Content-Length says ${r.headers.get("Content-Length")}` : ""})`;
  $("stat-type").textContent = r.headers.get("Content-Type");
  $("stat-dims").textContent = `${img.naturalWidth} × ${img.naturalHeight}`;
  $("stat-cache").textContent = r.headers.get("X-Cache") || "–";
  $("stat-timing").textContent = timingText(r.headers.get("Server-Timing"));
}

function box(cls, x, y, w, h, label) {
  const d = document.createElement("div");
  d.className = cls;
  Object.assign(d.style, { left: `${x * 100}%`, top: `${y * 100}%`, width: `${w * 100}%`, height: `${h * 100}%` });
  if (label) {
    const s = document.createElement("span");
    s.textContent = label;
    d.append(s);
  }
  return d;
}

// showOverlay draws f=json's crop window (source pixels) and faces
// (fractions) over a preview of the oriented source.
async function showOverlay(previewURL, jsonURL, gen) {
  const [desc] = await Promise.all([
    fetch(jsonURL, { headers: { Accept: ACCEPT }, cache: "no-store" }).then(async (r) => {
      const body = await r.text();
      if (!r.ok) throw new Error(`${r.status}: ${body.trim()}`);
      return JSON.parse(body);
    }),
    loaded($("source-img"), previewURL),
  ]);
  if (gen !== generation) return;
  const boxes = $("boxes");
  boxes.replaceChildren();
  if (desc.crop) {
    const c = desc.crop;
    boxes.append(box("crop-box", c.x / desc.width, c.y / desc.height, c.width / desc.width, c.height / desc.height,
      `crop ${c.width}×${c.height}`));
  }
  for (const f of desc.faces || []) {
    boxes.append(box("face-box", f.x, f.y, f.width, f.height, f.score ? f.score.toFixed(2) : "face"));
  }
  $("focused-by").textContent = desc.focused_by ? `(placed by ${desc.focused_by}${desc.degraded ? `, degraded: ${desc.degraded}` : ""})` : "";
  const o = desc.output;
  $("source-info").textContent = `source ${desc.width} × ${desc.height} ${desc.format}, orientation ${desc.orientation}` +
    `${desc.frames > 1 ? `, ${desc.frames} frames` : ""} → output ${o.width} × ${o.height} ${o.format}` +
    `; ${(desc.faces || []).length} face(s)` +
    (!desc.crop && /^(face|auto)$/.test($("g").value) ? " (nothing to crop: the sidecar is asked only when a crop is placed)" : "");
}

async function showFormats(urls, gen) {
  const cards = await Promise.all(urls.map(async (url, i) => {
    const card = document.createElement("figure");
    card.className = "format checker";
    card.dataset.format = FORMATS[i];
    try {
      const { r, blob } = await fetchImage(url);
      const img = document.createElement("img");
      img.src = blobURL(blob);
      img.alt = FORMATS[i];
      const cap = document.createElement("figcaption");
      cap.textContent = `${FORMATS[i].toUpperCase()} ${kib(blob.size)} · ${timingText(r.headers.get("Server-Timing")).split(" · ").slice(2).join(" · ")}`;
      cap.dataset.bytes = String(blob.size);
      card.append(img, cap);
    } catch (e) {
      card.textContent = `${FORMATS[i].toUpperCase()}: ${e.message}`;
    }
    return card;
  }));
  if (gen !== generation) return;
  const jpeg = Number(cards[0].querySelector("figcaption")?.dataset.bytes);
  for (const card of cards.slice(1)) {
    const cap = card.querySelector("figcaption");
    if (cap && jpeg) cap.textContent += ` · ${Math.round((Number(cap.dataset.bytes) / jpeg) * 100)}% of JPEG`;
  }
  $("formats").replaceChildren(...cards);
}

function copyButton(text, label = "copy") {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "copy";
  b.textContent = label;
  b.onclick = () => copy(text, b);
  return b;
}

async function copy(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const t = document.createElement("textarea");
    t.value = text;
    document.body.append(t);
    t.select();
    document.execCommand("copy");
    t.remove();
  }
  const was = button.textContent;
  button.textContent = "copied";
  setTimeout(() => (button.textContent = was), 1200);
}

async function showSrcset(key, gen) {
  const preset = $("preset").value;
  if (!preset) return;
  const q = new URLSearchParams({ preset, key });
  const out = await api(`srcset?${q}`);
  if (gen !== generation) return;
  const abs = out.entries.map((e) => `${location.origin}${e.url} ${e.width}w`).join(", ");
  $("srcset").textContent = abs;
  $("copy-srcset").onclick = () => copy(abs, $("copy-srcset"));
  $("srcset-entries").replaceChildren(...out.entries.map((e) => {
    const li = document.createElement("li");
    const a = document.createElement("a");
    a.href = e.url;
    a.target = "_blank";
    a.rel = "noopener";
    a.textContent = `${e.width}w ${e.url}`;
    li.append(a, " ", copyButton(location.origin + e.url));
    return li;
  }));
}

async function update() {
  const key = $("key").value.trim();
  if (!key) return;
  const gen = ++generation;
  const result = $("result");
  result.dataset.state = "loading";
  result.dataset.key = key;
  const t = transformOf();
  $("transform").value = t;
  const esc = escapeKey(key);
  const transforms = [t, transformOf({ f: "json" }), "w=800,f=jpeg,q=70", ...FORMATS.map((f) => transformOf({ f }))];
  try {
    const urls = await sign(transforms.map((x) => `/${x}/${esc}`));
    if (gen !== generation) return;
    $("signed-url").href = urls[0];
    $("signed-url").textContent = urls[0];
    $("copy-url").onclick = () => copy(location.origin + urls[0], $("copy-url"));
    releaseURLs();
    const parts = await Promise.allSettled([
      showResult(urls[0], gen),
      showOverlay(urls[2], urls[1], gen),
      showFormats(urls.slice(3), gen),
      showSrcset(key, gen),
    ]);
    if (gen !== generation) return;
    const failed = parts.filter((p) => p.status === "rejected").map((p) => p.reason.message);
    showError(failed.join("\n"));
    result.dataset.state = failed.length ? "error" : "ready";
  } catch (e) {
    if (gen !== generation) return;
    showError(e.message);
    result.dataset.state = "error";
  }
}

function showError(msg) {
  $("error").hidden = !msg;
  $("error").textContent = msg;
}

async function listKeys() {
  const select = $("keys");
  const note = $("keys-note");
  const q = new URLSearchParams({ prefix: $("prefix").value.trim(), limit: "500" });
  try {
    const out = await api(`keys?${q}`);
    if (!out.listable) {
      select.hidden = true;
      $("prefix").disabled = true;
      note.textContent = "This source cannot list its keys: type one.";
      return [];
    }
    select.replaceChildren(...out.keys.map((k) => new Option(k, k, false, k === $("key").value)));
    note.textContent = out.truncated ? `The first ${out.keys.length} keys; filter by prefix for the others.` : `${out.keys.length} keys.`;
    return out.keys;
  } catch (e) {
    note.textContent = `Listing failed: ${e.message}`;
    return [];
  }
}

function debounce(fn, ms) {
  let timer;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

async function start() {
  const info = await api("info");
  const withLadder = info.presets.filter((p) => p.widths && p.widths.length);
  $("preset").replaceChildren(...withLadder.map((p) =>
    new Option(`${p.name} (${p.transform}${p.public ? ", public" : ""})`, p.name)));
  $("srcset-note").textContent = withLadder.length ? "" : "No preset has a widths ladder.";

  const later = debounce(update, 300);
  for (const name of [...OPTIONS, "extra"]) {
    $(name).addEventListener($(name).tagName === "SELECT" ? "change" : "input", later);
  }
  $("key").addEventListener("change", update);
  $("keys").addEventListener("change", () => {
    $("key").value = $("keys").value;
    update();
  });
  $("prefix").addEventListener("input", debounce(listKeys, 200));
  $("preset").addEventListener("change", update);
  $("controls").addEventListener("submit", (e) => {
    e.preventDefault();
    update();
  });

  const keys = await listKeys();
  const first = keys.find((k) => /\.(jpe?g|png|webp|avif|gif|heic|tiff?)$/i.test(k));
  if (first && !$("key").value) {
    $("key").value = first;
    $("keys").value = first;
    update();
  }
}

start().catch((e) => showError(e.message));
