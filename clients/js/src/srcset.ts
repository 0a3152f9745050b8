import type { Options } from "./options.js";
import type { PublicPreset } from "./loaders.js";
import { unsignedUrl } from "./url.js";

/** `url 100w, url 200w, …` for a public preset's whole ladder, unsigned. */
export function publicSrcset(key: string, preset: PublicPreset, base = "", extra: Pick<Options, "dpr"> = {}): string {
  return [...preset.widths]
    .sort((a, b) => a - b)
    .map((w) => `${unsignedUrl(key, { preset: preset.name, width: w, ...extra }, base)} ${w}w`)
    .join(", ");
}
