// Copyright 2026 the buildkit-ts authors. MIT license.

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { resolveStoreRoot } from "../../src/store/mod.ts";

describe("resolveStoreRoot()", () => {
  it("resolveStoreRoot() prefers explicit, then BUILDKIT_CACHE_DIR, then XDG, then home", () => {
    const home = "/home/u";
    assert.equal(resolveStoreRoot({ env: {}, home }), "/home/u/.cache/buildkit");
    assert.equal(resolveStoreRoot({ env: { XDG_CACHE_HOME: "/x" }, home }), "/x/buildkit");
    assert.equal(
      resolveStoreRoot({ env: { XDG_CACHE_HOME: "rel" }, home }),
      "/home/u/.cache/buildkit",
    );
    assert.equal(
      resolveStoreRoot({ env: { XDG_CACHE_HOME: "/x", BUILDKIT_CACHE_DIR: "/b" }, home }),
      "/b",
    );
    assert.equal(
      resolveStoreRoot({
        explicit: "/e",
        env: { XDG_CACHE_HOME: "/x", BUILDKIT_CACHE_DIR: "/b" },
        home,
      }),
      "/e",
    );
    assert.equal(
      resolveStoreRoot({ explicit: "cache", env: {}, home, cwd: "/work" }),
      "/work/cache",
    );
    assert.equal(resolveStoreRoot({ explicit: "", env: { BUILDKIT_CACHE_DIR: "/b" }, home }), "/b");
  });
});
