import type { Options } from "./options.js";
import { snapToLadder, unsignedUrl, trimBase } from "./url.js";

/** Next.js's image loader contract (`next/image` `loader` prop or `loaderFile`). */
export interface NextLoaderProps {
  src: string;
  width: number;
  quality?: number;
}
export type NextLoader = (p: NextLoaderProps) => string;

/** A public preset and its srcset ladder, as configured on the server (`public: true`). */
export interface PublicPreset {
  name: string;
  widths: readonly number[];
}

/**
 * A loader for unsigned setups: every URL is the public preset at a width
 * from its ladder (the width Next asks for, snapped up to the ladder; the
 * server refuses other widths unsigned). `quality` cannot be set unsigned
 * and is left to the preset. Safe for browser code: no key involved.
 */
export function publicLoader(preset: PublicPreset, base = ""): NextLoader {
  return ({ src, width }) => unsignedUrl(stripSlash(src), { preset: preset.name, width: snapToLadder(width, preset.widths) }, base);
}

/**
 * A loader for signed setups. Browser code never holds the key: each URL
 * points at a small signing endpoint on your own server (see
 * `signingHandler` in `@pixmill/client/node`), which answers with a
 * redirect to the signed pixmill URL.
 */
export function signedLoader(endpoint = "/api/pixmill"): NextLoader {
  return ({ src, width, quality }) => {
    const q = new URLSearchParams({ src: stripSlash(src), w: String(width) });
    if (quality !== undefined) q.set("q", String(mapQuality(quality)));
    return `${trimBase(endpoint)}?${q}`;
  };
}

/**
 * Next.js quality (1..100, 75 when the page sets none) onto pixmill's `q`,
 * which is one scale for every format (JPEG's; the server maps it to the
 * WebP or AVIF setting that looks the same), as Next's quality means. So
 * this clamps and rounds; it is the one place to change if the scales part.
 */
export function mapQuality(quality: number): number {
  return Math.min(100, Math.max(1, Math.round(quality)));
}

/** unpic's operations (what its `<Image>` components pass to a transformer). */
export interface UnpicOperations {
  width?: number;
  height?: number;
  format?: string;
  quality?: number;
}

/**
 * An unpic/Astro-style transformer for unsigned setups: `(src, operations)
 * => url`, sized by the public preset's ladder. For signed setups use
 * `nodeTransformer` from `@pixmill/client/node` on the server.
 */
export function publicTransformer(preset: PublicPreset, base = "") {
  return (src: string | URL, ops: UnpicOperations = {}): string => {
    const key = keyOf(src);
    const width = ops.width === undefined ? undefined : snapToLadder(ops.width, preset.widths);
    return unsignedUrl(key, { preset: preset.name, width }, base);
  };
}

/** Options from unpic's operations, for signed transformers. */
export function optionsFromUnpic(ops: UnpicOperations): Options {
  const formats = ["auto", "avif", "webp", "jpeg", "png"] as const;
  const f = ops.format === "jpg" ? "jpeg" : ops.format;
  return {
    width: ops.width,
    height: ops.height,
    fit: ops.width !== undefined && ops.height !== undefined ? "cover" : undefined,
    format: (formats as readonly string[]).includes(f ?? "") ? (f as Options["format"]) : "auto",
    quality: ops.quality === undefined ? undefined : mapQuality(ops.quality),
  };
}

/** The source key of a src: a path (`/photos/cat.jpg`) or an absolute URL's path. */
export function keyOf(src: string | URL): string {
  if (src instanceof URL || /^[a-z][a-z0-9+.-]*:\/\//i.test(src)) {
    return decodeURIComponent(new URL(src).pathname.replace(/^\/+/, ""));
  }
  return stripSlash(src);
}

function stripSlash(src: string): string {
  return src.replace(/^\/+/, "");
}
