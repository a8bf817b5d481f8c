import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  isOpaqueWhiteout,
  isWhiteout,
  opaqueWhiteoutName,
  parseWhiteout,
  whiteoutHeader,
  whiteoutName,
} from "../../src/archive/mod.ts";

describe("whiteouts", () => {
  it("parseWhiteout() tells whiteouts, opaque markers and aufs metadata apart", () => {
    assert.deepEqual(parseWhiteout("etc/.wh.passwd"), { kind: "whiteout", path: "etc/passwd" });
    assert.deepEqual(parseWhiteout(".wh.top"), { kind: "whiteout", path: "top" });
    assert.deepEqual(parseWhiteout("var/cache/.wh..wh..opq"), {
      kind: "opaque",
      path: "var/cache",
    });
    assert.deepEqual(parseWhiteout(".wh..wh..opq"), { kind: "opaque", path: "" });
    assert.deepEqual(parseWhiteout(".wh..wh.plnk/1.2"), undefined);
    assert.equal(parseWhiteout(".wh..wh.plnk")?.kind, "meta");
    assert.equal(parseWhiteout("etc/passwd"), undefined);
    assert.equal(parseWhiteout("etc/x.wh.y"), undefined);
  });

  it("isWhiteout() and isOpaqueWhiteout() match only their kind", () => {
    assert.equal(isWhiteout("a/.wh.b"), true);
    assert.equal(isWhiteout("a/.wh..wh..opq"), false);
    assert.equal(isOpaqueWhiteout("a/.wh..wh..opq"), true);
    assert.equal(isOpaqueWhiteout("a/.wh.b"), false);
  });

  it("whiteoutName() and opaqueWhiteoutName() build the names parseWhiteout() reads", () => {
    assert.equal(whiteoutName("etc/passwd"), "etc/.wh.passwd");
    assert.equal(whiteoutName("dir/"), ".wh.dir");
    assert.equal(parseWhiteout(whiteoutName("a/b/c"))?.path, "a/b/c");
    assert.equal(opaqueWhiteoutName("a/b"), "a/b/.wh..wh..opq");
    assert.equal(opaqueWhiteoutName("/"), ".wh..wh..opq");
    assert.throws(() => whiteoutName(""), RangeError);
  });

  it("whiteoutHeader() is an empty mode-0 regular file owned by root", () => {
    assert.deepEqual(whiteoutHeader("etc/passwd", { mtime: 5 }), {
      name: "etc/.wh.passwd",
      type: "file",
      size: 0,
      mode: 0,
      uid: 0,
      gid: 0,
      mtime: 5,
    });
    assert.equal(whiteoutHeader("var/cache", { opaque: true }).name, "var/cache/.wh..wh..opq");
  });
});
