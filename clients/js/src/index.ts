// @pixmill/client: build pixmill image URLs (docs/url.md) in any JavaScript
// runtime. Nothing here holds a signing key in browser code: unsigned URLs
// use public presets, signed ones are made on the server (./node, or the
// Web Crypto signer in edge runtimes).
export { type Options, type Fit, type Gravity, type Compass, type Format, type Metadata, type AutoQuality, type QualityOverrides, type Region, transformString } from "./options.js";
export { escapeKey, signablePath, unsignedUrl, snapToLadder } from "./url.js";
export { type AsyncSigner, webCryptoSigner, signedUrl } from "./sign.js";
export {
  type NextLoader, type NextLoaderProps, type PublicPreset, type UnpicOperations,
  publicLoader, signedLoader, mapQuality, publicTransformer, optionsFromUnpic, keyOf,
} from "./loaders.js";
export { publicSrcset } from "./srcset.js";
