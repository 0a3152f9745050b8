// The URL language of docs/url.md as types, and the transform string built
// from them. The server is the judge of values (ranges, ladders): this
// module only writes what it is given, in the order of the docs' table.

export type Fit = "scale-down" | "contain" | "cover" | "crop" | "pad" | "squeeze";
export type Compass =
  | "center" | "top" | "bottom" | "left" | "right"
  | "top-left" | "top-right" | "bottom-left" | "bottom-right";
/** A compass point, `auto` (salient region), `face`, or a focal point as fractions of the source. */
export type Gravity = Compass | "auto" | "face" | { x: number; y: number };
export type Format = "auto" | "avif" | "webp" | "jpeg" | "png" | "json";
export type Metadata = "none" | "copyright" | "keep";
/** `auto` (= `auto:medium`), `auto:low`, `auto:medium`, `auto:high`: the lowest quality per image under the level's target. */
export type AutoQuality = (typeof autoLevels)[number];
const autoLevels = ["auto", "auto:low", "auto:medium", "auto:high"] as const;
/** A format's own encoder quality, bypassing the one scale (`q=avif:50;webp:70`). */
export type QualityOverrides = Partial<Record<(typeof overrideFormats)[number], number>>;
const overrideFormats = ["avif", "jpeg", "png", "webp"] as const;
/** A source region: whole source pixels, or fractions of the source's sides (`unit: "fraction"`). */
export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
  unit?: "px" | "fraction";
}

/** Every option of a pixmill transform (docs/url.md). Unset options are left out of the URL. */
export interface Options {
  /** Named presets, expanded first and in order (later options override them). */
  preset?: string | string[];
  /** Target width in CSS px (1..8192). */
  width?: number;
  /** Target height in CSS px (1..8192). */
  height?: number;
  fit?: Fit;
  gravity?: Gravity;
  /** With `gravity: "face"`, how closely the crop closes in on the faces, 0..1. */
  zoom?: number;
  /** Device pixel ratio, 1..4; the server rounds it to the nearest 0.5. */
  dpr?: number;
  /** Quality on the one scale for every format, 1..100, or q=auto's level. */
  quality?: number | AutoQuality;
  /** Per-format encoder qualities, written after `quality` (`q=75;avif:50;webp:70`). */
  qualityFor?: QualityOverrides;
  format?: Format;
  /** Gaussian blur sigma in output px, 0..250. */
  blur?: number;
  /** Sharpening amount, 0..10. */
  sharpen?: number;
  /** Hex `rrggbb` or `rrggbbaa`, with or without a leading `#`. */
  background?: string;
  rotate?: 0 | 90 | 180 | 270;
  flip?: "h" | "v" | "hv";
  metadata?: Metadata;
  /** Keep animation (default true). */
  anim?: boolean;
  /** Remove a near-uniform border (`"auto"`) or exact margins in source pixels. */
  trim?: "auto" | { top: number; right: number; bottom: number; left: number };
  /** For `trim: "auto"`: how far a pixel may differ from the border colour, 0..255. */
  trimThreshold?: number;
  /** Colour adjustments, 0..10 (1 is unchanged). */
  brightness?: number;
  contrast?: number;
  gamma?: number;
  saturation?: number;
  /** The most bytes the image may have, 1024..67108864. */
  maxBytes?: number;
  /** Serve the original's bytes untouched (signed URLs only, with nothing but `expires`). */
  raw?: boolean;
  /** Unix seconds after which the URL answers 410 (signed URLs only). */
  expires?: number;
  /** A watermark: another source key drawn over the output. */
  watermark?: { key: string; position?: Compass | { x: number; y: number }; scale?: number; opacity?: number };
  /** The page of a PDF source, 1-based, and the dpi it is rendered at. */
  page?: number;
  density?: number;
  /** The region of the source everything else applies to. */
  crop?: Region;
}

/** The transform segment for options: `thumb,w=400,f=webp`, or `_` for none. */
export function transformString(o: Options = {}): string {
  const items: string[] = [];
  const presets = o.preset === undefined ? [] : Array.isArray(o.preset) ? o.preset : [o.preset];
  for (const p of presets) items.push(checkName(p));
  const add = (name: string, v: string | number | undefined) => {
    if (v !== undefined) items.push(`${name}=${v}`);
  };
  add("w", int(o.width));
  add("h", int(o.height));
  add("fit", o.fit);
  if (o.gravity !== undefined) {
    const g = o.gravity;
    add("g", point(g));
  }
  add("zoom", o.zoom === undefined ? undefined : decimal(o.zoom));
  add("dpr", o.dpr === undefined ? undefined : decimal(o.dpr));
  add("q", quality(o.quality, o.qualityFor));
  add("f", o.format);
  add("blur", o.blur === undefined ? undefined : decimal(o.blur));
  add("sharpen", o.sharpen === undefined ? undefined : decimal(o.sharpen));
  add("bg", o.background?.replace(/^#/, ""));
  add("rotate", o.rotate);
  add("flip", o.flip);
  add("metadata", o.metadata);
  add("anim", o.anim === undefined ? undefined : String(o.anim));
  if (o.trim !== undefined) {
    const t = o.trim;
    add("trim", t === "auto" ? t : [t.top, t.right, t.bottom, t.left].map((v) => int(v)).join(";"));
  }
  add("trim.threshold", o.trimThreshold === undefined ? undefined : decimal(o.trimThreshold));
  for (const k of ["brightness", "contrast", "gamma", "saturation"] as const) {
    add(k, o[k] === undefined ? undefined : decimal(o[k]));
  }
  add("max_bytes", int(o.maxBytes));
  add("raw", o.raw === undefined ? undefined : String(o.raw));
  add("exp", int(o.expires));
  if (o.watermark !== undefined) {
    const w = o.watermark;
    add("wm", encodeURIComponent(w.key));
    add("wm_pos", w.position === undefined ? undefined : point(w.position));
    add("wm_scale", w.scale === undefined ? undefined : decimal(w.scale));
    add("wm_opacity", w.opacity === undefined ? undefined : decimal(w.opacity));
  }
  add("page", int(o.page));
  add("density", int(o.density));
  if (o.crop !== undefined) {
    const c = o.crop;
    const side = c.unit === "fraction" ? fraction : (v: number) => String(int(v));
    add("crop", [c.x, c.y, c.width, c.height].map(side).join(";"));
  }
  return items.length === 0 ? "_" : items.join(",");
}

function point(p: string | { x: number; y: number }): string {
  return typeof p === "string" ? p : `${decimal(p.x)}x${decimal(p.y)}`;
}

// quality writes the scale's value (or auto level) first, then the
// overrides by format name, as the server's canonical form does.
function quality(q: number | AutoQuality | undefined, per: QualityOverrides | undefined): string | undefined {
  const parts: string[] = [];
  if (typeof q === "string") {
    if (!(autoLevels as readonly string[]).includes(q)) throw new RangeError(`pixmill: ${q} is not a quality`);
    parts.push(q);
  } else if (q !== undefined) {
    parts.push(String(int(q)));
  }
  for (const f of Object.keys(per ?? {}).sort()) {
    const v = per![f as keyof QualityOverrides];
    if (v === undefined) continue;
    if (!(overrideFormats as readonly string[]).includes(f)) throw new RangeError(`pixmill: ${f} is not a format`);
    parts.push(`${f}:${int(v)}`);
  }
  return parts.length === 0 ? undefined : parts.join(";");
}

// fraction writes a fraction of a side with a point, which is how the
// server tells it from whole pixels (1.0 is the whole side, 1 one pixel).
function fraction(v: number): string {
  const s = decimal(v);
  return s.includes(".") ? s : `${s}.0`;
}

function int(v: number | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`pixmill: ${v} is not a whole number`);
  return v;
}

// decimal writes digits[.digits], the only decimal form the server reads
// (no exponent: 1e-7 would be refused).
function decimal(v: number): string {
  if (!Number.isFinite(v) || v < 0) throw new RangeError(`pixmill: ${v} is not a non-negative decimal`);
  const s = v.toFixed(6).replace(/\.?0+$/, "");
  return s === "" ? "0" : s;
}

function checkName(p: string): string {
  if (!/^[a-z0-9_-]+$/.test(p)) throw new RangeError(`pixmill: ${JSON.stringify(p)} is not a preset name`);
  return p;
}
