// The shared signing vectors (testdata/signing-vectors.json, computed with
// openssl by scripts/signing-vectors.sh; the Go tests read the same file).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { webCryptoSigner } from "../dist/index.js";
import { createClient } from "../dist/node.js";

const vectors = JSON.parse(readFileSync(new URL("../../../testdata/signing-vectors.json", import.meta.url), "utf8"));

test("there are vectors", () => assert.ok(vectors.length >= 5));

for (const v of vectors) {
  test(`node signer: ${v.path} (size ${v.size})`, () => {
    assert.equal(createClient({ key: v.key, size: v.size }).sign(v.path), v.signature);
  });
  test(`Web Crypto signer: ${v.path} (size ${v.size})`, async () => {
    assert.equal(await webCryptoSigner(v.key, v.size).signature(v.path), v.signature);
  });
}
