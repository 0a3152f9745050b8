import type { Options } from "./options.js";
import { signablePath, trimBase } from "./url.js";

/** Signs with Web Crypto: edge runtimes and Node >= 20 alike. Keep keys on the server. */
export interface AsyncSigner {
  /** The signature of a signable path (`/{transform}/{key}`, escaped as sent). */
  signature(path: string): Promise<string>;
}

/** HMAC-SHA256 of the path, first `size` bytes (pixmill's `signing.size`, default 16), base64url without padding. */
export function webCryptoSigner(key: string | Uint8Array, size = 16): AsyncSigner {
  checkSize(size);
  const raw = typeof key === "string" ? new TextEncoder().encode(key) : key;
  const cryptoKey = globalThis.crypto.subtle.importKey("raw", raw as BufferSource, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return {
    async signature(path: string): Promise<string> {
      const mac = await globalThis.crypto.subtle.sign("HMAC", await cryptoKey, new TextEncoder().encode(path));
      return base64url(new Uint8Array(mac).subarray(0, size));
    },
  };
}

/** A signed URL: `{base}/{signature}/{transform}/{key}`. */
export async function signedUrl(signer: AsyncSigner, key: string, options: Options = {}, base = ""): Promise<string> {
  const path = signablePath(key, options);
  return `${trimBase(base)}/${await signer.signature(path)}${path}`;
}

export function checkSize(size: number): void {
  if (!Number.isInteger(size) || size < 8 || size > 32) throw new RangeError(`pixmill: signature size ${size} is out of range 8..32`);
}

export function base64url(bytes: Uint8Array): string {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
