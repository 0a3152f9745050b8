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
  /** Device pixel ratio, 1..4; the server rounds it to the nearest 0.5. */
  dpr?: number;
  /** Encoder quality 1..100. */
  quality?: number;
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
    add("g", typeof g === "string" ? g : `${decimal(g.x)}x${decimal(g.y)}`);
  }
  add("dpr", o.dpr === undefined ? undefined : decimal(o.dpr));
  add("q", int(o.quality));
  add("f", o.format);
  add("blur", o.blur === undefined ? undefined : decimal(o.blur));
  add("sharpen", o.sharpen === undefined ? undefined : decimal(o.sharpen));
  add("bg", o.background?.replace(/^#/, ""));
  add("rotate", o.rotate);
  add("flip", o.flip);
  add("metadata", o.metadata);
  add("anim", o.anim === undefined ? undefined : String(o.anim));
  return items.length === 0 ? "_" : items.join(",");
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
