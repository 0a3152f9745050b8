// @pixmill/client/node: the server side, where the signing key lives.
// Signs synchronously with node:crypto, builds signed URLs and srcsets, and
// answers the Next.js loader's signing endpoint.
import { createHmac } from "node:crypto";
import type { Options } from "./options.js";
import { type NextLoaderProps, type PublicPreset, type UnpicOperations, keyOf, mapQuality, optionsFromUnpic } from "./loaders.js";
import { checkSize } from "./sign.js";
import { signablePath, trimBase } from "./url.js";

export interface ClientConfig {
  /** Your pixmill's origin (`https://img.example.com`), or "" for a path-only URL. */
  base?: string;
  /** `signing.keys[0]` of the server. */
  key: string | Uint8Array;
  /** `signing.size` of the server (default 16). */
  size?: number;
}

export interface Client {
  /** The signature of `/{transform}/{key}` (escaped exactly as it will be sent). */
  sign(path: string): string;
  /** A signed URL for key with options. */
  url(key: string, options?: Options): string;
  /** `url 320w, …` for the widths given, or for a preset and its ladder. */
  srcset(key: string, ladder: readonly number[] | PublicPreset, options?: Options): string;
}

export function createClient(cfg: ClientConfig): Client {
  const size = cfg.size ?? 16;
  checkSize(size);
  const base = trimBase(cfg.base ?? "");
  const key = typeof cfg.key === "string" ? Buffer.from(cfg.key) : Buffer.from(cfg.key);
  if (key.length === 0) throw new RangeError("pixmill: empty signing key");
  const sign = (path: string) =>
    createHmac("sha256", key).update(path).digest().subarray(0, size).toString("base64url");
  const url = (k: string, options: Options = {}) => {
    const path = signablePath(k, options);
    return `${base}/${sign(path)}${path}`;
  };
  return {
    sign,
    url,
    srcset: (k, ladder, options = {}) => {
      const widths = "widths" in ladder ? ladder.widths : ladder;
      const o = "widths" in ladder ? { preset: ladder.name, ...options } : options;
      return [...widths].sort((a, b) => a - b).map((w) => `${url(k, { ...o, width: w })} ${w}w`).join(", ");
    },
  };
}

export interface SigningHandlerConfig {
  client: Client;
  /** Options every image gets (for example `{ format: "auto" }`); width and quality come from the loader. */
  options?: Options;
  /**
   * The widths the endpoint will sign: Next's `deviceSizes` and
   * `imageSizes`. Anything else is refused, so the endpoint cannot be used
   * to mint variants.
   */
  widths: readonly number[];
}

/**
 * The endpoint `signedLoader` points at, as a Fetch-API handler (a Next.js
 * route handler: `export const GET = signingHandler({...})`): it answers
 * 307 to the signed pixmill URL for `?src=&w=&q=`, and 400 for a width it
 * was not told about.
 */
export function signingHandler(cfg: SigningHandlerConfig): (req: Request) => Response {
  const allowed = new Set(cfg.widths);
  return (req) => {
    const q = new URL(req.url).searchParams;
    const src = q.get("src") ?? "";
    const w = Number(q.get("w"));
    if (src === "" || !allowed.has(w)) {
      return new Response("pixmill: src missing or width not allowed\n", { status: 400 });
    }
    const quality = q.has("q") ? mapQuality(Number(q.get("q"))) : undefined;
    const location = cfg.client.url(keyOf(src), { ...cfg.options, width: w, quality });
    return new Response(null, { status: 307, headers: { Location: location, "Cache-Control": "public, max-age=86400" } });
  };
}

/** The signed URL the loader's endpoint redirects to, computed directly (for server components). */
export function nextUrl(client: Client, p: NextLoaderProps, options: Options = {}): string {
  return client.url(keyOf(p.src), { ...options, width: p.width, quality: p.quality === undefined ? undefined : mapQuality(p.quality) });
}

/** An unpic/Astro transformer that signs: `(src, operations) => url`. Server-side only. */
export function nodeTransformer(client: Client, options: Options = {}) {
  return (src: string | URL, ops: UnpicOperations = {}): string => {
    const o = optionsFromUnpic(ops);
    return client.url(keyOf(src), { ...options, ...dropUndefined(o) });
  };
}

function dropUndefined(o: Options): Options {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Options;
}
