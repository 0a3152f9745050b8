// The package is ready to publish: `npm pack` includes the build and its
// types, and nothing else.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

test("npm pack ships dist with types, README and package.json only", () => {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: new URL("..", import.meta.url), encoding: "utf8" });
  const files = JSON.parse(out)[0].files.map((f) => f.path).sort();
  for (const want of ["dist/index.js", "dist/index.d.ts", "dist/node.js", "dist/node.d.ts", "README.md", "package.json"]) {
    assert.ok(files.includes(want), `${want} missing from ${files}`);
  }
  assert.deepEqual(files.filter((f) => !f.startsWith("dist/") && f !== "README.md" && f !== "package.json"), []);
});
