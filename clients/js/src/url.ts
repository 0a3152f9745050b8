import { type Options, transformString } from "./options.js";

/**
 * Percent-encodes a source key segment by segment, as the server expects
 * (the signature covers the key exactly as sent): `name with spaces.jpg`
 * becomes `name%20with%20spaces.jpg`, `/` separators stay.
 */
export function escapeKey(key: string): string {
  return key.split("/").map(encodeURIComponent).join("/");
}

/** The signed part of a URL: `/{transform}/{escaped key}`. */
export function signablePath(key: string, options: Options = {}): string {
  if (key === "" || key.startsWith("/")) throw new RangeError("pixmill: a source key is not empty and does not start with /");
  return `/${transformString(options)}/${escapeKey(key)}`;
}

/**
 * An unsigned URL (`/_/…`). The server accepts it only for a public preset
 * with widths on its ladder (or everything with `signing.allow_unsigned`).
 */
export function unsignedUrl(key: string, options: Options = {}, base = ""): string {
  return `${trimBase(base)}/_${signablePath(key, options)}`;
}

export function trimBase(base: string): string {
  return base.replace(/\/+$/, "");
}

/** The smallest ladder width at least `width`, else the ladder's largest. */
export function snapToLadder(width: number, ladder: readonly number[]): number {
  if (ladder.length === 0) throw new RangeError("pixmill: empty width ladder");
  const sorted = [...ladder].sort((a, b) => a - b);
  return sorted.find((w) => w >= width) ?? sorted[sorted.length - 1];
}
